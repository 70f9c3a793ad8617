/**
 * llm-token-limit with scope="fleet" on the real Redis (unique key prefix): two "nodes", each with
 * its own shared counters and link, share one per-minute count and one quota; the charge of the
 * reported usage on one node is seen by the other; fail-closed answers 503, fail-open counts
 * node-wide. Clocks are injected.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { llmTokenLimit } from '../../src/gateway/policies/llm-token-limit.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory, PolicyInstance } from '../../src/gateway/pipeline/policy-contract.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import { createRedisLink } from '../../src/gateway/redis/create-redis-link.js';
import type { RedisLink } from '../../src/gateway/redis/redis-link.js';
import { resolveRedisSettings } from '../../src/gateway/redis/redis-settings.js';
import { redisSchema } from '../../src/shared/config-schema.js';
import { SHARED_REDIS_URL, uniqueKeyPrefix, waitUntil } from '../support/redis-server.js';
import { compileOne } from '../support/policy-harness.js';

const limit = llmTokenLimit as PolicyFactory<unknown>;
const links: RedisLink[] = [];
after(async () => { await Promise.all(links.map((l) => l.close())); });

function openLink(url: string, prefix: string): RedisLink {
  const l = createRedisLink(resolveRedisSettings(redisSchema.parse({ url, keyPrefix: prefix }))!);
  links.push(l);
  return l;
}

function node(policy: string, clock: { ms: number }, redis: RedisLink | null): PolicyInstance {
  const services: WorkerServices = { counters: new SharedCounters(SharedCounters.allocate(256), () => clock.ms), now: () => clock.ms, redis };
  return limit.create(compileOne(limit, policy), services);
}

const request = () => new RequestContext('POST', '/chat', '', [], '10.0.0.1', 'a', 'o', {});

function remaining(ctx: RequestContext, name: string): string | undefined {
  const h = ctx.extraResponseHeaders ?? [];
  const i = h.indexOf(name);
  return i >= 0 ? h[i + 1] : undefined;
}

function answer(ctx: RequestContext, total: number): void {
  const tap = ctx.bodyTap!;
  const body = Buffer.from(JSON.stringify({ usage: { prompt_tokens: 1, completion_tokens: total - 1, total_tokens: total } }));
  assert.ok(tap.begin(200, 'OK', ['content-type', 'application/json'], body.length));
  tap.chunk(body);
  tap.complete();
}

describe('llm-token-limit scope="fleet"', () => {
  test('two nodes share the per-minute count and the quota; a charge on one is seen on the other', async () => {
    // 10 s into a minute, well inside an hour.
    const clock = { ms: Math.floor(Date.now() / 3_600_000) * 3_600_000 + 600_000 + 10_000 };
    const prefix = uniqueKeyPrefix('llm');
    const policy = '<llm-token-limit counter-key="k" tokens-per-minute="100" token-quota="150" token-quota-period="Hourly" scope="fleet" remaining-tokens-header-name="x-left" remaining-quota-tokens-header-name="x-quota-left" />';
    const [a, b] = [node(policy, clock, openLink(SHARED_REDIS_URL, prefix)), node(policy, clock, openLink(SHARED_REDIS_URL, prefix))];
    await waitUntil(() => links.every((l) => l.state === 'up'), 5_000, 'links up');

    const first = request();
    assert.equal(await a.run(first), CONTINUE);
    assert.equal(remaining(first, 'x-left'), '100');
    answer(first, 70);
    // The charge is not awaited by anyone: look from the other node until it has landed.
    let seen = request();
    await waitUntil(async () => { seen = request(); await b.run(seen); return remaining(seen, 'x-left') === '30'; }, 5_000, 'charge seen on the other node');
    assert.equal(remaining(seen, 'x-quota-left'), '80');
    answer(seen, 40);
    await waitUntil(async () => { const c = request(); return (await a.run(c)) === RESPOND && c.response!.status === 429; }, 5_000, '429 on the first node');

    // Two minutes on, the minute is free again but the hour's quota (110 of 150) is not.
    clock.ms += 120_000;
    const next = request();
    assert.equal(await b.run(next), CONTINUE);
    assert.equal(remaining(next, 'x-quota-left'), '40');
    answer(next, 40);
    await waitUntil(async () => { const c = request(); return (await a.run(c)) === RESPOND && c.response!.status === 403; }, 5_000, '403 once the quota is used');
  });

  test('Redis unreachable: fail-mode="closed" answers 503, fail-open counts node-wide', async () => {
    const clock = { ms: Date.now() };
    const nowhere = 'redis://127.0.0.1:1/0';
    const closed = node('<llm-token-limit counter-key="k" tokens-per-minute="100" scope="fleet" fail-mode="closed" />', clock, openLink(nowhere, uniqueKeyPrefix('llm')));
    const c = request();
    assert.equal(await closed.run(c), RESPOND);
    assert.equal(c.response!.status, 503);
    assert.ok(c.response!.headers.includes('OUTPOST_ERR_REDIS_UNAVAILABLE'));

    const open = node('<llm-token-limit counter-key="k" tokens-per-minute="50" scope="fleet" />', clock, openLink(nowhere, uniqueKeyPrefix('llm')));
    const ok = request();
    assert.equal(await open.run(ok), CONTINUE);
    answer(ok, 60);
    // Charged node-wide instead of in Redis.
    await waitUntil(async () => (await open.run(request())) === RESPOND, 5_000, 'node-wide count refuses');
  });
});
