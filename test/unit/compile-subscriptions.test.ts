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
