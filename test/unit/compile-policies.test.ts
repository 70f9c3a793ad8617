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

test('operations without policies of their own share their chains; every operation gets the chains of its own scopes', () => {
  const header = (name: string) => ({ 'set-header': { name, value: '1' } });
  const result = validateGatewayConfig({
    policies: { inbound: [header('x-global')] },
    apis: [
      { id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'x', method: 'GET', urlTemplate: '/x' }, { id: 'y', method: 'GET', urlTemplate: '/y' }] },
      { id: 'b', name: 'B', path: 'b', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'z', method: 'GET', urlTemplate: '/z' }] },
      { id: 'c', name: 'C', path: 'c', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'w', method: 'GET', urlTemplate: '/w' }] },
      {
        id: 'd', name: 'D', path: 'd', serviceUrl: 'http://127.0.0.1:1',
        policies: { inbound: [{ base: {} }, header('x-api')] },
        operations: [
          { id: 'u', method: 'GET', urlTemplate: '/u' },
          { id: 'v', method: 'GET', urlTemplate: '/v', policies: { inbound: [header('x-op'), { base: {} }] } },
          { id: 't', method: 'GET', urlTemplate: '/t' },
        ],
      },
    ],
    products: [{ id: 'p', name: 'P', apis: ['a', 'b'], policies: { inbound: [{ base: {} }, header('x-product')] } }],
  });
  assert.ok(result.ok);
  const { chains, problems } = compilePolicies(result.config);
  assert.deepEqual(problems, []);
  const [x, y, z, w, u, v, t] = chains;
  const inbound = (op: typeof x, product: string) => op![product].inbound.map((p) => p.at.replace(/ \/ inbound \/ set-header\[\d\]$/, ''));
  // a and b: same scopes (global, product p, no API or operation policies): one object for all three.
  assert.equal(x, y);
  assert.equal(x, z);
  assert.deepEqual(Object.keys(x!).sort(), ['', 'p']);
  assert.deepEqual(inbound(x, ''), ['policies']);
  assert.deepEqual(inbound(x, 'p'), ['policies', 'products[0].policies']);
  // c is in no product: only the chain for requests without one.
  assert.notEqual(w, x);
  assert.deepEqual(Object.keys(w!), ['']);
  assert.deepEqual(inbound(w, ''), ['policies']);
  // d's operations without policies share the API's chains; v has its own.
  assert.equal(u, t);
  assert.deepEqual(inbound(u, ''), ['policies', 'apis[3].policies']);
  assert.notEqual(v, u);
  assert.deepEqual(inbound(v, ''), ['apis[3].operations[1].policies', 'policies', 'apis[3].policies']);
});

test('a problem in a shared scope is reported once, at that scope, and no operation gets a chain from it', () => {
  const result = validateGatewayConfig({
    apis: [{
      id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1',
      policies: { inbound: [{ base: {} }, { base: {} }] },
      operations: [{ id: 'x', method: 'GET', urlTemplate: '/x' }, { id: 'y', method: 'GET', urlTemplate: '/y' }],
    }],
  });
  assert.ok(result.ok);
  const { problems } = compilePolicies(result.config);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].path, 'apis[0].policies');
  assert.match(problems[0].message, /only one base/);
});
