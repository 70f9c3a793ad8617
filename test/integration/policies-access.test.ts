/**
 * Access policies end to end through a real gateway with 2 workers: ip-filter (CIDR allow and
 * forbid, a client behind a trusted proxy, a forged X-Forwarded-For), CORS (preflight answered at
 * the gateway without calling the backend, actual requests getting the headers), check-header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const APP = 'https://app.example';

describe('access policies', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway({
      // The test client plays a load balancer: its X-Forwarded-For is only believed from a trusted proxy.
      gateway: { trustedProxies: ['127.0.0.1', '::1'] },
      apis: [{
        id: 'access', name: 'Access', path: 'access', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'allow', method: 'GET', urlTemplate: '/allow', policies: { inbound: [{ 'ip-filter': { action: 'allow', address: ['127.0.0.0/8', '::1'] } }] } },
          { id: 'forbid', method: 'GET', urlTemplate: '/forbid', policies: '<policies><inbound><ip-filter action="forbid"><address>127.0.0.0/8</address><address>::1</address></ip-filter></inbound></policies>' },
          // The test client plays the trusted proxy (the gateway's peer): it writes the client's address into X-Forwarded-For.
          { id: 'proxied', method: 'GET', urlTemplate: '/proxied', policies: { inbound: [{ 'ip-filter': { action: 'allow', 'trusted-proxy-hops': 1, address: '198.51.100.0/24' } }] } },
          {
            id: 'cors', method: '*', urlTemplate: '/cors/*',
            policies: `<policies><inbound>
              <cors allow-credentials="true">
                <allowed-origins><origin>${APP}</origin></allowed-origins>
                <allowed-methods preflight-result-max-age="300"><method>GET</method><method>PUT</method></allowed-methods>
                <allowed-headers><header>content-type</header><header>x-api-version</header></allowed-headers>
                <expose-headers><header>x-request-id</header></expose-headers>
              </cors>
            </inbound></policies>`,
          },
          {
            id: 'checked', method: 'GET', urlTemplate: '/checked',
            policies: { inbound: [{ 'check-header': { name: 'X-Api-Version', 'failed-check-httpcode': 400, 'failed-check-error-message': 'Unsupported API version', 'ignore-case': true, value: ['v1', 'v2'] } }] },
          },
        ],
      }],
    }, { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const call = async (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) => {
    const res = await request(gw.url(path), { method: (opts.method ?? 'GET') as 'GET', headers: opts.headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('ip-filter with a CIDR: allow lets the local client through, forbid refuses it with 403 and the code', async () => {
    assert.equal((await call('/access/allow')).status, 200);
    const r = await call('/access/forbid');
    assert.equal(r.status, 403);
    assert.deepEqual(JSON.parse(r.text), { statusCode: 403, message: 'Forbidden' });
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_IP_FORBIDDEN');
  });

  test('ip-filter behind a trusted proxy filters the real client; a forged leftmost X-Forwarded-For does not bypass', async () => {
    const before = backend.seen.length;
    assert.equal((await call('/access/proxied', { headers: { 'x-forwarded-for': '198.51.100.5' } })).status, 200);
    // A client outside the range (203.0.113.7) sends a forged allowed address; the proxy appends the real one.
    const forged = await call('/access/proxied', { headers: { 'x-forwarded-for': '198.51.100.5, 203.0.113.7' } });
    assert.equal(forged.status, 403);
    assert.equal(forged.headers['x-outpost-error'], 'OUTPOST_ERR_IP_FORBIDDEN');
    // Not through the proxy at all (no entry left of the peer): refused.
    assert.equal((await call('/access/proxied')).status, 403);
    assert.equal(backend.seen.length, before + 1);
  });

  test('a CORS preflight is answered at the gateway with the Access-Control-* headers; the backend is not called', async () => {
    const before = backend.seen.length;
    const r = await call('/access/cors/items', {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-api-version' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], APP);
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(r.headers['access-control-allow-headers'], 'content-type, x-api-version');
    assert.equal(r.headers['access-control-max-age'], '300');
    assert.equal(r.headers.vary, 'Origin');
    const denied = await call('/access/cors/items', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
    assert.equal(denied.status, 200);
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
    assert.equal(backend.seen.length, before);
  });

  test('an actual CORS request reaches the backend and gets the CORS headers on its response', async () => {
    const before = backend.seen.length;
    const r = await call('/access/cors/items', { headers: { origin: APP } });
    assert.equal(r.status, 200);
    assert.equal(backend.seen.length, before + 1);
    assert.equal(r.headers['access-control-allow-origin'], APP);
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.equal(r.headers['access-control-expose-headers'], 'x-request-id');
    assert.equal(r.headers.vary, 'Origin');
  });

  test('check-header rejects a missing or wrong value with the configured status and message, accepts a listed one', async () => {
    const missing = await call('/access/checked');
    assert.equal(missing.status, 400);
    assert.deepEqual(JSON.parse(missing.text), { statusCode: 400, message: 'Unsupported API version' });
    assert.equal(missing.headers['x-outpost-error'], 'OUTPOST_ERR_HEADER_CHECK_FAILED');
    assert.equal((await call('/access/checked', { headers: { 'x-api-version': 'v3' } })).status, 400);
    const ok = await call('/access/checked', { headers: { 'x-api-version': 'V2' } });
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.text) as { headers: Record<string, string> }).headers['x-api-version'], 'V2');
  });
});
