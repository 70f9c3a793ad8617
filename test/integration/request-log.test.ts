/**
 * Request logs: one JSON line per request with exactly the documented fields, no subscription key
 * (header or query), no Authorization value, no credential-looking query value; the correlation
 * id goes client → backend → response (or is generated); an API with `requestLog: false` and a
 * sample of 0 write none.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, waitForGeneration, type GatewayProcess, type LogLine } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { freshGet } from '../support/http-get.js';

const KEY = 'k3y-0f-acme-subscription-1234';
const BEARER = 'Bearer eyJhbGciOi.secret-bearer-value';
const TOKEN = 'query-token-value-42';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FIELDS = ['type', 'time', 'correlationId', 'method', 'url', 'status', 'backendStatus', 'totalMs', 'backendMs', 'requestBytes',
  'responseBytes', 'apiId', 'operationId', 'productId', 'subscriptionId', 'clientIp', 'cache', 'errorCode'];

let backend: TestBackend;
let gw: GatewayProcess;

function config(requestLog: Record<string, unknown>): object {
  return {
    gateway: { drainTimeoutSeconds: 5, requestLog },
    apis: [
      { id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, operations: [{ id: 'get', method: 'GET', urlTemplate: '/*' }] },
      { id: 'quiet', name: 'Quiet', path: 'quiet', serviceUrl: backend.url, subscriptionRequired: false, requestLog: false, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] },
    ],
    products: [{ id: 'gold', name: 'Gold', apis: ['orders'] }],
    subscriptions: [{ id: 'acme', scope: '/products/gold', primaryKey: KEY }],
  };
}

before(async () => {
  backend = await startBackend(echoHandler);
  gw = await startGateway(config({}), { workers: 2 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

const requestLines = (): LogLine[] => gw.logs.filter((l) => (l as { type?: unknown }).type === 'request');

async function waitForLines(n: number): Promise<LogLine[]> {
  for (const deadline = Date.now() + 5_000; requestLines().length < n && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  return requestLines();
}

test('one JSON line per request, secrets absent, correlation id round trip', async () => {
  const withHeaderKey = await freshGet(gw.url('/orders/a/1'), { 'ocp-apim-subscription-key': KEY, authorization: BEARER, 'x-request-id': 'client-id-123' });
  assert.equal(withHeaderKey.status, 200);
  assert.equal(withHeaderKey.headers['x-request-id'], 'client-id-123');
  const sawFirst = backend.seen.at(-1)!;
  assert.equal(sawFirst.headers['x-request-id'], 'client-id-123');

  const withQueryKey = await freshGet(gw.url(`/orders/b?subscription-key=${KEY}&x=1&access_token=${TOKEN}`));
  assert.equal(withQueryKey.status, 200);
  const generated = withQueryKey.headers['x-request-id'] as string;
  assert.match(generated, UUID);
  assert.equal(backend.seen.at(-1)!.headers['x-request-id'], generated);

  const badId = await freshGet(gw.url('/orders/c'), { 'ocp-apim-subscription-key': KEY, 'x-request-id': 'has spaces "and quotes"' });
  assert.match(badId.headers['x-request-id'] as string, UUID);

  const missingKey = await freshGet(gw.url('/orders/d'), { authorization: BEARER });
  assert.equal(missingKey.status, 401);
  assert.match(missingKey.headers['x-request-id'] as string, UUID);
  const unmatched = await freshGet(gw.url(`/nowhere?subscription-key=${KEY}`));
  assert.equal(unmatched.status, 404);
  const quiet = await freshGet(gw.url('/quiet/x'));
  assert.equal(quiet.status, 200);

  const lines = await waitForLines(5);
  await new Promise((r) => setTimeout(r, 300)); // nothing more comes (the quiet API writes none)
  assert.equal(requestLines().length, 5);
  assert.deepEqual(gw.badLines, []);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), FIELDS);
    const text = JSON.stringify(line);
    for (const secret of [KEY, BEARER, 'secret-bearer-value', TOKEN]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  }
  const byId = new Map(lines.map((l) => [l.correlationId, l]));
  const first = byId.get('client-id-123')!;
  assert.equal(first.method, 'GET');
  assert.equal(first.url, '/orders/a/1');
  assert.equal(first.status, 200);
  assert.equal(first.backendStatus, 200);
  assert.equal(first.apiId, 'orders');
  assert.equal(first.operationId, 'get');
  assert.equal(first.subscriptionId, 'acme');
  assert.equal(first.productId, 'gold');
  assert.equal(first.clientIp, '127.0.0.1');
  assert.equal(first.errorCode, null);
  assert.ok(typeof first.totalMs === 'number' && typeof first.backendMs === 'number' && first.backendMs <= first.totalMs);
  assert.ok((first.requestBytes as number) > 0 && (first.responseBytes as number) > 0);
  assert.ok(!Number.isNaN(Date.parse(first.time as unknown as string)));
  assert.equal(byId.get(generated)!.url, '/orders/b?x=1&access_token=REDACTED');
  const refused = lines.find((l) => l.status === 401)!;
  assert.equal(refused.errorCode, 'OUTPOST_ERR_SUBSCRIPTION_KEY_MISSING');
  assert.equal(refused.backendStatus, null);
  assert.equal(refused.backendMs, null);
  const notFound = lines.find((l) => l.status === 404)!;
  assert.equal(notFound.apiId, null);
  assert.equal(notFound.url, '/nowhere');
  assert.equal(notFound.errorCode, 'OUTPOST_ERR_ROUTE_NOT_FOUND');
});

test('sample 0 writes no request line; requests still answered', async () => {
  gw.writeConfig(config({ sample: 0 }));
  await waitForGeneration(gw, 2);
  const before = requestLines().length;
  for (let i = 0; i < 5; i++) assert.equal((await freshGet(gw.url(`/orders/s/${i}`), { 'ocp-apim-subscription-key': KEY })).status, 200);
  await new Promise((r) => setTimeout(r, 400)); // batches go out every 100 ms
  assert.equal(requestLines().length, before);
});
