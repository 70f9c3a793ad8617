/** set-query-parameter: exists-action on the raw query string, encoding, compile errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setQueryParameter } from '../../src/gateway/policies/set-query-parameter.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, instanceOf, newContext } from '../support/policy-harness.js';

const f = setQueryParameter as PolicyFactory<unknown>;
const run = (policy: unknown, query: string) => {
  const ctx = newContext({ query });
  assert.equal(instanceOf(f, policy).run(ctx), CONTINUE);
  return ctx.query;
};

describe('set-query-parameter', () => {
  test('override replaces every value, or adds when absent', () => {
    assert.equal(run({ name: 'a', value: 'x' }, 'a=1&b=2&a=3'), 'b=2&a=x');
    assert.equal(run({ name: 'a', value: 'x' }, ''), 'a=x');
    assert.equal(run({ name: 'c', value: ['x', 'y'] }, 'a=1'), 'a=1&c=x&c=y');
  });

  test('skip leaves an existing parameter alone', () => {
    assert.equal(run({ name: 'a', 'exists-action': 'skip', value: 'x' }, 'a=1'), 'a=1');
    assert.equal(run({ name: 'b', 'exists-action': 'skip', value: 'x' }, 'a=1'), 'a=1&b=x');
  });

  test('append adds to existing values', () => {
    assert.equal(run({ name: 'a', 'exists-action': 'append', value: 'x' }, 'a=1'), 'a=1&a=x');
  });

  test('delete removes it, matching names decoded', () => {
    assert.equal(run({ name: 'a b', 'exists-action': 'delete' }, 'a%20b=1&c=2&a+b=3'), 'c=2');
    assert.equal(run({ name: 'z', 'exists-action': 'delete' }, 'a=1'), 'a=1');
  });

  test('names and values are encoded; XML form', () => {
    assert.equal(run({ name: 'q&x', value: 'a b/ü=' }, ''), 'q%26x=a%20b%2F%C3%BC%3D');
    assert.equal(run('<set-query-parameter name="v" exists-action="override"><value>2</value></set-query-parameter>', 'v=1'), 'v=2');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f, { value: 'x' }), 'name');
    assert.equal(compileErrorAttribute(f, { name: 'a', 'exists-action': 'replace', value: 'x' }), 'exists-action');
    assert.equal(compileErrorAttribute(f, { name: 'a', colour: 'x', value: 'x' }), 'colour');
    assert.equal(compileErrorAttribute(f, { name: 'a' }), null);
  });
});
