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
});
