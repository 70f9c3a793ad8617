/**
 * rate-limit and quota with scope="fleet" on the real Redis (unique key prefix), each "node" a
 * SharedCounters of its own with a link of its own; fail-open and fail-closed against a port
 * where nothing listens. Clocks are injected: no test waits for a window to pass.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimit } from '../../src/gateway/policies/rate-limit.js';
import { quotaByKey } from '../../src/gateway/policies/quota.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND, type Outcome } from '../../src/gateway/pipeline/phases.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import type { PolicyFactory, PolicyInstance } from '../../src/gateway/pipeline/policy-contract.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import { createRedisLink } from '../../src/gateway/redis/create-redis-link.js';
import type { RedisLink } from '../../src/gateway/redis/redis-link.js';
import { resolveRedisSettings } from '../../src/gateway/redis/redis-settings.js';
import { RedisStatsRow, allocateRedisStats, readRedisStats } from '../../src/gateway/redis/redis-stats.js';
import { redisSchema } from '../../src/shared/config-schema.js';
import { SHARED_REDIS_URL, uniqueKeyPrefix, waitUntil } from '../support/redis-server.js';

const links: RedisLink[] = [];
after(async () => { await Promise.all(links.map((l) => l.close())); });

function openLink(url: string, stats?: RedisStatsRow): RedisLink {
  const l = createRedisLink(resolveRedisSettings(redisSchema.parse({ url, keyPrefix: uniqueKeyPrefix('policy') }))!, stats);
  links.push(l);
  return l;
}

/** One gateway node: its own shared counters, its own link, a shared clock. */
function node(factory: PolicyFactory<unknown>, attrs: Record<string, unknown>, clock: { ms: number }, redis: RedisLink | null, stats?: RedisStatsRow): PolicyInstance {
  const doc = parsePolicyDocument({ inbound: [{ [factory.name]: attrs }] }, 'api "t"');
  const el = doc.inbound![0];
  const config = factory.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
  const services: WorkerServices = { counters: new SharedCounters(SharedCounters.allocate(256), () => clock.ms), now: () => clock.ms, redis, redisStats: stats };
  return factory.create(config, services);
}

const ctx = (headers: string[] = []) => new RequestContext('GET', '/x', '', headers, '10.0.0.1', 'a', 'o', {});

async function run(instance: PolicyInstance, c = ctx()): Promise<{ outcome: Outcome; c: RequestContext }> {
  return { outcome: await instance.run(c), c };
}

