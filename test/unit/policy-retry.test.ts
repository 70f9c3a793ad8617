/**
 * retry as APIM has it: any child policies, in every section; rounds while the condition holds
 * and retries remain; a child's answer or failure ends it; around forward-request the children are
 * split for the exchange (before / after); count and the timing attributes (constants or
 * expressions) and APIM's wait formulas; and the compile errors (bad count, forward-request out
 * of place, a child not allowed in the section).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { retryWaitSeconds } from '../../src/gateway/policies/retry-timing.js';
import { CONTINUE, FAIL, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { runSection } from '../../src/gateway/pipeline/run-section.js';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { chainBuffersRequestBody, chainBuffersResponse, chainMayRetry, instantiateChain } from '../../src/gateway/pipeline/chain-runtime.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { SharedGauges } from '../../src/gateway/pipeline/shared-gauges.js';

const retry = findFactory('retry')!;

/** A round counter: `n` goes up by one per round. */
const COUNT_ROUND = '<set-variable name="n" value="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;n&quot;, 0) + 1)" />';

function compileMessage(xml: string, section: 'inbound' | 'backend' | 'outbound' | 'on-error' = 'backend'): string {
  try { compileOne(retry, xml, section); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err.message;
  }
  throw new Error('compiled without error');
}

describe('retry: sections and children', () => {
  test('may stand in every section, holding any policies (choose, set-variable, set-header, send-request…)', () => {
    assert.deepEqual([...retry.sections].sort(), ['backend', 'inbound', 'on-error', 'outbound']);
    const xml = `<retry condition="@(context.Response.StatusCode == 429)" count="3" interval="0">
      <choose><when condition="@(context.Response.StatusCode == 429)"><set-variable name="b" value="two" /></when></choose>
      <set-header name="x-round" exists-action="override"><value>1</value></set-header>
      <send-request mode="new" response-variable-name="r" timeout="5" ignore-error="true"><set-url>http://127.0.0.1:1/x</set-url></send-request>
    </retry>`;
    for (const section of ['inbound', 'backend', 'outbound', 'on-error'] as const) compileOne(retry, xml, section);
  });

  test('a child not allowed in the section is refused at the child; forward-request only in backend, once, as a direct child', () => {
    assert.match(compileMessage('<retry condition="true" count="1" interval="0"><forward-request /></retry>', 'inbound'), /forward-request\[0\].*cannot be used in inbound/);
    assert.match(compileMessage('<retry condition="true" count="1" interval="0"><forward-request /><forward-request /></retry>'), /at most one <forward-request>/);
    assert.match(compileMessage('<retry condition="true" count="1" interval="0"><choose><when condition="true"><forward-request /></when></choose></retry>'), /direct child/);
    assert.match(compileMessage('<retry condition="true" count="1" interval="0"><retry condition="true" count="1" interval="0"><forward-request /></retry></retry>'), /direct child/);
    assert.match(compileMessage('<retry condition="true" count="1" interval="0"><no-such-policy /></retry>'), /unknown policy "no-such-policy"/);
  });

  test('count, interval, delta, max-interval, first-fast-retry: bounded constants or expressions; errors name the attribute', () => {
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="0" interval="0" />'), 'count');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="51" interval="0" />'), 'count');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="many" interval="0" />'), 'count');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" interval="0" />'), 'count');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" />'), 'interval');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" interval="-1" />'), 'interval');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" interval="0" delta="301" />'), 'delta');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" interval="0" max-interval="3601" />'), 'max-interval');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" interval="0" first-fast-retry="soon" />'), 'first-fast-retry');
    assert.equal(compileErrorAttribute(retry, '<retry count="2" interval="0" />'), 'condition');
    assert.equal(compileErrorAttribute(retry, '<retry condition="true" count="2" interval="0" colour="red" />'), 'colour');
    compileOne(retry, '<retry condition="true" count="50" interval="300" delta="300" max-interval="3600" first-fast-retry="@(true)" />');
    compileOne(retry, '<retry condition="true" count="@(2 + 1)" interval="@(0)" />');
  });
});

