/**
 * The HTTPS listener (gateway.tls) against real TLS clients that trust only a root CA: the
 * intermediate is served (the chain verifies), SNI picks each certificate (one a wildcard),
 * an unknown name gets the first, TLS 1.1 is refused, X-Forwarded-Proto says https. Certificates
 * are swapped on SIGHUP and on a file change without a restart, while the plain listener keeps
 * answering and an open TLS connection keeps working; a bad replacement is refused and the old
 * certificate stays; a missing file stops startup with the file named.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkServerIdentity, connect, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { request } from 'undici';
import { CLI, startGateway, oneApiConfig, opsGet, waitForGeneration, type GatewayProcess } from '../support/gateway-process.js';
import { spawnSync } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { hasOpenssl, replaceFile, TestPki, type Leaf } from '../support/test-pki.js';

interface Handshake { fingerprint: string; authorized: boolean; chain: string[]; protocol: string | null }

function handshake(port: number, servername: string | undefined, ca: string, extra: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, checkServerIdentity: () => undefined, ...extra }, () => {
      const chain: string[] = [];
      let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
      const leaf = cert.fingerprint256;
      for (let i = 0; cert && i < 5; i++) {
        chain.push(cert.subject.CN as string);
        const next: PeerCertificate | undefined = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate;
        cert = next === cert ? undefined : next;
      }
      resolve({ fingerprint: leaf, authorized: socket.authorized, chain, protocol: socket.getProtocol() });
      socket.destroy();
    });
    socket.once('error', reject);
    socket.setTimeout(5_000, () => { socket.destroy(new Error('handshake timeout')); });
  });
}

function httpsGet(port: number, path: string, servername: string, ca: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername, ca, agent: agent ?? false, headers: { host: servername }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.end();
  });
}

/**
 * Polls new handshakes until one serves `fingerprint` (workers apply new certificates
 * asynchronously), then checks that a client trusting only `ca` verifies it.
 */
