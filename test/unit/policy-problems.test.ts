/**
 * Every problem in the policy documents of a config is reported, each at its own path: all bad
 * policies of all scopes (global, product, API, operation), all unknown attributes of one policy,
 * all branches of a choose, all unknown named values, YAML and XML alike. Not only the first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig, type GatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies, MAX_POLICY_PROBLEMS } from '../../src/gateway/pipeline/compile-policies.js';

function config({ apiPolicies, opPolicies, ...rest }: Record<string, unknown>): GatewayConfig {
  const result = validateGatewayConfig({
    ...rest,
    apis: [{
      id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1',
      operations: [{ id: 'x', method: 'GET', urlTemplate: '/x', policies: opPolicies }, { id: 'y', method: 'GET', urlTemplate: '/y' }],
      policies: apiPolicies,
    }],
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.config;
}

/** `path: element @attribute` of each problem, sorted: where each one is, not its wording. */
function where(c: GatewayConfig): string[] {
  const { problems } = compilePolicies(c);
  for (const p of problems) assert.equal(p.code, 'OUTPOST_ERR_POLICY_INVALID');
  return problems.map((p) => `${p.path}: ${/\/ ([^:]+?)(?::|$)/.exec(p.message)?.[1] ?? p.message}`).sort();
}

test('bad policies in every scope are all reported, each with its path', () => {
  const c = config({
    policies: { inbound: [{ 'rate-limit': { calls: 'many', 'renewal-period': 60 } }, { 'no-such-policy': {} }] },
    products: [{ id: 'p', name: 'P', apis: ['a'], policies: { inbound: [{ base: {} }, { 'rate-limit': { calls: 5 } }] } }],
    apiPolicies: '<policies><inbound><base /><set-header name="bad name" exists-action="delete" /><check-header /></inbound></policies>',
    opPolicies: { inbound: [{ base: {} }, { 'set-method': 'FETCH WITH SPACES' }], outbound: [{ 'rate-limit': { calls: 1, 'renewal-period': 1 } }] },
  });
  assert.deepEqual(where(c), [
    'apis[0].operations[0].policies: outbound / rate-limit[0]',
    'apis[0].operations[0].policies: inbound / set-method[1]',
    'apis[0].policies: inbound / check-header[2] @name',
    'apis[0].policies: inbound / set-header[1] @name',
    'policies: inbound / no-such-policy[1]',
    'policies: inbound / rate-limit[0] @calls',
    'products[0].policies: inbound / rate-limit[1] @renewal-period',
  ].sort());
});

test('one policy with several unknown attributes reports each of them', () => {
  const c = config({ policies: { inbound: [{ 'rate-limit': { calls: 1, 'renewal-period': 1, colour: 'red', size: 'xl' } }] } });
  assert.deepEqual(where(c), ['policies: inbound / rate-limit[0] @colour', 'policies: inbound / rate-limit[0] @size']);
});

test('structural, expression and named-value problems keep the positions of the policies after them', () => {
  const c = config({
    namedValues: [{ name: 'known', value: 'v' }],
    policies: {
      inbound: [
        { 'set-header': {}, 'set-status': {} },                     // not a single-key map
        { 'set-header': { name: 'x', value: '@(context.Nope)' } },    // a C# expression outside the subset
        { 'set-header': { name: '{{unknown}}', value: '{{also-unknown}}' } },
        { 'rate-limit': { calls: 'many', 'renewal-period': 1 } },     // still rate-limit[3]
      ],
    },
  });
  assert.deepEqual(where(c), [
    'policies: inbound / set-header + set-status[0]',
    'policies: inbound / set-header[1] @value',
    'policies: inbound / set-header[2] @name',
    'policies: inbound / set-header[2]/value[0]',
    'policies: inbound / rate-limit[3] @calls',
  ].sort());
});

test('every branch of a choose is checked', () => {
  const c = config({
    policies: {
      outbound: [{
        choose: {
          when: [
            { condition: 'request.method ==', policies: [{ 'set-status': { code: 1 } }] },
            { condition: "request.method == 'GET'", policies: [{ 'no-such': {} }] },
          ],
          otherwise: [{ 'set-status': { code: 'x' } }],
        },
      }],
    },
  });
  const found = where(c);
  assert.equal(found.length, 4, found.join('\n'));
  assert.ok(found.some((w) => w.includes('when[0] @condition')), found.join('\n'));
  assert.ok(found.some((w) => w.includes('when[0]/set-status[0] @code')), found.join('\n'));
  assert.ok(found.some((w) => w.includes('when[1]/no-such[0]')), found.join('\n'));
  assert.ok(found.some((w) => w.includes('otherwise[2]/set-status[0] @code')), found.join('\n'));
});

test('the problem list is bounded', () => {
  const c = config({ policies: { inbound: Array.from({ length: MAX_POLICY_PROBLEMS + 50 }, () => ({ 'no-such-policy': {} })) } });
  const { problems } = compilePolicies(c);
  assert.equal(problems.length, MAX_POLICY_PROBLEMS + 1);
});
