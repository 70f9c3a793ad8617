/** quota and quota-by-key on the real SharedCounters: windows, the 403 body, keys, compile errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quota, quotaByKey, formatTimeSpan, quotaWindowEnd } from '../../src/gateway/policies/quota.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';

function setup(factory: PolicyFactory<unknown>, attrs: Record<string, unknown>, startMs: number) {
  const clock = { ms: startMs };
  const doc = parsePolicyDocument({ inbound: [{ [factory.name]: attrs }] }, 'api "t"');
  const el = doc.inbound![0];
  const config = factory.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
  const services = { counters: new SharedCounters(SharedCounters.allocate(256), () => clock.ms), now: () => clock.ms };
  return { clock, instance: factory.create(config, services) };
}

const ctx = (headers: string[] = [], ip = '10.0.0.1') => new RequestContext('GET', '/x', '', headers, ip, 'a', 'o', {});

function compileError(factory: PolicyFactory<unknown>, attrs: Record<string, unknown>): PolicyCompileError {
  const doc = parsePolicyDocument({ inbound: [{ [factory.name]: attrs }] }, 'api "t"');
  try { factory.compile(doc.inbound![0], policyLocation('api "t"', 'inbound', 0, factory.name)); } catch (err) {
    assert.ok(err instanceof PolicyCompileError);
    return err;
  }
  throw new Error('compiled');
}

describe('quota', () => {
  test('lets `calls` through per window, then 403 with APIM\'s message and the coded error', () => {
    // 3600 s windows aligned to the epoch: 100 s into one, 3500 s remain.
    const { instance } = setup(quota as PolicyFactory<unknown>, { calls: 2, 'renewal-period': 3600 }, 1_800_000_000 * 1000 - 1_800_000_000 % 3600 * 1000 + 100_000);
    assert.equal(instance.run(ctx()), CONTINUE);
    assert.equal(instance.run(ctx()), CONTINUE);
    const c = ctx();
    assert.equal(instance.run(c), RESPOND);
    assert.equal(c.response!.status, 403);
    // APIM: "the response includes a Retry-After header whose value is the recommended retry interval in seconds".
    assert.deepEqual(c.response!.headers, ['content-type', 'application/json', 'retry-after', '3500', 'x-outpost-error', 'OUTPOST_ERR_QUOTA_EXCEEDED']);
    assert.deepEqual(JSON.parse(c.response!.body as string), { statusCode: 403, message: 'Out of call volume quota. Quota will be replenished in 00:58:20.' });
  });

  test('a new window renews the quota', () => {
    const { clock, instance } = setup(quota as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 60 }, 6_000_000);
    assert.equal(instance.run(ctx()), CONTINUE);
    assert.equal(instance.run(ctx()), RESPOND);
    clock.ms += 60_000;
    assert.equal(instance.run(ctx()), CONTINUE);
  });

  test('quota-by-key counts each key separately', () => {
    const { instance } = setup(quotaByKey as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 60, 'counter-key': 'header:X-Client' }, 6_000_000);
    assert.equal(instance.run(ctx(['x-client', 'a'])), CONTINUE);
    assert.equal(instance.run(ctx(['x-client', 'b'])), CONTINUE);
    assert.equal(instance.run(ctx(['x-client', 'a'])), RESPOND);
  });

  test('first-period-start shifts the windows; renewal-period 0 never renews', () => {
    assert.equal(quotaWindowEnd(60, 30, 100), 150);
    assert.equal(quotaWindowEnd(60, 0, 100), 120);
    assert.equal(quotaWindowEnd(60, 1000, 100), 1060);
    assert.equal(quotaWindowEnd(0, 0, 100), 0xffffffff);
    const { clock, instance } = setup(quotaByKey as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 0, 'counter-key': 'ip' }, 6_000_000);
    assert.equal(instance.run(ctx()), CONTINUE);
    clock.ms += 86_400_000 * 365;
    assert.equal(instance.run(ctx()), RESPOND);
  });

  test('the wait is formatted as a .NET TimeSpan', () => {
    assert.equal(formatTimeSpan(59), '00:00:59');
    assert.equal(formatTimeSpan(3661), '01:01:01');
    assert.equal(formatTimeSpan(86_400 + 2 * 3600 + 3 * 60 + 4), '1.02:03:04');
    assert.equal(formatTimeSpan(0.2), '00:00:01');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileError(quota as PolicyFactory<unknown>, { calls: 5, bandwidth: 0, 'renewal-period': 60 }).attribute, 'bandwidth');
    assert.equal(compileError(quota as PolicyFactory<unknown>, { 'renewal-period': 60 }).attribute, 'calls');
    assert.equal(compileError(quota as PolicyFactory<unknown>, { calls: 5, bandwidth: 1024, 'renewal-period': 60, scope: 'fleet' }).attribute, 'scope');
    assert.equal(compileError(quota as PolicyFactory<unknown>, { calls: 5 }).attribute, 'renewal-period');
    assert.equal(compileError(quota as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'counter-key': 'ip' }).attribute, 'counter-key');
    assert.equal(compileError(quotaByKey as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'counter-key': 'cookie:x' }).attribute, 'counter-key');
    assert.equal(compileError(quotaByKey as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'counter-key': 'ip', 'first-period-start': 'soon' }).attribute, 'first-period-start');
    assert.equal(compileError(quotaByKey as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'counter-key': 'ip', 'increment-condition': '@(' }).attribute, 'increment-condition');
    assert.equal(compileError(quotaByKey as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'counter-key': 'ip', 'increment-count': -1 }).attribute, 'increment-count');
  });
});
