/** compilePolicies: a policy declared once is compiled once and keeps one identity everywhere it applies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';

test('an API-scope rate-limit is the same counter in every operation and for every product', () => {
  const result = validateGatewayConfig({
    apis: [{
      id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1',
      policies: { inbound: [{ 'rate-limit': { calls: 2, 'renewal-period': 60 } }] },
      operations: [
        { id: 'x', method: 'GET', urlTemplate: '/x' },
        { id: 'y', method: 'GET', urlTemplate: '/y', policies: { inbound: [{ 'set-header': { name: 'x-op', value: 'y' } }, { base: {} }] } },
      ],
    }],
    products: [{ id: 'p', name: 'P', apis: ['a'] }],
  });
  assert.ok(result.ok);
  const { chains, problems } = compilePolicies(result.config);
  assert.deepEqual(problems, []);
  const limitOf = (op: number, product: string) => chains[op]![product].inbound.find((p) => p.name === 'rate-limit')!;
  const first = limitOf(0, '');
  for (const [op, product] of [[0, 'p'], [1, ''], [1, 'p']] as const) {
    assert.deepEqual(limitOf(op, product).config, first.config);
    assert.equal(limitOf(op, product).at, first.at);
  }
  assert.match(first.at, /^apis\[0\]\.policies \/ inbound \/ rate-limit\[0\]$/);
});
