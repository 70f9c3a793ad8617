/**
 * llm-token-limit / azure-openai-token-limit on the real SharedCounters with a test clock: the
 * inbound check, the charge of the reported usage after the body passed, the estimate, quota
 * periods, headers and variables, and compile errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { azureOpenAiTokenLimit, llmTokenLimit } from '../../src/gateway/policies/llm-token-limit.js';
import { quotaPeriodEnd } from '../../src/gateway/policies/token-quota-period.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory, PolicyInstance } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, compileOne } from '../support/policy-harness.js';

const limit = llmTokenLimit as PolicyFactory<unknown>;
/** 10 s into a minute (and into an hour, a day). */
const START = Date.UTC(2026, 2, 4, 12, 0, 10);

function setup(policy: string, factory = limit) {
  const clock = { ms: START };
  const services = { counters: new SharedCounters(SharedCounters.allocate(256), () => clock.ms), now: () => clock.ms };
  return { clock, instance: factory.create(compileOne(factory, policy), services) };
}

function request(body: unknown = null, headers: string[] = []): RequestContext {
  const ctx = new RequestContext('POST', '/chat/completions', '', headers, '10.0.0.1', 'a', 'o', {});
  if (body !== null) ctx.requestBody = Buffer.from(JSON.stringify(body));
  return ctx;
}

/** The backend's answer passing the client: what the exchange does with ctx.bodyTap. */
function answer(ctx: RequestContext, usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null): void {
  const tap = ctx.bodyTap;
  assert.ok(tap, 'the policy watches the response body');
  const body = Buffer.from(JSON.stringify({ choices: [], ...(usage ? { usage } : {}) }));
  if (tap.begin(200, 'OK', ['content-type', 'application/json'], body.length)) {
    tap.chunk(body);
    tap.complete();
  }
}

function call(instance: PolicyInstance, total: number, body: unknown = null): RequestContext {
  const ctx = request(body);
  const outcome = instance.run(ctx);
  if (outcome === CONTINUE) answer(ctx, { prompt_tokens: total >> 1, completion_tokens: total - (total >> 1), total_tokens: total });
  return ctx;
}

function header(ctx: RequestContext, name: string): string | undefined {
  const list = ctx.response?.headers ?? ctx.extraResponseHeaders ?? [];
  const i = list.indexOf(name);
  return i >= 0 && i % 2 === 0 ? list[i + 1] : undefined;
}

