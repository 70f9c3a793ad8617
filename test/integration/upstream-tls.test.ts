/**
 * An https backend signed by a private CA: trusted through NODE_EXTRA_CA_CERTS (Node's CA store,
 * which the upstream client's tls.connect uses, as undici's did), it is proxied over one reused
 * TLS connection; without the CA the certificate is refused and the client gets a coded 502.
 * The CA and the certificate are made here with the openssl CLI (skipped where it is missing).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { testTempDir } from '../support/temp-dir.js';

const hasOpenssl = (() => {
  try { execFileSync('openssl', ['version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

function makeCertificates(dir: string): { caFile: string; key: string; cert: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Outpost Upstream Test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8') };
}

describe('https backend with a private CA', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const dir = testTempDir('outpost-upstream-tls-');
  let server: Server;
  let connections = 0;
  let url: string;
  let caFile: string;
  const gateways: GatewayProcess[] = [];

  before(async () => {
    const certs = makeCertificates(dir);
    caFile = certs.caFile;
    server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
      const body = JSON.stringify({ url: req.url, host: req.headers.host });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.on('secureConnection', () => { connections++; });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const gw of gateways) await gw.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  test('with the CA trusted: proxied over TLS (SNI localhost), one connection reused', async () => {
    const gw = await startGateway(oneApiConfig(`${url}/base`), { workers: 1, env: { NODE_EXTRA_CA_CERTS: caFile } });
    gateways.push(gw);
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const res = await request(gw.url(`/echo/item/${i}`));
      assert.equal(res.statusCode, 200);
      const body = await res.body.json() as { url: string; host: string };
      assert.equal(body.url, `/base/item/${i}`);
    }
    assert.equal(connections - before, 1);
  });

  test('without it: the certificate is refused, 502 OUTPOST_ERR_BACKEND_TLS', async () => {
    const gw = await startGateway(oneApiConfig(url), { workers: 1 });
    gateways.push(gw);
    const res = await request(gw.url('/echo/x'));
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_TLS');
    await res.body.dump();
  });
});