async function waitForCertificate(port: number, servername: string, ca: string, fingerprint: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await handshake(port, servername, ca, { rejectUnauthorized: false });
    if (got.fingerprint === fingerprint) {
      assert.equal((await handshake(port, servername, ca, { checkServerIdentity })).authorized, true);
      return;
    }
    if (Date.now() > deadline) throw new Error(`still serving ${got.fingerprint}, wanted ${fingerprint}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HTTPS listener', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  let pki: TestPki;
  let other: TestPki;
  let api: Leaf;
  let wild: Leaf;
  let backend: TestBackend;
  let gw: GatewayProcess;
  let port: number;
  const ca = () => pki.rootPem;

  before(async () => {
    pki = new TestPki('listener');
    other = new TestPki('other');
    api = pki.issue('api', 'api.example.test', ['api.example.test']);
    wild = pki.issue('wild', 'wildcard', ['*.wild.example.test']);
    backend = await startBackend(echoHandler);
    gw = await startGateway(oneApiConfig(backend.url, {
      tls: { port: 0, certificates: [{ certFile: api.certFile, keyFile: api.keyFile }, { certFile: wild.certFile, keyFile: wild.keyFile }] },
    }));
    assert.notEqual(gw.httpsPort, null);
    port = gw.httpsPort!;
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('a client trusting only the root verifies the chain: the intermediate is served', async () => {
    const h = await handshake(port, 'api.example.test', ca(), { checkServerIdentity });
    assert.equal(h.authorized, true);
    assert.equal(h.fingerprint, api.fingerprint);
    assert.deepEqual(h.chain, ['api.example.test', 'listener Intermediate CA', 'listener Root CA']);
    assert.ok(h.protocol === 'TLSv1.3' || h.protocol === 'TLSv1.2');
  });

  test('SNI picks each certificate, wildcards included; an unknown or absent name gets the first', async () => {
    assert.equal((await handshake(port, 'api.example.test', ca())).fingerprint, api.fingerprint);
    assert.equal((await handshake(port, 'x.wild.example.test', ca())).fingerprint, wild.fingerprint);
    assert.equal((await handshake(port, 'Y.Wild.Example.Test', ca())).fingerprint, wild.fingerprint);
    // A wildcard covers one label only.
    assert.equal((await handshake(port, 'a.b.wild.example.test', ca())).fingerprint, api.fingerprint);
    assert.equal((await handshake(port, 'unknown.test', ca())).fingerprint, api.fingerprint);
    assert.equal((await handshake(port, undefined, ca())).fingerprint, api.fingerprint);
  });

  test('a TLS 1.1 client is refused', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal must come from the gateway.
    await assert.rejects(handshake(port, 'api.example.test', ca(), { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      (err: NodeJS.ErrnoException) => /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION|NO_PROTOCOLS/.test(String(err.code)));
    assert.equal((await handshake(port, 'api.example.test', ca(), { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
  });

  test('requests over TLS reach the backend with X-Forwarded-Proto: https; plain ones say http', async () => {
    const res = await httpsGet(port, '/echo/over-tls', 'api.example.test', ca());
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, '/over-tls');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    const plain = await request(gw.url('/echo/plain'));
    assert.equal(((await plain.body.json()) as { headers: Record<string, string> }).headers['x-forwarded-proto'], 'http');
  });

  test('requests over TLS are in the request log and /metrics from the first one on, before any reload', async () => {
    const res = await httpsGet(port, '/echo/logged-over-tls', 'api.example.test', ca());
    assert.equal(res.status, 200);
    const line = await gw.waitForLog((l) => l.type === 'request' && l.url === '/echo/logged-over-tls');
    assert.deepEqual([line.method, line.status, line.apiId], ['GET', 200, 'echo']);
    // The workers report their counts once a second.
    const deadline = Date.now() + 5_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();
      if (/^outpost_requests_total\{[^}]*api="echo"[^}]*\} [1-9]/m.test(text)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(text, /^outpost_requests_total\{[^}]*api="echo"[^}]*\} [1-9]/m);
  });

  test('certificate swaps on SIGHUP and on a file change, without a restart; a bad one is refused', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const openBefore = await httpsGet(port, '/echo/keep', 'api.example.test', ca(), agent);
    assert.equal(openBefore.status, 200);
    // The plain listener answers throughout.
    let plainFailures = 0;
    let plainOk = 0;
    let polling = true;
    const plainLoop = (async () => {
      while (polling) {
        try {
          const r = await request(gw.url('/echo/during'));
          await r.body.dump();
          if (r.statusCode === 200) plainOk++; else plainFailures++;
        } catch { plainFailures++; }
      }
    })();

    // SIGHUP: a new leaf for the same name.
    const second = pki.issue('api', 'api.example.test', ['api.example.test']);
    replaceFile(api.keyFile, second.keyFile);
    replaceFile(api.certFile, second.certFile);
    gw.proc.kill('SIGHUP');
    await waitForCertificate(port, 'api.example.test', ca(), second.fingerprint);

    // A file change alone: a certificate from another CA (clients trusting it see it).
    const third = other.issue('api', 'api.example.test', ['api.example.test']);
    replaceFile(api.keyFile, third.keyFile);
    replaceFile(api.certFile, third.certFile);
    await waitForCertificate(port, 'api.example.test', other.rootPem, third.fingerprint);

    // A bad replacement: a certificate with some other key. Refused on reload, the old one stays.
    const fourth = pki.issue('api', 'api.example.test', ['api.example.test']);
    const mismatched = pki.issue('mismatch', 'x', ['x.test']);
    const logsBefore = gw.logs.length;
    replaceFile(api.certFile, fourth.certFile);
    replaceFile(api.keyFile, mismatched.keyFile);
    gw.proc.kill('SIGHUP');
    const refused = await gw.waitForLog((l) => gw.logs.indexOf(l) >= logsBefore && l.msg === 'HTTPS certificate reload failed; the running certificates stay');
    assert.equal(refused.errorCode, 'OUTPOST_ERR_TLS_FILE_INVALID');
    assert.equal(refused.file, api.keyFile);
    assert.equal(refused.field, 'gateway.tls.certificates[0].keyFile');
    assert.equal((await handshake(port, 'api.example.test', other.rootPem)).fingerprint, third.fingerprint);
    const metrics = String((await opsGet(gw, '/metrics')).body.text);
    assert.match(metrics, /^outpost_https_certificate_reload_failures_total [1-9]\d*$/m);
    assert.match(metrics, new RegExp(`^outpost_https_certificate_expiry_timestamp_seconds\\{cert_file="${api.certFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\} \\d+$`, 'm'));

    // The connection opened before all this still carries requests (connections are not dropped).
    const openAfter = await httpsGet(port, '/echo/keep', 'api.example.test', ca(), agent);
    assert.equal(openAfter.status, 200);
    agent.destroy();
    polling = false;
    await plainLoop;
    assert.equal(plainFailures, 0);
    assert.ok(plainOk > 0);
    // The gateway never restarted: still the first process, still the first generation's workers.
    assert.equal(gw.proc.exitCode, null);
    assert.equal(gw.logs.filter((l) => l.msg === 'gateway started').length, 1);
  });

  test('a reloaded config that names other certificates: served; readiness lists them; a missing one is rejected', async () => {
    const fresh = pki.issue('fresh', 'fresh.example.test', ['fresh.example.test']);
    const generation = (await opsGet(gw, '/health/ready')).body.generation as number;
    gw.writeConfig(oneApiConfig(backend.url, { tls: { port: 0, certificates: [{ certFile: fresh.certFile, keyFile: fresh.keyFile }, { certFile: wild.certFile, keyFile: wild.keyFile }] } }));
    await waitForGeneration(gw, generation + 1);
    await waitForCertificate(port, 'fresh.example.test', ca(), fresh.fingerprint);
    assert.equal((await handshake(port, 'unknown.test', ca())).fingerprint, fresh.fingerprint);
    assert.equal((await handshake(port, undefined, ca())).fingerprint, fresh.fingerprint, 'no SNI: the new default');
    assert.equal((await handshake(port, 'x.wild.example.test', ca())).fingerprint, wild.fingerprint);
    const ready = (await opsGet(gw, '/health/ready')).body.https as { port: number; certificates: Array<{ certFile: string; names: string[]; sha256: string }> };
    assert.equal(ready.port, port);
    assert.deepEqual(ready.certificates.map((c) => [c.certFile, c.names, c.sha256]), [[fresh.certFile, ['fresh.example.test'], fresh.fingerprint], [wild.certFile, ['*.wild.example.test'], wild.fingerprint]]);

    const logsBefore = gw.logs.length;
    gw.writeConfig(oneApiConfig(backend.url, { tls: { port: 0, certificates: [{ certFile: join(pki.dir, 'gone.pem'), keyFile: fresh.keyFile }] } }));
    const rejected = await gw.waitForLog((l) => gw.logs.indexOf(l) >= logsBefore && l.msg === 'config reload rejected; the running config stays');
    assert.equal(rejected.errorCode, 'OUTPOST_ERR_TLS_FILE_INVALID');
    assert.equal((rejected.problems as Array<{ path: string }>)[0].path, 'gateway.tls.certificates[0].certFile');
    assert.equal((await handshake(port, 'fresh.example.test', ca())).fingerprint, fresh.fingerprint);
  });
});

