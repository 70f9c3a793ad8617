/** set-method: the element's text is the method. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setMethod } from '../../src/gateway/policies/set-method.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, instanceOf, newContext } from '../support/policy-harness.js';

const f = setMethod as PolicyFactory<unknown>;

describe('set-method', () => {
  test('YAML scalar and XML text set the method; standard methods uppercased', () => {
    for (const policy of ['POST', 'post', '<set-method>POST</set-method>']) {
      const ctx = newContext();
      assert.equal(instanceOf(f, policy).run(ctx), CONTINUE);
      assert.equal(ctx.method, 'POST');
    }
    const ctx = newContext();
    instanceOf(f, 'PURGE').run(ctx);
    assert.equal(ctx.method, 'PURGE');
  });

  test('compile errors', () => {
    assert.equal(compileErrorAttribute(f, {}), null);
    assert.equal(compileErrorAttribute(f, 'GET ME'), null);
    assert.equal(compileErrorAttribute(f, 'CONNECT'), null);
    assert.equal(compileErrorAttribute(f, { text: 'POST', to: 'x' }), 'to');
  });
});
