/**
 * The policy pipeline end to end through real workers: scopes merged (YAML and XML), inbound and
 * outbound header rules, return-response and mock-response answering at the gateway, product
 * policies only for product keys, on-error shaping a backend failure, and a node-wide rate limit
 * that lets exactly its number of calls through across 4 workers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const GOLD = 'gold-key-0123456789abcdef';
const PLAIN = 'plain-key-0123456789abcdef';

describe('policies', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway({
      policies: { inbound: [{ 'set-header': { name: 'x-trace', 'exists-action': 'append', value: 'global' } }] },
      products: [{ id: 'gold', name: 'Gold', apis: ['shop'], policies: { inbound: [{ base: {} }, { 'set-header': { name: 'x-product', value: 'gold' } }] } }],
      subscriptions: [{ id: 's-gold', scope: '/products/gold', primaryKey: GOLD }, { id: 's-plain', scope: '/apis/shop', primaryKey: PLAIN }],
      apis: [
        {
          id: 'shop', name: 'Shop', path: 'shop', serviceUrl: backend.url,
          // API scope in APIM XML: the enclosing policies first, then its own.
          policies: `<policies>
            <inbound><base /><set-header name="x-trace" exists-action="append"><value>api</value></set-header></inbound>
            <outbound><base /><set-header name="x-served-by" exists-action="override"><value>outpost</value></set-header></outbound>
            <on-error><base /><set-status code="503" reason="Backend Down" /><set-header name="x-on-error" exists-action="override"><value>shaped</value></set-header></on-error>
          </policies>`,
          operations: [
            { id: 'echo', method: 'GET', urlTemplate: '/echo', policies: { inbound: [{ 'set-header': { name: 'x-trace', 'exists-action': 'append', value: 'op' } }, { base: {} }] } },
            { id: 'teapot', method: 'GET', urlTemplate: '/teapot', policies: { outbound: [{ base: {} }, { 'set-status': { code: 418, reason: "I'm a teapot" } }] } },
            { id: 'early', method: 'GET', urlTemplate: '/early', policies: { inbound: [{ 'return-response': { 'set-status': { code: 202, reason: 'Accepted' }, 'set-header': { name: 'x-early', value: 'yes' }, 'set-body': 'answered at the gateway' } }] } },
            { id: 'mock', method: 'GET', urlTemplate: '/mock', policies: '<policies><inbound><mock-response status-code="201"><body>{"mocked":true}</body></mock-response></inbound></policies>' },
            { id: 'limited', method: 'GET', urlTemplate: '/limited', policies: { inbound: [{ 'rate-limit-by-key': { calls: 50, 'renewal-period': 10, 'counter-key': 'ip', 'remaining-calls-header-name': 'x-remaining' } }] } },
          ],
        },
        {
          id: 'down', name: 'Down', path: 'down', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false,
          policies: { 'on-error': [{ 'set-status': { code: 503, reason: 'Maintenance' } }, { 'set-header': { name: 'retry-after', value: '30' } }] },
          operations: [{ id: 'any', method: 'GET', urlTemplate: '/*' }],
        },
      ],
    }, { workers: 4 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const get = async (path: string, key = PLAIN, dispatcher?: Agent) => {
    const res = await request(gw.url(path), { headers: { 'ocp-apim-subscription-key': key }, dispatcher });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('scopes merge in order, base placing the parent: operation, then global, then API', async () => {
    const r = await get('/shop/echo');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.text) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-trace'], 'op,global,api'); // append adds to the one line, as APIM
    assert.equal(seen.headers['x-product'], undefined);
    assert.equal(r.headers['x-served-by'], 'outpost');
  });

  test('product policies apply only to the product\'s keys', async () => {
    const r = await get('/shop/echo', GOLD);
    const seen = JSON.parse(r.text) as { headers: Record<string, string> };
    assert.equal(seen.headers['x-product'], 'gold');
    assert.equal(seen.headers['x-trace'], 'op,global,api'); // append adds to the one line, as APIM
  });

  test('outbound set-status changes the backend\'s status; the API\'s outbound still runs', async () => {
    const r = await get('/shop/teapot');
    assert.equal(r.status, 418);
    assert.equal(r.headers['x-served-by'], 'outpost');
  });

  test('return-response and mock-response answer at the gateway; the backend is not called', async () => {
    const before = backend.seen.length;
    const early = await get('/shop/early');
    assert.equal(early.status, 202);
    assert.equal(early.headers['x-early'], 'yes');
    assert.equal(early.text, 'answered at the gateway');
    const mock = await get('/shop/mock');
    assert.equal(mock.status, 201);
    assert.equal(mock.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(mock.text), { mocked: true });
    assert.equal(backend.seen.length, before);
  });

  test('on-error shapes a backend failure', async () => {
    const r = await request(gw.url('/down/x'));
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '30');
    assert.deepEqual(await r.body.json(), { statusCode: 502, message: 'Bad gateway: the backend could not be reached' });
  });

  test('a limit of 50 per 10 s lets exactly 50 through across 4 workers and 200 concurrent clients', async () => {
    // Start just after a window opens so the burst cannot straddle two windows.
    while (Date.now() % 10_000 > 1_000) await new Promise((r) => setTimeout(r, 50));
    const agent = new Agent({ connections: 200 });
    const results = await Promise.all(Array.from({ length: 200 }, () => get('/shop/limited', PLAIN, agent)));
    await agent.close();
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(ok.length, 50);
    assert.equal(limited.length, 150);
    const sample = limited[0];
    assert.ok(Number(sample.headers['retry-after']) >= 1 && Number(sample.headers['retry-after']) <= 10);
    assert.match(JSON.parse(sample.text).message as string, /^Rate limit is exceeded\. Try again in \d+ seconds\.$/);
    assert.deepEqual(ok.map((r) => Number(r.headers['x-remaining'])).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  });
});
