/**
 * Backend entities through the real gateway (one worker, so one set of breakers): a weighted
 * pool of two real backends, a priority pool failing over when its first member's breaker opens,
 * a single backend answering 503 OUTPOST_ERR_BACKEND_CIRCUIT_OPEN while open, credentials
 * reaching the backend, retry over a pool picking again (APIM's load-balancing pattern), and
 * authentication-basic.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

function named(name: string) {
  return (_req: unknown, res: import('node:http').ServerResponse): void => {
    const body = JSON.stringify({ backend: name });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

function api(id: string, inbound: unknown[]) {
  return { id, name: id, path: id, serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false,
    policies: { inbound }, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] };
}

describe('backend entities', () => {
  let a: TestBackend;
  let b: TestBackend;
  let flaky: TestBackend;
  let busy: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    a = await startBackend(named('a'));
    b = await startBackend(named('b'));
    flaky = await startBackend((_req, res) => { res.writeHead(500, { 'content-length': '4' }); res.end('boom'); });
    busy = await startBackend((_req, res) => { res.writeHead(503, { 'content-length': '4' }); res.end('busy'); });
    const breaker = { rules: [{ failureCondition: { count: 2, interval: 'PT1M', statusCodeRanges: [{ min: 500, max: 599 }] }, tripDuration: 'PT5M' }] };
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      namedValues: [{ name: 'b-key', value: 's3cret', secret: true }],
      backends: [
        { id: 'a', url: `${a.url}/base` },
        { id: 'b', url: b.url, credentials: { header: { 'x-backend-key': ['{{b-key}}'] }, query: { code: ['q 1'] }, authorization: { scheme: 'Bearer', parameter: 'backend-token' } } },
        { id: 'flaky', url: flaky.url, circuitBreaker: breaker },
        { id: 'weighted', type: 'pool', pool: { services: [{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }] } },
        { id: 'failover', type: 'pool', pool: { services: [{ id: 'flaky', priority: 1 }, { id: 'b', priority: 2 }] } },
        { id: 'busy', url: busy.url },
        { id: 'rr', type: 'pool', pool: { services: [{ id: 'busy' }, { id: 'a' }] } },
      ],
      apis: [
        api('weighted', [{ 'set-backend-service': { 'backend-id': 'weighted' } }]),
        api('failover', [{ 'set-backend-service': { 'backend-id': 'failover' } }]),
        api('single', [{ 'set-backend-service': { 'backend-id': 'flaky' } }]),
        api('byheader', [{ 'set-backend-service': { 'backend-id': '@(context.Request.Headers.GetValueOrDefault("x-target", "a"))' } }]),
        { ...api('retrying', []), policies: `<policies><inbound /><backend>
            <retry count="1" interval="0" first-fast-retry="true" condition="@(context.Response.StatusCode == 503)">
              <set-backend-service backend-id="rr" />
              <forward-request timeout="10" />
            </retry></backend><outbound /><on-error /></policies>` },
        api('basic', [{ 'authentication-basic': { username: 'Aladdin', password: 'open sesame' } }, { 'set-backend-service': { 'backend-id': 'a' } }]),
      ],
    }, { workers: 1 });
  });
  after(async () => { await gw?.stop(); await Promise.all([a?.close(), b?.close(), flaky?.close(), busy?.close()]); });

  async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const r = await request(gw.url(path), { headers });
    return { status: r.statusCode, body: await r.body.text(), headers: r.headers };
  }

  test('a pool shares traffic by weight among members of the same priority', async () => {
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 8; i++) {
      const r = await get('/weighted/x');
      assert.equal(r.status, 200);
      counts[(JSON.parse(r.body) as { backend: 'a' | 'b' }).backend]++;
    }
    assert.deepEqual(counts, { a: 6, b: 2 });
    assert.equal(a.seen.at(-1)!.url, '/base/x', 'the backend url path prefixes the forwarded path');
  });

  test('credentials reach the backend, replacing the client\'s own', async () => {
    const r = await get('/byheader/items?x=1', { 'x-target': 'b', 'x-backend-key': 'from-client', authorization: 'Basic client' });
    assert.equal(r.status, 200);
    const seen = b.seen.at(-1)!;
    assert.equal(seen.url, '/items?x=1&code=q%201');
    assert.equal(seen.headers['x-backend-key'], 's3cret');
    assert.equal(seen.headers.authorization, 'Bearer backend-token');
    assert.equal(seen.headers.host, `127.0.0.1:${b.port}`);
  });

  test('an expression naming an unknown backend answers from on-error with a coded 500', async () => {
    const r = await get('/byheader/x', { 'x-target': 'nope' });
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_NOT_FOUND');
  });

  test('failing statuses open the first member\'s breaker; traffic then goes to the next priority', async () => {
    const before = flaky.seen.length;
    assert.equal((await get('/failover/x')).status, 500);
    assert.equal((await get('/failover/x')).status, 500);
    for (let i = 0; i < 3; i++) {
      const r = await get('/failover/x');
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body) as { backend: string }).backend, 'b');
    }
    assert.equal(flaky.seen.length - before, 2, 'the open backend gets no more requests');
  });

  test('a single backend with an open breaker answers 503 OUTPOST_ERR_BACKEND_CIRCUIT_OPEN', async () => {
    const before = flaky.seen.length;
    const r = await get('/single/x');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_CIRCUIT_OPEN');
    assert.equal((JSON.parse(r.body) as { statusCode: number }).statusCode, 503);
    assert.equal(flaky.seen.length, before);
  });

  test('a retry over a pool picks again: the member that answered 503 is left for the other', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await get('/retrying/x');
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body) as { backend: string }).backend, 'a');
    }
    assert.equal(busy.seen.length, 2, 'smooth round-robin starts each request on the busy member');
  });

  test('authentication-basic sends Basic credentials to the backend', async () => {
    assert.equal((await get('/basic/x', { authorization: 'Bearer client-token' })).status, 200);
    assert.equal(a.seen.at(-1)!.headers.authorization, 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });
});
