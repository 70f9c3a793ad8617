/**
 * Backend TLS against a real backend that requires a client certificate (node:https with
 * requestCert + rejectUnauthorized), its own certificate signed by a private CA: with the CA
 * (apis[].backendTls.caFile) and a client certificate the request passes and the backend sees
 * the certificate; without a client certificate, or trusting the wrong CA, the client gets a
 * coded 502; insecureSkipVerify passes and is logged at WARN naming the API; the global
 * gateway.upstream.tls applies to APIs without their own, and an API's own replaces it whole. All APIs share one backend origin, so
 * this also checks that each TLS profile gets its own connections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { hasOpenssl, TestPki, type Leaf } from '../support/test-pki.js';

describe('backend TLS and mTLS', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  let serverPki: TestPki;
  let clientPki: TestPki;
  let strangerPki: TestPki;
  let client: Leaf;
  let server: Server;
  let url: string;
  let gw: GatewayProcess;

  const api = (id: string, backendTls?: Record<string, unknown>) => ({
    id, name: id, path: id, serviceUrl: `${url}/base`, subscriptionRequired: false,
    operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    ...(backendTls !== undefined ? { backendTls } : {}),
  });

  before(async () => {
    serverPki = new TestPki('backend');
    clientPki = new TestPki('gateway-client');
    strangerPki = new TestPki('stranger');
    const serverLeaf = serverPki.issue('server', 'localhost', ['localhost'], ['127.0.0.1']);
    client = clientPki.issue('client', 'outpost-gateway', ['outpost-gateway']);
    server = createServer({
      key: readFileSync(serverLeaf.keyFile), cert: readFileSync(serverLeaf.certFile),
      ca: clientPki.rootPem, requestCert: true, rejectUnauthorized: true,
    }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const body = JSON.stringify({ url: req.url, clientCn: peer.subject?.CN ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
    const mtls = { caFile: serverPki.rootFile, certFile: client.certFile, keyFile: client.keyFile };
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5, upstream: { tls: mtls } },
      apis: [
        api('mtls', mtls),
        api('nocert', { caFile: serverPki.rootFile }),
        api('wrongca', { caFile: strangerPki.rootFile, certFile: client.certFile, keyFile: client.keyFile }),
        api('insecure', { insecureSkipVerify: true, certFile: client.certFile, keyFile: client.keyFile }),
        api('global'),
      ],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function get(path: string): Promise<{ status: number; error: string | undefined; body: string }> {
    const res = await request(gw.url(path));
    return { status: res.statusCode, error: res.headers['x-outpost-error'] as string | undefined, body: await res.body.text() };
  }

  test('with the CA and a client certificate: proxied, and the backend sees the certificate', async () => {
    for (const path of ['/mtls/a', '/mtls/b']) {
      const res = await get(path);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { url: `/base/${path.split('/')[2]}`, clientCn: 'outpost-gateway' });
    }
  });

  test('without a client certificate: 502 OUTPOST_ERR_BACKEND_TLS', async () => {
    const res = await get('/nocert/a');
    assert.equal(res.status, 502);
    assert.equal(res.error, 'OUTPOST_ERR_BACKEND_TLS');
    assert.equal(JSON.parse(res.body).statusCode, 502);
    // The operator learns why from the log (the client only gets the code).
    const line = await gw.waitForLog((l) => l.msg === 'TLS connection to a backend failed' && /CERTIFICATE_REQUIRED/.test(String(l.cause)));
    assert.equal(line.errorCode, 'OUTPOST_ERR_BACKEND_TLS');
    assert.equal(line.origin, url);
  });

  test('trusting the wrong CA: 502 OUTPOST_ERR_BACKEND_TLS', async () => {
    const res = await get('/wrongca/a');
    assert.equal(res.status, 502);
    assert.equal(res.error, 'OUTPOST_ERR_BACKEND_TLS');
  });

  test('insecureSkipVerify: proxied without verification, and a WARN line names the API', async () => {
    const res = await get('/insecure/a');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).clientCn, 'outpost-gateway');
    const warn = gw.logs.find((l) => l.level === 'warn' && l.api === 'insecure');
    assert.ok(warn, 'a WARN line naming the API');
    assert.equal(warn.field, 'apis[3].backendTls.insecureSkipVerify');
    assert.equal(gw.logs.filter((l) => l.level === 'warn' && String(l.msg).includes('insecureSkipVerify')).length, 1);
  });

  test('gateway.upstream.tls applies to an API without backendTls', async () => {
    const res = await get('/global/a');
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).clientCn, 'outpost-gateway');
  });

  test('a backend CA file that is missing stops startup (exit 1), naming the field and the file', async () => {
    const missing = join(serverPki.dir, 'missing-ca.pem');
    const bad = await startGateway({ apis: [api('x', { caFile: missing })] }, { workers: 1, expectFailure: true });
    assert.equal(await bad.exited, 1);
    const problem = bad.logs.find((l) => l.msg === 'config problem');
    assert.equal(problem?.errorCode, 'OUTPOST_ERR_TLS_FILE_INVALID');
    assert.equal(problem?.field, 'apis[0].backendTls.caFile');
    assert.ok(String(problem?.problem).includes(missing));
  });
});
