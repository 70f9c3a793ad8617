/**
 * authentication-certificate through the real gateway: an https backend that requires a client
 * certificate signed by its CA sees the one named by certificate-id, or by thumbprint (APIM's
 * SHA-1 thumbprint, in an APIM XML document); without the policy the
 * handshake is refused (coded 502). A certificate whose key does not match is a config problem
 * at its field. The CA and certificates are made with the openssl CLI (skipped where missing).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compileCertificates } from '../../src/gateway/backends/client-certificates.js';
import type { ConfigProblem } from '../../src/shared/config-schema.js';
import { testTempDir } from '../support/temp-dir.js';

const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

/** A CA, a server certificate for localhost and a client certificate (CN=outpost-client), all signed by the CA. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Outpost Client Cert Test CA');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=outpost-client');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
}

describe('authentication-certificate', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const dir = testTempDir('outpost-client-cert-');
  const file = (name: string) => join(dir, name);
  let server: Server;
  let gw: GatewayProcess;

  before(async () => {
    makeCertificates(dir);
    const { readFileSync } = await import('node:fs');
    server = createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const body = JSON.stringify({ client: peer.subject?.CN ?? null, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `https://localhost:${(server.address() as AddressInfo).port}`;
    const apiOf = (id: string, inbound: unknown[] | string) => ({ id, name: id, path: id, serviceUrl: url, subscriptionRequired: false, policies: typeof inbound === 'string' ? inbound : { inbound }, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] });
    // As openssl prints it, in lowercase: APIM compares thumbprints without regard to case.
    const thumbprint = execFileSync('openssl', ['x509', '-in', file('client.pem'), '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' }).trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase();
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      certificates: [{ id: 'client', certFile: file('client.pem'), keyFile: file('client.key') }],
      apis: [
        apiOf('withcert', [{ 'authentication-certificate': { 'certificate-id': 'client' } }]),
        apiOf('without', [{ 'set-header': { name: 'x-a', value: '1' } }]),
        apiOf('bythumbprint', `<policies><inbound><authentication-certificate thumbprint="${thumbprint}" /></inbound></policies>`),
      ],
    }, { workers: 1, env: { NODE_EXTRA_CA_CERTS: file('ca.pem') } });
  });
  after(async () => {
    await gw?.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  test('the backend sees the client certificate named by certificate-id', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await request(gw.url('/withcert/x'));
      assert.equal(res.statusCode, 200);
      assert.deepEqual(await res.body.json(), { client: 'outpost-client', url: '/x' });
    }
  });

  test('the backend sees the client certificate named by its thumbprint', async () => {
    const res = await request(gw.url('/bythumbprint/y'));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { client: 'outpost-client', url: '/y' });
  });

  test('without the policy the backend refuses the handshake: a coded 502', async () => {
    const res = await request(gw.url('/without/x'));
    assert.equal(res.statusCode, 502);
    assert.match(String(res.headers['x-outpost-error']), /^OUTPOST_ERR_BACKEND_/);
    await res.body.dump();
  });

  test('files that cannot be read, or a key of another certificate, are problems at their field', () => {
    const r = validateGatewayConfig({ certificates: [
      { id: 'gone', certFile: file('nope.pem'), keyFile: file('client.key') },
      { id: 'mismatch', certFile: file('client.pem'), keyFile: file('server.key') },
    ] });
    assert.ok(r.ok);
    const problems: ConfigProblem[] = [];
    assert.equal(compileCertificates(r.config, problems).length, 0);
    assert.deepEqual(problems.map((p) => `${p.path}: ${p.message}`), [
      'certificates[0].certFile: cannot be read: ENOENT',
      'certificates[1].keyFile: is not the private key of certFile',
    ]);
  });
});