describe('HTTPS listener startup', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  test('a missing certificate file stops startup (exit 1) with the field and the file named', async () => {
    const pki = new TestPki('startup');
    const leaf = pki.issue('a', 'a.test', ['a.test']);
    const missing = join(pki.dir, 'does-not-exist.pem');
    const gw = await startGateway(oneApiConfig('http://127.0.0.1:1', {
      tls: { port: 0, certificates: [{ certFile: leaf.certFile, keyFile: leaf.keyFile }, { certFile: missing, keyFile: leaf.keyFile }] },
    }), { expectFailure: true });
    assert.equal(await gw.exited, 1);
    const problem = gw.logs.find((l) => l.msg === 'config problem');
    assert.equal(problem?.errorCode, 'OUTPOST_ERR_TLS_FILE_INVALID');
    assert.equal(problem?.field, 'gateway.tls.certificates[1].certFile');
    assert.match(String(problem?.problem), new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  test('outpost validate checks the files too, one line per bad file', () => {
    const pki = new TestPki('validate');
    const leaf = pki.issue('a', 'a.test', ['a.test']);
    const other = pki.issue('b', 'b.test', ['b.test']);
    const file = join(pki.dir, 'gateway.yaml');
    writeFileSync(file, stringify(oneApiConfig('https://127.0.0.1:1', { tls: { certificates: [{ certFile: leaf.certFile, keyFile: other.keyFile }] } }, { backendTls: { caFile: join(pki.dir, 'no-ca.pem') } })));
    const r = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.slice(file.length + 2).split(':')[0]), ['apis[0].backendTls.caFile', 'gateway.tls.certificates[0].keyFile']);
    assert.match(r.stdout, /OUTPOST_ERR_TLS_FILE_INVALID/);
  });

  test('the HTTPS port is checked like the plain one: in use, the gateway does not start (exit 3)', async () => {
    const pki = new TestPki('busy');
    const leaf = pki.issue('a', 'a.test', ['a.test']);
    const holder = createNetServer();
    await new Promise<void>((r) => holder.listen(0, () => r()));
    const busy = (holder.address() as AddressInfo).port;
    try {
      const gw = await startGateway(oneApiConfig('http://127.0.0.1:1', { tls: { port: busy, certificates: [{ certFile: leaf.certFile, keyFile: leaf.keyFile }] } }), { expectFailure: true });
      assert.equal(await gw.exited, 3);
      const line = gw.logs.find((l) => l.errorCode === 'OUTPOST_ERR_PORT_IN_USE');
      assert.match(String(line?.msg), new RegExp(`HTTPS port ${busy} is already in use`));
    } finally {
      holder.close();
    }
  });

  test('TLS 1.1 as minVersion is refused as a config value', async () => {
    const gw = await startGateway(oneApiConfig('http://127.0.0.1:1', { tls: { minVersion: 'TLSv1.1', certificates: [{ certFile: '/x', keyFile: '/y' }] } }), { expectFailure: true });
    assert.equal(await gw.exited, 1);
    assert.equal(gw.logs.find((l) => l.msg === 'config problem')?.field, 'gateway.tls.minVersion');
  });
});
