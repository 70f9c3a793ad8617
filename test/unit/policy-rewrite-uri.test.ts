/** rewrite-uri: template parameters (encoded), query merging, copy-unmatched-params, compile errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteUri } from '../../src/gateway/policies/rewrite-uri.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, instanceOf, newContext } from '../support/policy-harness.js';

const f = rewriteUri as PolicyFactory<unknown>;
const run = (policy: unknown, init: Parameters<typeof newContext>[0]) => {
  const ctx = newContext(init);
  assert.equal(instanceOf(f, policy).run(ctx), CONTINUE);
  return `${ctx.path}?${ctx.query}`;
};

describe('rewrite-uri', () => {
  test('fills {param} from the operation\'s parameters, encoded; keeps the query', () => {
    assert.equal(run({ template: '/v2/items/{id}' }, { params: { id: 'a b/c' }, query: 'x=1' }), '/v2/items/a%20b%2Fc?x=1');
  });

  test('template query parameters win over the request\'s; the rest are kept after them', () => {
    assert.equal(run({ template: '/v2?view={id}&x=9' }, { params: { id: '7' }, query: 'x=1&y=2' }), '/v2?view=7&x=9&y=2');
  });

  test('copy-unmatched-params="false" drops the request\'s query', () => {
    assert.equal(run({ template: '/v2/{id}', 'copy-unmatched-params': false }, { params: { id: '7' }, query: 'x=1' }), '/v2/7?');
  });

  test('a name not among the parameters takes the request\'s query parameter, else ""', () => {
    assert.equal(run({ template: '/s/{q}/{none}/{constructor}' }, { query: 'q=h%C3%BC' }), '/s/h%C3%BC//?q=h%C3%BC');
  });

  test('a template without a leading slash is relative to the backend base; XML form', () => {
    assert.equal(run('<rewrite-uri template="items" copy-unmatched-params="false" />', { query: 'a=1' }), '/items?');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f, {}), 'template');
    assert.equal(compileErrorAttribute(f, { template: '/x/{id' }), 'template');
    assert.equal(compileErrorAttribute(f, { template: '/x/}' }), 'template');
    assert.equal(compileErrorAttribute(f, { template: '/x/{a b}' }), 'template');
    assert.equal(compileErrorAttribute(f, { template: 'http://other/x' }), 'template');
    assert.equal(compileErrorAttribute(f, { template: '/x', 'copy-unmatched-params': 'yes' }), 'copy-unmatched-params');
    assert.equal(compileErrorAttribute(f, { template: '/x', other: 'y' }), 'other');
  });
});
