/**
 * Request-shaping and limiting policies end to end through 2 real workers: rewrite-uri,
 * set-query-parameter, set-method and set-backend-service (a constant base-url, and one computed
 * by an expression) as the backend sees them; a quota
 * exhausted across workers (403, APIM's message); forward-request's timeout (504); and
 * limit-concurrency held node-wide until requests end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

describe('request policies', () => {
  let main: TestBackend;
  let other: TestBackend;
  let gw: GatewayProcess;
  /** Requests to /held wait here until the test lets them go. */
  const held: ServerResponse[] = [];

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith('/slow')) { setTimeout(() => { if (!res.destroyed) res.end('late'); }, 3_000).unref(); return; }
    if (req.url?.startsWith('/held')) { held.push(res); return; }
    echoHandler(req, res);
  };

  before(async () => {
    main = await startBackend(handler);
    other = await startBackend(echoHandler);
    gw = await startGateway({
      apis: [{
        id: 'shop', name: 'Shop', path: 'shop', serviceUrl: main.url, subscriptionRequired: false,
        operations: [
          {
            id: 'item', method: 'GET', urlTemplate: '/items/{id}',
            policies: {
              inbound: [
                { 'set-backend-service': { 'base-url': `${other.url}/base` } },
                { 'rewrite-uri': { template: '/v2/items/{id}?src=gw' } },
                { 'set-query-parameter': { name: 'added', value: 'x y' } },
                { 'set-method': 'POST' },
              ],
            },
          },
          // APIM XML form of the same kind of thing, and a quota shared by both workers.
          { id: 'quota', method: 'GET', urlTemplate: '/quota', policies: '<policies><inbound><quota calls="3" renewal-period="3600" /></inbound></policies>' },
          // APIM allows an expression in base-url (corpus 226 builds one from a variable).
          { id: 'computed', method: 'GET', urlTemplate: '/computed', policies: `<policies><inbound><set-variable name="endpoint" value="${other.url}" />`
            + '<set-backend-service base-url="@((string)context.Variables[&quot;endpoint&quot;] + &quot;/instance/&quot; + context.Request.Headers.GetValueOrDefault(&quot;x-instance&quot;, &quot;1&quot;))" /></inbound></policies>' },
          { id: 'computed-bad', method: 'GET', urlTemplate: '/computed-bad', policies: '<policies><inbound><set-backend-service base-url="@(&quot;ftp://&quot; + context.Request.Headers.GetValueOrDefault(&quot;host&quot;, &quot;&quot;))" /></inbound></policies>' },
          { id: 'slow', method: 'GET', urlTemplate: '/slow', policies: { backend: [{ 'forward-request': { timeout: 1 } }] } },
          { id: 'held', method: 'GET', urlTemplate: '/held', policies: { inbound: [{ 'limit-concurrency': { key: 'ip', 'max-count': 2 } }] } },
        ],
      }],
    }, { workers: 2 });
  });
  after(async () => {
    for (const res of held) res.end();
    await gw?.stop();
    await main?.close();
    await other?.close();
  });

  const get = async (path: string, dispatcher?: Agent) => {
    const res = await request(gw.url(path), { dispatcher });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('rewrite-uri, set-query-parameter, set-method and set-backend-service reach the backend', async () => {
    const before = main.seen.length;
    const r = await get('/shop/items/a%20b?keep=1');
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.text) as { method: string; url: string; headers: Record<string, string> };
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/base/v2/items/a%20b?src=gw&keep=1&added=x%20y');
    assert.equal(seen.headers.host, `127.0.0.1:${other.port}`);
    assert.equal(main.seen.length, before); // the API's own backend was not called
  });

  test('a base-url computed per request reaches that backend; a result that is no http(s) URL fails coded', async () => {
    for (const instance of ['1', '2']) {
      const r = await request(gw.url('/shop/computed'), { headers: { 'x-instance': instance } });
      assert.equal(r.statusCode, 200);
      const seen = await r.body.json() as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, `/instance/${instance}/computed`);
      assert.equal(seen.headers.host, `127.0.0.1:${other.port}`);
    }
    const bad = await get('/shop/computed-bad');
    assert.equal(bad.status, 500);
    assert.equal(bad.headers['x-outpost-error'], 'OUTPOST_ERR_POLICY_FAILED');
  });

  test('a quota is shared by both workers; over it, 403 with APIM\'s message', async () => {
    const agent = new Agent({ connections: 10 });
    const results = await Promise.all(Array.from({ length: 8 }, () => get('/shop/quota', agent)));
    await agent.close();
    assert.equal(results.filter((r) => r.status === 200).length, 3);
    const rejected = results.filter((r) => r.status === 403);
    assert.equal(rejected.length, 5);
    assert.equal(rejected[0].headers['x-outpost-error'], 'OUTPOST_ERR_QUOTA_EXCEEDED');
    const body = JSON.parse(rejected[0].text) as { statusCode: number; message: string };
    assert.equal(body.statusCode, 403);
    assert.match(body.message, /^Out of call volume quota\. Quota will be replenished in \d\d:\d\d:\d\d\.$/);
  });

  test('forward-request timeout: a backend slower than it gets 504', async () => {
    const started = Date.now();
    const r = await get('/shop/slow');
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_TIMEOUT');
    assert.equal(JSON.parse(r.text).statusCode, 504);
    assert.ok(Date.now() - started < 2_500, 'answered at the 1 s timeout, not when the backend did');
  });

  test('limit-concurrency holds node-wide until requests end', async () => {
    const agent = new Agent({ connections: 10 });
    const first = [get('/shop/held', agent), get('/shop/held', agent)];
    while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
    const over = await Promise.all([get('/shop/held', agent), get('/shop/held', agent), get('/shop/held', agent)]);
    for (const r of over) {
      assert.equal(r.status, 429);
      assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_CONCURRENCY_LIMITED');
    }
    held.splice(0).forEach((res) => res.end('done'));
    assert.deepEqual((await Promise.all(first)).map((r) => r.status), [200, 200]);
    // Both slots are back: two more are let through.
    const again = [get('/shop/held', agent), get('/shop/held', agent)];
    while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
    held.splice(0).forEach((res) => res.end('done'));
    assert.deepEqual((await Promise.all(again)).map((r) => r.status), [200, 200]);
    await agent.close();
  });
});
