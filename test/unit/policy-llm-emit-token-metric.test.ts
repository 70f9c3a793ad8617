/** llm-emit-token-metric / azure-openai-emit-token-metric: what reaches the metric sink, dimensions, compile errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { azureOpenAiEmitTokenMetric, llmEmitTokenMetric } from '../../src/gateway/policies/llm-emit-token-metric.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import type { CustomMetricSink } from '../../src/gateway/telemetry/custom-metrics.js';
import { compileErrorAttribute, compileOne } from '../support/policy-harness.js';

const emit = llmEmitTokenMetric as PolicyFactory<unknown>;

interface Added { namespace: string; name: string; dimensions: string[]; value: number }

function setup(policy: string, factory = emit) {
  const added: Added[] = [];
  const sink: CustomMetricSink = { add: (namespace, name, dimensions, value) => { added.push({ namespace, name, dimensions, value }); } };
  const services = { counters: new SharedCounters(SharedCounters.allocate(16)), now: Date.now, metrics: sink };
  return { added, instance: factory.create(compileOne(factory, policy), services) };
}

function ctxWith(headers: string[] = []): RequestContext {
  const ctx = new RequestContext('POST', '/chat', '', headers, '10.0.0.9', 'chat-api', 'completions', {});
  ctx.subscription = { id: 'sub-1', productId: 'gold' };
  return ctx;
}

function pass(ctx: RequestContext, headers: string[], body: string, status = 200): void {
  const tap = ctx.bodyTap!;
  if (!tap.begin(status, 'OK', headers, -1)) return;
  tap.chunk(Buffer.from(body));
  tap.complete();
}

describe('llm-emit-token-metric', () => {
  test('emits Prompt, Completion and Total Tokens as the response reports them, by dimension', () => {
    const { added, instance } = setup('<llm-emit-token-metric namespace="llm"><dimension name="API ID" /><dimension name="Client IP" value="@(context.Request.IpAddress)" /></llm-emit-token-metric>');
    const ctx = ctxWith();
    assert.equal(instance.run(ctx), CONTINUE);
    assert.deepEqual(added, [], 'nothing before the response');
    pass(ctx, ['content-type', 'application/json'], '{"usage":{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}}');
    const dims = ['api_id', 'chat-api', 'client_ip', '10.0.0.9'];
    assert.deepEqual(added, [
      { namespace: 'llm', name: 'Prompt Tokens', dimensions: dims, value: 7 },
      { namespace: 'llm', name: 'Completion Tokens', dimensions: dims, value: 5 },
      { namespace: 'llm', name: 'Total Tokens', dimensions: dims, value: 12 },
    ]);
  });

  test('a streamed response\'s usage chunk; no usage or an error status: nothing', () => {
    const { added, instance } = setup('<azure-openai-emit-token-metric><dimension name="Subscription ID" /></azure-openai-emit-token-metric>', azureOpenAiEmitTokenMetric as PolicyFactory<unknown>);
    const streamed = ctxWith();
    instance.run(streamed);
    pass(streamed, ['content-type', 'text/event-stream'], 'data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\ndata: [DONE]\n\n');
    assert.deepEqual(added.map((a) => [a.namespace, a.name, a.value, ...a.dimensions]), [
      ['API Management', 'Prompt Tokens', 3, 'subscription_id', 'sub-1'],
      ['API Management', 'Completion Tokens', 4, 'subscription_id', 'sub-1'],
      ['API Management', 'Total Tokens', 7, 'subscription_id', 'sub-1'],
    ]);
    const none = ctxWith();
    instance.run(none);
    pass(none, ['content-type', 'application/json'], '{"choices":[]}');
    const failed = ctxWith();
    instance.run(failed);
    pass(failed, ['content-type', 'application/json'], '{"usage":{"total_tokens":9}}', 500);
    assert.equal(added.length, 3);
  });

  test('"Operation" without a value reads as the default dimension Operation ID', () => {
    const { added, instance } = setup('<llm-emit-token-metric><dimension name="Operation" /></llm-emit-token-metric>');
    const ctx = ctxWith();
    instance.run(ctx);
    pass(ctx, ['content-type', 'application/json'], '{"usage":{"total_tokens":2}}');
    assert.deepEqual(added[0].dimensions, ['operation', 'completions']);
  });

  test('compile errors name the attribute or element', () => {
    const custom = (n: number) => Array.from({ length: n }, (_, i) => `<dimension name="d${i}" value="v" />`).join('');
    assert.equal(compileErrorAttribute(emit, `<llm-emit-token-metric>${custom(6)}</llm-emit-token-metric>`), null, 'at most 5 custom dimensions');
    assert.doesNotThrow(() => compileOne(emit, `<llm-emit-token-metric>${custom(5)}<dimension name="API ID" /></llm-emit-token-metric>`));
    assert.equal(compileErrorAttribute(emit, '<llm-emit-token-metric><dimension name="Tier" /></llm-emit-token-metric>'), 'value');
    assert.equal(compileErrorAttribute(emit, '<llm-emit-token-metric><dimension name="@(context.Api.Id)" value="x" /></llm-emit-token-metric>'), 'name');
    assert.equal(compileErrorAttribute(emit, '<llm-emit-token-metric namespace="@(context.Api.Id)" />'), 'namespace');
    assert.equal(compileErrorAttribute(emit, '<llm-emit-token-metric name="x" />'), 'name');
    assert.equal(compileErrorAttribute(emit, '<llm-emit-token-metric><dimension name="API ID" /><dimension name="api id" /></llm-emit-token-metric>'), 'name');
  });
});
