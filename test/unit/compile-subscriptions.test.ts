import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compileTable } from '../../src/gateway/router/compile-table.js';
import { SharedRouteTable } from '../../src/gateway/router/shared-table.js';
import { takeQueryParam } from '../../src/shared/query-string.js';

const KEY = 'plain-text-key-0123456789';

test('the compiled table holds key hashes only, never the plain key', () => {
  const result = validateGatewayConfig({
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }] }],
    subscriptions: [{ id: 's', scope: '/apis/a', primaryKey: KEY }],
  });
  assert.ok(result.ok);
  const bytes = compileTable(result.config);
  assert.equal(Buffer.from(bytes).includes(Buffer.from(KEY)), false);
  const meta = new SharedRouteTable(bytes.buffer as ArrayBuffer).meta;
  assert.deepEqual(meta.subscriptions[0].keyHashes, [createHash('sha256').update(KEY).digest('hex')]);
  assert.equal(meta.subscriptions[0].scope, 'api');
  assert.equal(meta.subscriptions[0].target, 'a');
});

test('takeQueryParam finds, decodes and removes the key parameter', () => {
  assert.deepEqual(takeQueryParam('a=1&subscription-key=k%20y&b=2', 'subscription-key'), { value: 'k y', rest: 'a=1&b=2' });
  assert.deepEqual(takeQueryParam('subscription-key=first&subscription-key=second', 'subscription-key'), { value: 'first', rest: '' });
  assert.equal(takeQueryParam('a=1&b=2', 'subscription-key'), null);
  assert.equal(takeQueryParam('my-subscription-key=x', 'subscription-key'), null);
});

test('the index finds plain and hashed keys by their UTF-8 SHA-256, non-ASCII keys included', async () => {
  const { SubscriptionIndex } = await import('../../src/gateway/subscriptions/subscription-index.js');
  const accented = 'cl\u00e9-\u20ac-0123456789';
  const hashedOnly = 'given-only-as-a-hash-0123';
  const result = validateGatewayConfig({
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: true, operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }] }],
    subscriptions: [
      { id: 's1', scope: '/apis/a', primaryKey: KEY, secondaryKey: accented },
      { id: 's2', scope: '/apis/a', primaryKeyHash: `sha256:${createHash('sha256').update(hashedOnly, 'utf8').digest('hex')}` },
    ],
  });
  assert.ok(result.ok);
  const meta = new SharedRouteTable(compileTable(result.config).buffer as ArrayBuffer).meta;
  const index = new SubscriptionIndex(meta.subscriptions);
  const api = meta.apis.get(0);
  assert.equal(api.id, 'a');
  const lookup = (key: string) => {
    const { result: r } = index.check(api, ['ocp-apim-subscription-key', key], '', Date.now());
    return r.ok ? r.subscription?.id ?? null : r.code;
  };
  assert.equal(lookup(KEY), 's1');
  assert.equal(lookup(accented), 's1');
  assert.equal(lookup(hashedOnly), 's2');
  // Same bytes in latin1 but not in UTF-8 (U+00E9 as one byte): a different key.
  assert.equal(lookup(Buffer.from(Buffer.from(accented, 'utf8').toString('latin1'), 'latin1').toString('latin1')), 'OUTPOST_ERR_SUBSCRIPTION_KEY_INVALID');
  assert.equal(lookup(`${KEY}x`), 'OUTPOST_ERR_SUBSCRIPTION_KEY_INVALID');
  // Found keys are remembered, unknown ones never: the cache stays within the config's three key hashes.
  assert.equal(index.knownKeys, 3);
  for (let i = 0; i < 1000; i++) assert.equal(lookup(`guess-${i}`), 'OUTPOST_ERR_SUBSCRIPTION_KEY_INVALID');
  assert.equal(index.knownKeys, 3);
  // A remembered key answers as before, scope and state checks included.
  assert.equal(lookup(KEY), 's1');
  assert.equal(lookup(hashedOnly), 's2');
  assert.equal(index.knownKeys, 3);
});

test('a remembered key still meets the scope and the suspension and expiry checks of every request', async () => {
  const { SubscriptionIndex } = await import('../../src/gateway/subscriptions/subscription-index.js');
  const result = validateGatewayConfig({
    apis: [
      { id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: true, operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }] },
      { id: 'b', name: 'B', path: 'b', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: true, operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }] },
    ],
    subscriptions: [{ id: 's1', scope: '/apis/a', primaryKey: KEY, expiresAt: '2030-01-01T00:00:00Z' }],
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const meta = new SharedRouteTable(compileTable(result.config).buffer as ArrayBuffer).meta;
  const index = new SubscriptionIndex(meta.subscriptions);
  const [a, b] = [meta.apis.get(0), meta.apis.get(1)];
  const gate = (api: typeof a, nowMs: number) => {
    const { result: r } = index.check(api, ['ocp-apim-subscription-key', KEY], '', nowMs);
    return r.ok ? r.subscription?.id ?? null : r.code;
  };
  const before = Date.parse('2029-12-31T23:59:59Z');
  assert.equal(gate(a, before), 's1');
  assert.equal(gate(b, before), 'OUTPOST_ERR_SUBSCRIPTION_KEY_WRONG_SCOPE');
  assert.equal(gate(a, Date.parse('2030-01-01T00:00:00Z')), 'OUTPOST_ERR_SUBSCRIPTION_INACTIVE');
  assert.equal(gate(a, before), 's1');
});