describe('fleet scope on the shared Redis', () => {
  test('APIM\'s example: 3 calls per 10 s, 6 calls within 1 s across a window boundary', async () => {
    const redis = openLink(SHARED_REDIS_URL);
    await waitUntil(() => redis.state === 'up', 5_000, 'redis up');
    const boundary = 180_000_000 * 10_000;
    const clock = { ms: boundary - 500 };
    const attrs = { calls: 3, 'renewal-period': 10 };
    const fixed = node(rateLimit as PolicyFactory<unknown>, attrs, clock, null);
    const sliding = node(rateLimit as PolicyFactory<unknown>, { ...attrs, scope: 'fleet' }, clock, redis);
    const passed = { fixed: 0, sliding: 0 };
    for (const at of [-500, -400, -300, 100, 200, 300]) {
      clock.ms = boundary + at;
      if ((await run(fixed)).outcome === CONTINUE) passed.fixed++;
      if ((await run(sliding)).outcome === CONTINUE) passed.sliding++;
    }
    // Node scope: fixed epoch-aligned windows (documented); fleet scope: a sliding window.
    assert.deepEqual(passed, { fixed: 6, sliding: 3 });
    // Rejected calls count too (as APIM): the window after holds 4, and 0.5 s into the next one
    // it weighs ceil(4 × 0.95) = 4; 9 s in, ceil(4 × 0.1) = 1, and calls pass again.
    clock.ms = boundary + 10_500;
    assert.equal((await run(sliding)).outcome, RESPOND);
    clock.ms = boundary + 19_000;
    assert.equal((await run(sliding)).outcome, CONTINUE);
  });

  test('two nodes share one fleet limit and one quota; 429 and 403 as at node scope', async () => {
    const clock = { ms: Date.now() };
    // Every node's link uses the same prefix, as gateways sharing one Redis do.
    const prefix = uniqueKeyPrefix('pair');
    const link = (): RedisLink => { const l = createRedisLink(resolveRedisSettings(redisSchema.parse({ url: SHARED_REDIS_URL, keyPrefix: prefix }))!); links.push(l); return l; };
    const attrs = { calls: 4, 'renewal-period': 60, scope: 'fleet', 'remaining-calls-header-name': 'x-left' };
    const nodes = [node(rateLimit as PolicyFactory<unknown>, attrs, clock, link()), node(rateLimit as PolicyFactory<unknown>, attrs, clock, link())];
    await waitUntil(() => links.every((l) => l.state === 'up'), 5_000, 'links up');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => run(nodes[i % 2])));
    assert.equal(results.filter((r) => r.outcome === CONTINUE).length, 4);
    const limited = results.find((r) => r.outcome === RESPOND)!.c;
    assert.equal(limited.response!.status, 429);
    assert.ok(limited.response!.headers.includes('OUTPOST_ERR_RATE_LIMITED'));

    const q = { calls: 2, 'renewal-period': 3600, 'counter-key': 'header:x-client', scope: 'fleet' };
    const quotas = [node(quotaByKey as PolicyFactory<unknown>, q, clock, link()), node(quotaByKey as PolicyFactory<unknown>, q, clock, link())];
    await waitUntil(() => links.every((l) => l.state === 'up'), 5_000, 'links up');
    const forClient = (k: string) => ctx(['x-client', k]);
    assert.equal((await run(quotas[0], forClient('c1'))).outcome, CONTINUE);
    assert.equal((await run(quotas[1], forClient('c1'))).outcome, CONTINUE);
    const over = await run(quotas[0], forClient('c1'));
    assert.equal(over.outcome, RESPOND);
    assert.equal(over.c.response!.status, 403);
    assert.equal((await run(quotas[1], forClient('c2'))).outcome, CONTINUE, 'another key has its own quota');
  });
});

describe('Redis unreachable', () => {
  const nowhere = 'redis://127.0.0.1:1/0';

  test('fail-mode="open" (default) counts node-wide and says so in the stats', async () => {
    const buffer = allocateRedisStats(1);
    const stats = new RedisStatsRow(buffer, 0);
    const clock = { ms: Date.now() };
    const limit = node(rateLimit as PolicyFactory<unknown>, { calls: 2, 'renewal-period': 60, scope: 'fleet' }, clock, openLink(nowhere, stats), stats);
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await run(limit)).outcome);
    assert.deepEqual(outcomes, [CONTINUE, CONTINUE, RESPOND]);
    assert.equal(readRedisStats(buffer).failOpen, 3);
  });

  test('fail-mode="closed" answers 503 OUTPOST_ERR_REDIS_UNAVAILABLE, never a limit status', async () => {
    const buffer = allocateRedisStats(1);
    const stats = new RedisStatsRow(buffer, 0);
    const clock = { ms: Date.now() };
    for (const [factory, attrs] of [
      [rateLimit, { calls: 100, 'renewal-period': 60, scope: 'fleet', 'fail-mode': 'closed' }],
      [quotaByKey, { calls: 100, 'renewal-period': 60, 'counter-key': 'ip', scope: 'fleet', 'fail-mode': 'closed' }],
    ] as const) {
      const { outcome, c } = await run(node(factory as PolicyFactory<unknown>, attrs, clock, openLink(nowhere, stats), stats));
      assert.equal(outcome, RESPOND);
      assert.equal(c.response!.status, 503);
      assert.deepEqual(c.response!.headers, ['content-type', 'application/json', 'x-outpost-error', 'OUTPOST_ERR_REDIS_UNAVAILABLE']);
      assert.equal(JSON.parse(c.response!.body as string).statusCode, 503);
    }
    assert.equal(readRedisStats(buffer).failClosed, 2);
  });

  test('no link at all (gateway.redis added by a reload, not yet restarted) applies the fail mode too', async () => {
    const clock = { ms: Date.now() };
    const closed = node(rateLimit as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 60, scope: 'fleet', 'fail-mode': 'closed' }, clock, null);
    assert.equal((await run(closed)).c.response!.status, 503);
    const open = node(rateLimit as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 60, scope: 'fleet' }, clock, null);
    assert.equal((await run(open)).outcome, CONTINUE);
  });
});
