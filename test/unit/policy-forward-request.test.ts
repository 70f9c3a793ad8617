/** forward-request: timeout in seconds → ctx.timeoutMs; unsupported APIM attributes named. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardRequest } from '../../src/gateway/policies/forward-request.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, instanceOf, newContext } from '../support/policy-harness.js';

const f = forwardRequest as PolicyFactory<unknown>;

describe('forward-request', () => {
  test('timeout sets the forward timeout; none keeps the gateway\'s', () => {
    const ctx = newContext();
    assert.equal(instanceOf(f, '<forward-request timeout="20" follow-redirects="false" buffer-response="false" />').run(ctx), CONTINUE);
    assert.equal(ctx.timeoutMs, 20_000);
    const plain = newContext();
    instanceOf(f, {}).run(plain);
    assert.equal(plain.timeoutMs, 0);
  });

  test('APIM\'s other attributes set what the forward does', () => {
    const ctx = newContext();
    const xml = '<forward-request timeout="30" follow-redirects="true" buffer-request-body="true" buffer-response="false" fail-on-error-status-code="true" http-version="2or1" />';
    assert.equal(instanceOf(f, xml).run(ctx), CONTINUE);
    assert.equal(ctx.timeoutMs, 30_000);
    assert.equal(ctx.followRedirects, true);
    assert.equal(ctx.failOnErrorStatus, true);
    const plain = newContext();
    instanceOf(f, '<forward-request http-version="1" />').run(plain);
    assert.equal(plain.followRedirects, false);
    assert.equal(plain.failOnErrorStatus, false);
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f, { timeout: 0 }), 'timeout');
    assert.equal(compileErrorAttribute(f, { timeout: 'soon' }), 'timeout');
    assert.equal(compileErrorAttribute(f, { 'follow-redirects': 'yes' }), 'follow-redirects');
    assert.equal(compileErrorAttribute(f, { 'fail-on-error-status-code': 1 }), 'fail-on-error-status-code');
    assert.equal(compileErrorAttribute(f, { 'buffer-request-body': 'always' }), 'buffer-request-body');
    assert.equal(compileErrorAttribute(f, { 'http-version': '2' }), 'http-version');
    assert.equal(compileErrorAttribute(f, { 'http-version': '3' }), 'http-version');
    assert.equal(compileErrorAttribute(f, { 'timeout-ms': 100 }), 'timeout-ms');
    assert.equal(compileErrorAttribute(f, { colour: 'red' }), 'colour');
  });
});
