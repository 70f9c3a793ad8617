/**
 * rate-limit-by-key and quota-by-key with APIM's expressions (calls, increment-count,
 * increment-condition: deferred to the request's end), quota's bandwidth and its <api> /
 * <operation> quotas, on the real SharedCounters with a test clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitByKey } from '../../src/gateway/policies/rate-limit.js';
import { quota, quotaByKey } from '../../src/gateway/policies/quota.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND, type Outcome } from '../../src/gateway/pipeline/phases.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import type { PolicyFactory, PolicyInstance } from '../../src/gateway/pipeline/policy-contract.js';

const f = <T>(factory: PolicyFactory<T>) => factory as PolicyFactory<unknown>;
/** 10 s into an hour (so 10 s and 3600 s windows both have room left). */
const START = 1_800_003_600_000 - (1_800_003_600_000 % 3_600_000) + 10_000;

function setup(factory: PolicyFactory<unknown>, xml: string): { instance: PolicyInstance; clock: { ms: number } } {
  const clock = { ms: START };
  const doc = parsePolicyDocument(`<policies><inbound>${xml}</inbound></policies>`, 'api "t"');
  const el = doc.inbound![0];
  const config = factory.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
  const services = { counters: new SharedCounters(SharedCounters.allocate(256), () => clock.ms), now: () => clock.ms };
  return { instance: factory.create(config, services), clock };
}

function compileError(factory: PolicyFactory<unknown>, xml: string): PolicyCompileError {
  const doc = parsePolicyDocument(`<policies><inbound>${xml}</inbound></policies>`, 'api "t"');
  try { factory.compile(doc.inbound![0], policyLocation('api "t"', 'inbound', 0, factory.name)); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err;
  }
  throw new Error('compiled');
}

const newCtx = (vars: Record<string, unknown> = {}, operationId = 'o', apiId = 'a') => {
  const c = new RequestContext('GET', '/x', '', [], '10.0.0.1', apiId, operationId, {});
  for (const [k, v] of Object.entries(vars)) c.setVariable(k, v);
  return c;
};

/** Runs the policy; when it passes, the backend "answers" `status` and the request ends. */
function request(instance: PolicyInstance, c: RequestContext, status = 200, bytes = 0): Outcome {
  const outcome = instance.run(c) as Outcome;
  if (outcome === CONTINUE) c.response = { status, reason: '', headers: [], body: null };
  c.transferredBytes = bytes;
  c.ended();
  return outcome;
}

describe('rate-limit-by-key: calls as an expression', () => {
  test('the limit comes from a variable per request', () => {
    const { instance } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" renewal-period="10" calls="@((int)context.Variables[&quot;limit&quot;])" remaining-calls-variable-name="left" />');
    const c1 = newCtx({ limit: 2 });
    assert.equal(request(instance, c1), CONTINUE);
    assert.equal(c1.variable('left'), 1);
    assert.equal(request(instance, newCtx({ limit: 2 })), CONTINUE);
    assert.equal(request(instance, newCtx({ limit: 2 })), RESPOND);
    assert.equal(request(instance, newCtx({ limit: 10 })), CONTINUE, 'a larger limit for this request lets it through');
  });

  test('a non-integer, negative or non-numeric limit fails the request with OUTPOST_ERR_LIMIT_VALUE_INVALID', () => {
    const { instance } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" renewal-period="10" calls="@(context.Variables[&quot;limit&quot;])" />');
    for (const bad of [1.5, -1, 'lots', null, 2_000_000_000]) {
      assert.throws(() => instance.run(newCtx({ limit: bad })), (err: unknown) => (err as { code?: string }).code === 'OUTPOST_ERR_LIMIT_VALUE_INVALID', String(bad));
    }
    assert.equal(request(instance, newCtx({ limit: '3' })), CONTINUE, 'the digits of a whole number are a limit');
  });
});

