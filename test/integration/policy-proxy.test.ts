/**
 * The proxy policy through real workers: a real forward proxy written here (absolute-form for http
 * backends, CONNECT for https ones, Basic credentials checked), a plain backend and an https
 * backend signed by a private CA (made with the openssl CLI; skipped where it is missing). The
 * backends see the requests; the proxy sees the absolute URL or the CONNECT with the credentials;
 * a refused tunnel is a coded 502.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { echoHandler, startBackend, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

function makeCertificates(dir: string): { caFile: string; key: string; cert: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Outpost Proxy Test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') };
}

const GOOD = `Basic ${Buffer.from('gw:s3cret').toString('base64')}`;

/** A forward proxy: what it saw, in order. */
interface ProxySeen { kind: 'absolute' | 'connect'; target: string; auth: string | null }

async function startProxy(seen: ProxySeen[]): Promise<{ server: HttpServer; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    seen.push({ kind: 'absolute', target: req.url ?? '', auth: req.headers['proxy-authorization'] ?? null });
    if (req.headers['proxy-authorization'] !== GOOD) { res.writeHead(407, { 'proxy-authenticate': 'Basic' }); res.end(); return; }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(req.url!, { method: req.method, headers }, (up) => { res.writeHead(up.statusCode ?? 502, up.headers); up.pipe(res); });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket) => {
    seen.push({ kind: 'connect', target: req.url ?? '', auth: req.headers['proxy-authorization'] ?? null });
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (req.headers['proxy-authorization'] !== GOOD) { client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'); return; }
    const [host, port] = (req.url ?? '').split(':');
    const backend = connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      backend.pipe(client);
      client.pipe(backend);
    });
    sockets.add(backend);
    backend.on('close', () => { sockets.delete(backend); client.destroy(); });
    backend.on('error', () => client.destroy());
    client.on('error', () => backend.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

describe('proxy: the forward goes through an HTTP proxy', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const dir = testTempDir('outpost-proxy-');
  const seen: ProxySeen[] = [];
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let plain: TestBackend;
  let secure: HttpsServer;
  let securePort = 0;
  let gw: GatewayProcess;

  before(async () => {
    const certs = makeCertificates(dir);
    proxy = await startProxy(seen);
    plain = await startBackend(echoHandler);
    secure = createHttpsServer({ key: certs.key, cert: certs.cert }, (req, res) => {
      const body = JSON.stringify({ url: req.url, proxyAuth: req.headers['proxy-authorization'] ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', () => r()));
    securePort = (secure.address() as AddressInfo).port;
    const via = (password: string) => `<policies><inbound><proxy url="http://127.0.0.1:${proxy.port}" username="gw" password="${password}" /></inbound></policies>`;
    const anyOp = [{ id: 'any', method: '*', urlTemplate: '/*' }];
    gw = await startGateway({
      apis: [
        { id: 'plain', name: 'Plain', path: 'plain', serviceUrl: `${plain.url}/base`, subscriptionRequired: false, operations: anyOp, policies: via('s3cret') },
        { id: 'secure', name: 'Secure', path: 'secure', serviceUrl: `https://localhost:${securePort}/base`, subscriptionRequired: false, operations: anyOp, policies: via('s3cret') },
        { id: 'refused', name: 'Refused', path: 'refused', serviceUrl: `https://localhost:${securePort}/base`, subscriptionRequired: false, operations: anyOp, policies: via('wrong') },
      ],
    }, { workers: 1, env: { NODE_EXTRA_CA_CERTS: certs.caFile } });
  });
  after(async () => {
    await gw?.stop();
    for (const s of proxy?.sockets ?? []) s.destroy();
    proxy?.server.closeAllConnections();
    await new Promise<void>((r) => (proxy ? proxy.server.close(() => r()) : r()));
    secure?.closeAllConnections();
    await new Promise<void>((r) => (secure ? secure.close(() => r()) : r()));
    await plain?.close();
  });

  test('http backend: absolute-form requests with the credentials; the backend never sees them', async () => {
    for (const i of [1, 2]) {
      const res = await request(gw.url(`/plain/item/${i}?q=1`));
      assert.equal(res.statusCode, 200);
      const body = await res.body.json() as { url: string; headers: Record<string, string> };
      assert.equal(body.url, `/base/item/${i}?q=1`);
      assert.equal(body.headers['proxy-authorization'], undefined);
    }
    const absolute = seen.filter((s) => s.kind === 'absolute');
    assert.deepEqual(absolute.map((s) => s.target), [`${plain.url}/base/item/1?q=1`, `${plain.url}/base/item/2?q=1`]);
    assert.ok(absolute.every((s) => s.auth === GOOD));
  });

  test('https backend: a CONNECT tunnel with the credentials, TLS to the backend inside it', async () => {
    const before = seen.length;
    const res = await request(gw.url('/secure/x'));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { url: '/base/x', proxyAuth: null });
    const tunnel = seen.slice(before);
    assert.deepEqual(tunnel, [{ kind: 'connect', target: `localhost:${securePort}`, auth: GOOD }]);
    // The tunnel is a keep-alive connection like any other: a second request reuses it.
    const again = await request(gw.url('/secure/y'));
    assert.equal(again.statusCode, 200);
    await again.body.text();
    assert.equal(seen.length, before + 1);
  });

  test('a tunnel the proxy refuses (407) is a coded 502', async () => {
    const res = await request(gw.url('/refused/x'));
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_UNREACHABLE');
    await res.body.text();
  });
});
