/**
 * Subscription keys end to end, through real workers: every 401/403 case with APIM's words,
 * header and query keys (header wins), renamed key names, hashed keys, and keys never forwarded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const KEYS = {
  gold: 'gold-key-0123456789abcdef', api: 'api-key-0123456789abcdef', all: 'all-key-0123456789abcdef',
  other: 'other-key-0123456789abcdef', suspended: 'susp-key-0123456789abcdef', expired: 'expd-key-0123456789abcdef',
  hashed: 'hashed-key-0123456789abcdef', secondary: 'second-key-0123456789abcdef',
};
const sha = (k: string) => `sha256:${createHash('sha256').update(k).digest('hex')}`;
const MISSING = 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
const INVALID = 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';

describe('subscription keys', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    const op = [{ id: 'any', method: '*', urlTemplate: '/*' }];
    gw = await startGateway({
      apis: [
        { id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, operations: op },
        { id: 'other', name: 'Other', path: 'other', serviceUrl: backend.url, operations: op },
        { id: 'renamed', name: 'Renamed', path: 'renamed', serviceUrl: backend.url, operations: op, subscriptionKeyParameterNames: { header: 'X-Api-Key', query: 'apikey' } },
        { id: 'open', name: 'Open', path: 'open', serviceUrl: backend.url, operations: op, subscriptionRequired: false },
      ],
      products: [{ id: 'gold', name: 'Gold', apis: ['orders', 'renamed'] }],
      subscriptions: [
        { id: 's-gold', scope: '/products/gold', primaryKey: KEYS.gold },
        { id: 's-api', scope: '/apis/orders', primaryKey: KEYS.api, secondaryKey: KEYS.secondary },
        { id: 's-all', scope: '/apis', primaryKey: KEYS.all },
        { id: 's-other', scope: '/apis/other', primaryKey: KEYS.other },
        { id: 's-suspended', scope: '/apis', primaryKey: KEYS.suspended, state: 'suspended' },
        { id: 's-expired', scope: '/apis', primaryKey: KEYS.expired, expiresAt: '2020-01-01T00:00:00Z' },
        { id: 's-hashed', scope: '/apis/orders', primaryKey: sha(KEYS.hashed) },
      ],
    }, { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  async function call(path: string, headers: Record<string, string> = {}) {
    const res = await request(gw.url(path), { headers });
    const text = await res.body.text();
    return { status: res.statusCode, code: res.headers['x-outpost-error'], body: JSON.parse(text) as Record<string, unknown> };
  }

  test('missing key → 401 with APIM\'s message', async () => {
    const r = await call('/orders/x');
    assert.equal(r.status, 401);
    assert.equal(r.code, 'OUTPOST_ERR_SUBSCRIPTION_KEY_MISSING');
    assert.deepEqual(r.body, { statusCode: 401, message: MISSING });
  });

  test('unknown key → 401; key of another API → 401', async () => {
    const unknown = await call('/orders/x', { 'ocp-apim-subscription-key': 'no-such-key-0123456789' });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.code, 'OUTPOST_ERR_SUBSCRIPTION_KEY_INVALID');
    assert.deepEqual(unknown.body, { statusCode: 401, message: INVALID });
    const wrong = await call('/orders/x', { 'ocp-apim-subscription-key': KEYS.other });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.code, 'OUTPOST_ERR_SUBSCRIPTION_KEY_WRONG_SCOPE');
    assert.deepEqual(wrong.body, { statusCode: 401, message: INVALID });
  });

  test('suspended or expired → 403', async () => {
    for (const key of [KEYS.suspended, KEYS.expired]) {
      const r = await call('/orders/x', { 'ocp-apim-subscription-key': key });
      assert.equal(r.status, 403);
      assert.equal(r.code, 'OUTPOST_ERR_SUBSCRIPTION_INACTIVE');
    }
  });

  test('product, API, all-APIs, secondary and hashed keys are accepted; the key never reaches the backend', async () => {
    for (const key of [KEYS.gold, KEYS.api, KEYS.all, KEYS.secondary, KEYS.hashed]) {
      const r = await call('/orders/x', { 'Ocp-Apim-Subscription-Key': key });
      assert.equal(r.status, 200, key);
      const headers = r.body.headers as Record<string, string>;
      assert.equal(headers['ocp-apim-subscription-key'], undefined);
    }
  });

  test('query key works and is removed; the header wins over the query', async () => {
    const q = await call(`/orders/x?a=1&subscription-key=${KEYS.api}&b=2`);
    assert.equal(q.status, 200);
    assert.equal(q.body.url, '/x?a=1&b=2');
    const headerWins = await call('/orders/x?subscription-key=bogus-key-0123456789', { 'ocp-apim-subscription-key': KEYS.api });
    assert.equal(headerWins.status, 200);
    assert.equal(headerWins.body.url, '/x');
    const headerBad = await call(`/orders/x?subscription-key=${KEYS.api}`, { 'ocp-apim-subscription-key': 'bogus-key-0123456789' });
    assert.equal(headerBad.status, 401);
  });

  test('key names can be renamed per API', async () => {
    const byHeader = await call('/renamed/x', { 'x-api-key': KEYS.gold });
    assert.equal(byHeader.status, 200);
    assert.equal((byHeader.body.headers as Record<string, string>)['x-api-key'], undefined);
    const byQuery = await call(`/renamed/x?apikey=${KEYS.gold}`);
    assert.equal(byQuery.status, 200);
    assert.equal(byQuery.body.url, '/x');
    const oldName = await call('/renamed/x', { 'ocp-apim-subscription-key': KEYS.gold });
    assert.equal(oldName.status, 401);
    assert.equal(oldName.code, 'OUTPOST_ERR_SUBSCRIPTION_KEY_MISSING');
  });

  test('an open API needs no key; a key sent to it is still stripped', async () => {
    const none = await call('/open/x');
    assert.equal(none.status, 200);
    const bogus = await call('/open/x?subscription-key=whatever-0123456789', { 'ocp-apim-subscription-key': 'bogus-key-0123456789' });
    assert.equal(bogus.status, 200);
    assert.equal(bogus.body.url, '/x');
    assert.equal((bogus.body.headers as Record<string, string>)['ocp-apim-subscription-key'], undefined);
  });

  test('keys never appear in logs', () => {
    const all = JSON.stringify(gw.logs);
    for (const key of Object.values(KEYS)) assert.equal(all.includes(key), false, key);
  });
});