describe('tokens-per-minute', () => {
  test('charges the reported total after the response; refuses with 429, Retry-After and the coded error once used up', () => {
    const { instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="100" remaining-tokens-header-name="x-remaining" remaining-tokens-variable-name="left" />');
    const first = call(instance, 60);
    assert.equal(header(first, 'x-remaining'), '100');
    const second = call(instance, 60); // 60 used: let through (no estimate), and goes over
    assert.equal(header(second, 'x-remaining'), '40');
    assert.equal(second.variable('left'), 40);
    const refused = request();
    assert.equal(instance.run(refused), RESPOND);
    assert.equal(refused.response!.status, 429);
    assert.equal(header(refused, 'retry-after'), '50');
    assert.equal(header(refused, 'x-outpost-error'), 'OUTPOST_ERR_TOKEN_LIMIT_EXCEEDED');
    assert.equal(header(refused, 'x-remaining'), '0');
    assert.deepEqual(JSON.parse(refused.response!.body as string), { statusCode: 429, message: 'Token limit is exceeded. Try again in 50 seconds.' });
    assert.equal(refused.bodyTap, null, 'a refused request charges nothing');
  });

  test('the window slides: two minutes later the key is free again', () => {
    const { clock, instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="100" />');
    call(instance, 150);
    assert.equal(instance.run(request()), RESPOND);
    clock.ms += 60_000; // the previous minute still weighs 5/6 of its 150
    assert.equal(instance.run(request()), RESPOND);
    clock.ms += 60_000;
    assert.equal(instance.run(request()), CONTINUE);
  });

  test('keys count apart; retry-after-header-name replaces Retry-After and the variable gets the wait', () => {
    const { instance } = setup('<llm-token-limit counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-team&quot;, &quot;&quot;))" tokens-per-minute="10" retry-after-header-name="x-retry-after" retry-after-variable-name="wait" />');
    const team = (name: string) => request(null, ['x-team', name]);
    const a = team('a');
    instance.run(a);
    answer(a, { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    const refused = team('a');
    assert.equal(instance.run(refused), RESPOND);
    assert.equal(header(refused, 'x-retry-after'), '50');
    assert.equal(header(refused, 'retry-after'), undefined);
    assert.equal(refused.variable('wait'), 50);
    assert.equal(instance.run(team('b')), CONTINUE);
  });

  test('estimate-prompt-tokens: refuses up front when the prompt would pass the limit, charges the estimate, then only the rest', () => {
    const { instance } = setup('<azure-openai-token-limit counter-key="k" tokens-per-minute="50" estimate-prompt-tokens="true" remaining-tokens-header-name="x-remaining" tokens-consumed-variable-name="used" />', azureOpenAiTokenLimit as PolicyFactory<unknown>);
    const big = request({ messages: [{ role: 'user', content: 'x'.repeat(400) }] }); // 100 + 3 tokens
    assert.equal(instance.run(big), RESPOND);
    assert.equal(big.response!.status, 429);
    const small = request({ messages: [{ role: 'user', content: 'x'.repeat(40) }] }); // 10 + 3
    assert.equal(instance.run(small), CONTINUE);
    assert.equal(header(small, 'x-remaining'), '37');
    assert.equal(small.variable('used'), 13);
    answer(small, { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 }); // 7 more charged
    assert.equal(small.variable('used'), 20);
    const next = request({ messages: [{ role: 'user', content: 'x'.repeat(4) }] }); // 1 + 3
    assert.equal(instance.run(next), CONTINUE);
    assert.equal(header(next, 'x-remaining'), '26');
  });

  test('without the estimate, a stream: true request is still estimated (as APIM)', () => {
    const { instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="10" estimate-prompt-tokens="false" />');
    assert.equal(instance.run(request({ stream: true, messages: [{ role: 'user', content: 'x'.repeat(80) }] })), RESPOND);
    assert.equal(instance.run(request({ stream: false, messages: [{ role: 'user', content: 'x'.repeat(80) }] })), CONTINUE);
  });

  test('a stream without a usage chunk is charged its estimate: the prompt up front, the streamed text after', () => {
    const { instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="100" remaining-tokens-header-name="x-remaining" />');
    const streamed = request({ stream: true, messages: [{ role: 'user', content: 'x'.repeat(40) }] }); // 10 + 3
    assert.equal(instance.run(streamed), CONTINUE);
    const tap = streamed.bodyTap!;
    assert.ok(tap.begin(200, 'OK', ['content-type', 'text/event-stream'], -1));
    tap.chunk(Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: 'y'.repeat(80) } }] })}\n\ndata: [DONE]\n\n`)); // 20
    tap.complete();
    const next = request();
    instance.run(next);
    assert.equal(header(next, 'x-remaining'), '67');
  });

  test('a response without usage charges nothing more', () => {
    const { instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="10" />');
    for (let i = 0; i < 5; i++) {
      const ctx = request();
      assert.equal(instance.run(ctx), CONTINUE);
      answer(ctx, null);
    }
  });
});

describe('token-quota', () => {
  test('403 with the coded error and the wait until the period renews; the next period starts afresh', () => {
    const { clock, instance } = setup('<llm-token-limit counter-key="k" token-quota="100" token-quota-period="Hourly" remaining-quota-tokens-header-name="x-quota-left" remaining-quota-tokens-variable-name="qleft" />');
    const first = call(instance, 100);
    assert.equal(header(first, 'x-quota-left'), '100');
    const refused = request();
    assert.equal(instance.run(refused), RESPOND);
    assert.equal(refused.response!.status, 403);
    assert.equal(header(refused, 'x-outpost-error'), 'OUTPOST_ERR_TOKEN_QUOTA_EXCEEDED');
    assert.equal(header(refused, 'retry-after'), '3590');
    assert.equal(header(refused, 'x-quota-left'), '0');
    assert.equal(refused.variable('qleft'), 0);
    assert.deepEqual(JSON.parse(refused.response!.body as string), { statusCode: 403, message: 'Token quota is exceeded. Quota will be replenished in 00:59:50.' });
    clock.ms += 3600_000;
    assert.equal(instance.run(request()), CONTINUE);
  });

  test('tokens-per-minute and a quota together: each counts, the quota outlasts the minute', () => {
    const { clock, instance } = setup('<llm-token-limit counter-key="k" tokens-per-minute="100" token-quota="150" token-quota-period="day" />');
    call(instance, 90);
    clock.ms += 120_000;
    call(instance, 90);
    clock.ms += 120_000;
    const ctx = request();
    assert.equal(instance.run(ctx), RESPOND);
    assert.equal(ctx.response!.status, 403);
  });

  test('periods end on the UTC calendar', () => {
    const at = Date.UTC(2026, 1, 18, 15, 30) / 1000; // a Wednesday
    assert.equal(quotaPeriodEnd('hourly', at), Date.UTC(2026, 1, 18, 16) / 1000);
    assert.equal(quotaPeriodEnd('daily', at), Date.UTC(2026, 1, 19) / 1000);
    assert.equal(quotaPeriodEnd('weekly', at), Date.UTC(2026, 1, 23) / 1000);
    assert.equal(quotaPeriodEnd('monthly', at), Date.UTC(2026, 2, 1) / 1000);
    assert.equal(quotaPeriodEnd('yearly', at), Date.UTC(2027, 0, 1) / 1000);
    assert.equal(quotaPeriodEnd('weekly', Date.UTC(2026, 1, 23) / 1000), Date.UTC(2026, 2, 2) / 1000, 'Monday 00:00 starts a week');
  });
});

describe('compile errors', () => {
  const el = (attrs: string) => `<llm-token-limit ${attrs} />`;
  test('name the attribute', () => {
    assert.equal(compileErrorAttribute(limit, el('tokens-per-minute="10"')), 'counter-key');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k"')), 'tokens-per-minute');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="0"')), 'tokens-per-minute');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="1e3"')), 'tokens-per-minute');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="9999999999"')), 'tokens-per-minute');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" token-quota="10"')), 'token-quota-period');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" token-quota-period="Daily"')), 'token-quota');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" token-quota="10" token-quota-period="Fortnightly"')), 'token-quota-period');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="10" estimate-prompt-tokens="yes"')), 'estimate-prompt-tokens');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="10" estimate-prompt-tokens="true" estimate-prompt-token="true"')), 'estimate-prompt-token');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="10" remaining-tokens-header-name="bad header"')), 'remaining-tokens-header-name');
    assert.equal(compileErrorAttribute(limit, el(`counter-key="k" tokens-per-minute="10" remaining-tokens-variable-name="${'x'.repeat(129)}"`)), 'remaining-tokens-variable-name');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="10" tokens-consumed-header-name="x-used"')), 'tokens-consumed-header-name');
    assert.equal(compileErrorAttribute(limit, el('counter-key="k" tokens-per-minute="10" scope="region"')), 'scope');
    assert.equal(compileErrorAttribute(limit, el(`counter-key="${'k'.repeat(300)}" tokens-per-minute="10"`)), 'counter-key');
  });

  test('accepts the toolkit spellings: estimate-prompt-token, lowercase periods, a constant key', () => {
    assert.doesNotThrow(() => compileOne(limit, el('counter-key="my-key" estimate-prompt-token="false" token-quota="50000" token-quota-period="day"')));
  });
});
