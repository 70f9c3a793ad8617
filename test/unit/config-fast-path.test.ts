/**
 * validateGatewayConfig takes a fast path for plain operations (large configs); its output must be
 * exactly the plain zod schema's, and invalid configs must get the plain schema's problems.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayConfigSchema, validateGatewayConfig } from '../../src/shared/config-schema.js';
import { largeConfig } from '../../bench/large-config-gen.js';

const plain = (input: unknown) => gatewayConfigSchema.safeParse(input);

test('valid configs: the same output as the plain schema', () => {
  const configs: unknown[] = [
    {},
    largeConfig({ apis: 120, serviceUrl: 'http://127.0.0.1:9' }),
    { apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://x', operations: [
      { id: 'o1', method: 'get', urlTemplate: '/a' },
      { id: 'o2', method: 'Post', urlTemplate: '/a/{id}', policies: { inbound: [{ 'set-header': { name: 'x', value: 'y' } }] } },
      { urlTemplate: '/b', method: '*', id: 'o3' },
    ] }, { id: 'b', name: 'B', path: 'b', serviceUrl: 'http://x', operations: [
      // Upper case but its keys out of the schema's order: copied in order, not used as it is.
      { urlTemplate: '/c', method: 'GET', id: 'o4' },
      { id: 'o5', method: 'GET', urlTemplate: '/d' },
    ] }] },
  ];
  for (const input of configs) {
    const want = plain(input);
    assert.ok(want.success);
    const got = validateGatewayConfig(input);
    assert.ok(got.ok);
    assert.deepStrictEqual(got.config, want.data);
    assert.equal(JSON.stringify(got.config), JSON.stringify(want.data));
  }
});

test('invalid operations: the plain schema problems, paths and messages', () => {
  const bad = { apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://x', operations: [
    { id: '', method: 'FETCH', urlTemplate: 'a' }, { id: 'x', method: 'GET', urlTemplate: '/x', extra: 1 }, { id: 'y', method: 3, urlTemplate: '/y' },
  ] }] };
  const got = validateGatewayConfig(bad);
  assert.equal(got.ok, false);
  if (got.ok) return;
  assert.deepEqual(got.problems.map((p) => p.path), [
    'apis[0].operations[0].id', 'apis[0].operations[0].method', 'apis[0].operations[0].urlTemplate',
    'apis[0].operations[1].extra', 'apis[0].operations[2].method',
  ]);
  assert.ok(!plain(bad).success);
});