describe('retry: rounds', () => {
  test('runs its children once, then again while the condition holds (the condition sees what they did)', () => {
    const ctx = newContext();
    const outcome = instanceOf(retry, `<retry condition="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;n&quot;, 0) &lt; 3)" count="10" interval="0">${COUNT_ROUND}</retry>`, 'inbound').run(ctx);
    assert.equal(outcome, CONTINUE);
    assert.equal(ctx.variable('n'), 3);
  });

  test('count bounds the retries: 1 + count rounds when the condition always holds', () => {
    const ctx = newContext();
    assert.equal(instanceOf(retry, `<retry condition="true" count="4" interval="0">${COUNT_ROUND}</retry>`, 'outbound').run(ctx), CONTINUE);
    assert.equal(ctx.variable('n'), 5);
    const fromExpression = newContext();
    instanceOf(retry, `<retry condition="true" count="@(1 + 1)" interval="0">${COUNT_ROUND}</retry>`, 'on-error').run(fromExpression);
    assert.equal(fromExpression.variable('n'), 3);
  });

  test('a child that answers ends the retry with its answer; a failing condition fails the request', async () => {
    const ctx = newContext();
    const answered = instanceOf(retry, `<retry condition="true" count="5" interval="0">${COUNT_ROUND}<return-response><set-status code="418" /></return-response></retry>`, 'inbound').run(ctx);
    assert.equal(await answered, RESPOND);
    assert.equal(ctx.variable('n'), 1);
    assert.equal(ctx.response!.status, 418);
    const failing = newContext();
    assert.throws(() => instanceOf(retry, '<retry condition="@((int)context.Variables[&quot;missing&quot;] > 0)" count="2" interval="0" />', 'inbound').run(failing));
  });

  test('around forward-request: the children before it run now, the plan carries both halves', () => {
    const ctx = newContext();
    const xml = `<retry condition="@(context.Response.StatusCode == 503)" count="2" interval="0" first-fast-retry="true">
      ${COUNT_ROUND}<forward-request timeout="7" fail-on-error-status-code="true" /><set-variable name="after" value="yes" /></retry>`;
    assert.equal(instanceOf(retry, xml, 'backend').run(ctx), CONTINUE);
    assert.equal(ctx.variable('n'), 1);
    assert.equal(ctx.variable('after'), undefined, 'the children after forward-request wait for the answer');
    assert.equal(ctx.timeoutMs, 7000);
    assert.equal(ctx.failOnErrorStatus, true);
    const plan = ctx.retry!;
    assert.deepEqual([plan.before?.names, plan.after?.names], [['set-variable'], ['set-variable']]);
    assert.equal(plan.count(ctx), 2);
    assert.equal(plan.delayMs(ctx, 1), 0);
    ctx.response = { status: 503, reason: '', headers: [], body: null };
    assert.equal(plan.test(ctx), true);
  });

  test('an empty retry in backend retries the forward (Outpost\'s shorthand); elsewhere it is a loop of nothing', () => {
    const ctx = newContext();
    instanceOf(retry, { condition: 'response.status >= 500', count: 3, interval: 0 }, 'backend').run(ctx);
    assert.equal(ctx.retry!.count(ctx), 3);
    const inbound = newContext();
    assert.equal(instanceOf(retry, { condition: 'false', count: 3, interval: 0 }, 'inbound').run(inbound), CONTINUE);
    assert.equal(inbound.retry, null);
  });

  test('an interval expression out of range fails the request (to on-error) when a wait is due', () => {
    const ctx = newContext();
    const section = { section: 'inbound' as const, instances: [instanceOf(retry, `<retry condition="true" count="2" interval="@(9999)">${COUNT_ROUND}</retry>`, 'inbound')], names: ['retry'] };
    assert.equal(runSection(section, ctx), FAIL);
    assert.equal(ctx.lastError!.code, 'OUTPOST_ERR_EXPRESSION_FAILED');
    assert.match(ctx.lastError!.message, /interval/);
    assert.equal(ctx.variable('n'), 1);
  });
});