describe('rate-limit-by-key: increment-count and increment-condition', () => {
  test('a constant increment-count counts that many calls at once', () => {
    const { instance } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="5" renewal-period="10" increment-count="3" />');
    assert.equal(request(instance, newCtx()), CONTINUE);
    assert.equal(request(instance, newCtx()), RESPOND, '6 > 5');
  });

  test('increment-condition is evaluated at the end, on the response: 429s do not count', () => {
    const { instance } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="2" renewal-period="10" increment-condition="@(context.Response.StatusCode != 429)" retry-after-variable-name="wait" />');
    for (let i = 0; i < 5; i++) assert.equal(request(instance, newCtx(), 429), CONTINUE, `backend 429 #${i} is not counted`);
    assert.equal(request(instance, newCtx(), 200), CONTINUE);
    assert.equal(request(instance, newCtx(), 200), CONTINUE);
    const refused = newCtx();
    assert.equal(request(instance, refused), RESPOND);
    assert.equal(refused.response!.status, 429);
    assert.equal(typeof refused.variable('wait'), 'number');
    assert.ok((refused.variable('wait') as number) >= 1);
  });

  test('an expression increment-count (tokens the backend used) counts when the request ends', () => {
    const { instance, clock } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="100" renewal-period="60" increment-count="@((int)context.Variables[&quot;used&quot;])" remaining-calls-variable-name="left" />');
    const first = newCtx();
    assert.equal(first.variable('used'), undefined);
    assert.equal(first.response, null);
    assert.equal(instance.run(first), CONTINUE);
    assert.equal(first.variable('left'), 100, 'nothing counted yet');
    first.setVariable('used', 70);
    first.ended();
    const second = newCtx();
    assert.equal(instance.run(second), CONTINUE);
    assert.equal(second.variable('left'), 30);
    second.setVariable('used', 40);
    second.ended();
    assert.equal(request(instance, newCtx({ used: 1 })), RESPOND, '110 tokens so far, over 100');
    clock.ms += 120_000;
    assert.equal(request(instance, newCtx({ used: 1 })), CONTINUE, 'two periods later');
  });

  test('an increment expression that fails at the end counts nothing (the answer is already gone)', () => {
    const { instance } = setup(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="1" renewal-period="10" increment-count="@((int)context.Variables[&quot;missing&quot;])" />');
    for (let i = 0; i < 3; i++) assert.equal(request(instance, newCtx()), CONTINUE);
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileError(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="5" renewal-period="10" increment-count="-1" />').attribute, 'increment-count');
    assert.equal(compileError(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="5" renewal-period="10" increment-condition="@(1 +)" />').attribute, 'increment-condition');
    assert.equal(compileError(f(rateLimitByKey), '<rate-limit-by-key counter-key="ip" calls="x @(1)" renewal-period="10" />').attribute, 'calls');
    assert.equal(compileError(f(rateLimitByKey), `<rate-limit-by-key counter-key="ip" calls="5" renewal-period="10" retry-after-variable-name="${'v'.repeat(129)}" />`).attribute, 'retry-after-variable-name');
  });
});

describe('quota-by-key: increment-condition and increment-count (231)', () => {
  test('only requests the condition accepts count, increment-count each', () => {
    const { instance } = setup(f(quotaByKey), '<quota-by-key counter-key="ip" calls="4" renewal-period="3600" increment-condition="@(context.Response.StatusCode == 200)" increment-count="2" />');
    assert.equal(request(instance, newCtx(), 500), CONTINUE, 'a 500 is not counted');
    assert.equal(request(instance, newCtx(), 200), CONTINUE);
    assert.equal(request(instance, newCtx(), 200), CONTINUE);
    const refused = newCtx();
    assert.equal(request(instance, refused), RESPOND, '4 calls counted');
    assert.equal(refused.response!.status, 403);
    assert.match(JSON.parse(refused.response!.body as string).message, /^Out of call volume quota/);
  });
});

describe('quota: bandwidth (kilobytes moved, counted at the end)', () => {
  test('the request that crosses the bandwidth completes; the next one is refused with APIM\'s message', () => {
    const { instance } = setup(f(quota), '<quota bandwidth="10" renewal-period="3600" />');
    assert.equal(request(instance, newCtx(), 200, 6 * 1024), CONTINUE);
    assert.equal(request(instance, newCtx(), 200, 6 * 1024), CONTINUE, '6 KB so far, under 10');
    const refused = newCtx();
    assert.equal(request(instance, refused), RESPOND, '12 KB so far');
    assert.equal(refused.response!.status, 403);
    assert.match(JSON.parse(refused.response!.body as string).message, /^Out of bandwidth quota\. Quota will be replenished in 00:59:50\.$/);
  });

  test('calls and bandwidth together: whichever runs out first refuses', () => {
    const { instance } = setup(f(quota), '<quota calls="100" bandwidth="1" renewal-period="3600" />');
    assert.equal(request(instance, newCtx(), 200, 2000), CONTINUE);
    assert.equal(request(instance, newCtx()), RESPOND);
  });
});

describe('quota: <api> and <operation> quotas inside the policy\'s quota (232)', () => {
  const xml = '<quota calls="5" renewal-period="3600"><api id="a" calls="3"><operation id="create" calls="1" /></api></quota>';

  test('an operation\'s quota, the API\'s and the policy\'s apply independently', () => {
    const { instance } = setup(f(quota), xml);
    assert.equal(request(instance, newCtx({}, 'create')), CONTINUE, 'create: 1 of 1');
    assert.equal(request(instance, newCtx({}, 'create')), RESPOND, 'create: over its own quota');
    assert.equal(request(instance, newCtx({}, 'list')), CONTINUE, 'api a: 3 of 3 (the refused create counted too)');
    assert.equal(request(instance, newCtx({}, 'list')), RESPOND, 'api a: over its quota');
    assert.equal(request(instance, newCtx({}, 'other', 'b')), CONTINUE, 'api b: only the policy quota applies: call 5 of 5');
    assert.equal(request(instance, newCtx({}, 'other', 'b')), RESPOND, 'call 6 of 5');
  });

  test('another API is held only to the policy\'s quota', () => {
    const { instance } = setup(f(quota), xml);
    for (let i = 0; i < 5; i++) assert.equal(request(instance, newCtx({}, 'x', 'b')), CONTINUE, `call ${i + 1}`);
    assert.equal(request(instance, newCtx({}, 'x', 'b')), RESPOND);
  });

  test('an API named by name matches the API\'s name; a child without renewal-period takes the policy\'s', () => {
    const { instance } = setup(f(quota), '<quota calls="100" renewal-period="3600"><api name="Orders" calls="1" /></quota>');
    const named = () => { const c = newCtx(); c.apiMeta = { name: 'Orders' } as RequestContext['apiMeta']; return c; };
    assert.equal(request(instance, named()), CONTINUE);
    assert.equal(request(instance, named()), RESPOND);
    assert.equal(request(instance, newCtx()), CONTINUE, 'no name: not that API');
  });

  test('compile errors name the element and attribute', () => {
    assert.equal(compileError(f(quota), '<quota calls="5" renewal-period="60"><api calls="1" /></quota>').attribute, 'name');
    const empty = compileError(f(quota), '<quota calls="5" renewal-period="60"><api id="a" /></quota>');
    assert.deepEqual([empty.at.element, empty.attribute], ['quota[0]/api', 'calls']);
    assert.equal(compileError(f(quota), '<quota calls="5" renewal-period="60"><api id="a"><operation id="o" /></api></quota>').attribute, 'calls');
    assert.equal(compileError(f(quota), '<quota calls="5" renewal-period="60"><api id="a" calls="1" colour="red" /></quota>').attribute, 'colour');
    assert.equal(compileError(f(quotaByKey), '<quota-by-key counter-key="ip" calls="5" renewal-period="60"><api id="a" calls="1" /></quota-by-key>').attribute, null);
  });
});