describe('retry: waits (APIM\'s formulas)', () => {
  const half = (): number => 0.5; // the middle of random(0.8 * delta, 1.2 * delta)
  test('interval alone: fixed', () => {
    assert.deepEqual([1, 2, 3].map((n) => retryWaitSeconds(5, 0, 0, n, half)), [5, 5, 5]);
  });
  test('interval and delta: linear, interval + (n - 1) * delta', () => {
    assert.deepEqual([1, 2, 3].map((n) => retryWaitSeconds(1, 2, 0, n, half)), [1, 3, 5]);
  });
  test('interval, delta and max-interval: exponential up to max-interval (10, 20, 40, 80, 100)', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryWaitSeconds(10, 10, 100, n, half)), [10, 20, 40, 80, 100, 100]);
    const low = retryWaitSeconds(10, 10, 1000, 2, () => 0);
    const high = retryWaitSeconds(10, 10, 1000, 2, () => 1);
    assert.deepEqual([low, high], [18, 22]);
  });
  test('first-fast-retry: the first retry waits nothing, the next ones the interval', () => {
    const ctx = newContext();
    instanceOf(retry, '<retry condition="true" count="3" interval="2" first-fast-retry="true"><forward-request /></retry>', 'backend').run(ctx);
    assert.deepEqual([1, 2].map((n) => ctx.retry!.delayMs(ctx, n)), [0, 2000]);
  });
});

describe('retry: what the request path prepares for it (chain-runtime.ts)', () => {
  const services = { counters: new SharedCounters(SharedCounters.allocate(64)), gauges: new SharedGauges(SharedGauges.allocate(1, 64), 0), now: () => Date.now() };
  const chainOf = (policies: string) => {
    const result = validateGatewayConfig({
      apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false, operations: [{ id: 'o', method: '*', urlTemplate: '/*', policies }] }],
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const compiled = compilePolicies(result.config);
    assert.deepEqual(compiled.problems, []);
    return instantiateChain(compiled.chains[0]![''], services);
  };

  test('a retry in backend keeps small bodies; buffer-request-body keeps any body (bounded); follow-redirects keeps small ones', () => {
    const retrying = chainOf('<policies><backend><choose><when condition="true"><retry condition="true" count="1" interval="0"><forward-request /></retry></when></choose></backend></policies>');
    assert.deepEqual([chainMayRetry(retrying), chainBuffersRequestBody(retrying)], [true, false]);
    const buffering = chainOf('<policies><backend><retry condition="true" count="1" interval="0"><forward-request buffer-request-body="true" /></retry></backend></policies>');
    assert.deepEqual([chainMayRetry(buffering), chainBuffersRequestBody(buffering)], [true, true]);
    const following = chainOf('<policies><backend><forward-request follow-redirects="true" /></backend></policies>');
    assert.deepEqual([chainMayRetry(following), chainBuffersRequestBody(following)], [true, false]);
    const plain = chainOf('<policies><backend><forward-request /></backend></policies>');
    assert.deepEqual([chainMayRetry(plain), chainBuffersRequestBody(plain)], [false, false]);
  });

  test('an outbound retry that may wait (an interval, or an expression) buffers the response; one that never waits streams it', () => {
    assert.equal(chainBuffersResponse(chainOf(`<policies><outbound><retry condition="true" count="2" interval="1">${COUNT_ROUND}</retry></outbound></policies>`)), true);
    assert.equal(chainBuffersResponse(chainOf(`<policies><outbound><retry condition="true" count="2" interval="@(0)">${COUNT_ROUND}</retry></outbound></policies>`)), true);
    assert.equal(chainBuffersResponse(chainOf(`<policies><outbound><retry condition="true" count="2" interval="0">${COUNT_ROUND}</retry></outbound></policies>`)), false);
  });
});
