/**
 * The Redis link against real servers: the shared one (unique key prefix) for commands and the
 * counter scripts, and a redis-server of the test's own for what needs breaking (NOSCRIPT,
 * a slow server, a killed one, its return).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisLink } from '../../src/gateway/redis/create-redis-link.js';
import { REDIS_UNAVAILABLE, type RedisLink } from '../../src/gateway/redis/redis-link.js';
import { resolveRedisSettings } from '../../src/gateway/redis/redis-settings.js';
import { RedisStatsRow, allocateRedisStats, readRedisStats } from '../../src/gateway/redis/redis-stats.js';
import { redisSchema } from '../../src/shared/config-schema.js';
import { SHARED_REDIS_URL, startOwnRedis, uniqueKeyPrefix, waitUntil, type OwnRedis } from '../support/redis-server.js';

function link(url: string, extra: Record<string, unknown> = {}, stats?: RedisStatsRow): RedisLink {
  return createRedisLink(resolveRedisSettings(redisSchema.parse({ url, ...extra }))!, stats);
}

async function ready(l: RedisLink): Promise<void> {
  await waitUntil(() => l.state === 'up', 5_000, 'link up');
}

describe('RedisLink on the shared Redis', () => {
  const keyPrefix = uniqueKeyPrefix('link');
  let l: RedisLink;
  let raw: Redis;
  before(async () => {
    l = link(SHARED_REDIS_URL, { keyPrefix });
    raw = new Redis(SHARED_REDIS_URL);
    await ready(l);
  });
  after(async () => {
    const keys = await raw.keys(`${keyPrefix}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
    await l.close();
  });

  test('binary values round-trip under the key prefix, with a TTL', async () => {
    const value = Buffer.from([0, 1, 2, 255, 10, 13]);
    assert.equal(await l.setBuffer('v', value, 5_000), true);
    assert.deepEqual(await l.getBuffer('v'), value);
    const ttl = await raw.pttl(`${keyPrefix}v`);
    assert.ok(ttl > 0 && ttl <= 5_000, `ttl ${ttl}`);
    assert.equal(await l.del('v'), true);
    assert.equal(await l.del('v'), false);
    assert.equal(await l.getBuffer('v'), null);
  });

  test('hit is a sliding window: the previous window counts by its overlap, rounded up', async () => {
    const w = 10_000;
    const start = 200_000 * w; // a window boundary, far from now: keys are distinct per index
    // 3 hits 1 s before the boundary.
    for (const expected of [1, 2, 3]) assert.equal(await l.hit('s', w, start - 1_000), expected);
    // 0.5 s after it: 1 new + ceil(3 × 0.95) = 1 + 3.
    assert.equal(await l.hit('s', w, start + 500), 4);
    // Half-way: 2 + ceil(3 × 0.5) = 2 + 2.
    assert.equal(await l.hit('s', w, start + 5_000), 4);
    // Two windows later, the 3 early hits are gone; the 2 late ones count ×0.9 → ceil(1.8) = 2.
    assert.equal(await l.hit('s', w, start + w + 1_000), 3);
    const ttl = await raw.pttl(`${keyPrefix}rl:{k:s}:${start / w + 1}`);
    assert.ok(ttl > 0 && ttl <= 2 * w, `expires two windows after it starts (${ttl})`);
  });

  test('hitFixed counts per window end; 0 never expires', async () => {
    const end = Date.now() + 60_000;
    assert.equal(await l.hitFixed('f', end), 1);
    assert.equal(await l.hitFixed('f', end), 2);
    assert.equal(await l.hitFixed('f', end + 60_000), 1);
    const ttl = await raw.pttl(`${keyPrefix}q:{k:f}:${end}`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `expires at the window end (${ttl})`);
    assert.equal(await l.hitFixed('forever', 0), 1);
    assert.equal(await raw.pttl(`${keyPrefix}q:{k:forever}:0`), -1);
  });

  test('hits from several connections at once are exact: every count from 1 to N once', async () => {
    const links = [l, link(SHARED_REDIS_URL, { keyPrefix }), link(SHARED_REDIS_URL, { keyPrefix }), link(SHARED_REDIS_URL, { keyPrefix })];
    await Promise.all(links.map(ready));
    const nowMs = Date.now();
    const counts = await Promise.all(Array.from({ length: 200 }, (_, i) => links[i % 4].hit('race', 60_000, nowMs)));
    assert.deepEqual(counts.map(Number).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    await Promise.all(links.slice(1).map((x) => x.close()));
  });
});

describe('RedisLink on a server of its own', () => {
  let own: OwnRedis;
  before(async () => { own = await startOwnRedis(); });
  after(async () => { await own.kill(); });

  test('a server that forgot the scripts (NOSCRIPT) gets them again with EVAL', async () => {
    const l = link(own.url);
    await ready(l);
    assert.equal(await l.hit('n', 60_000, 1_000), 1);
    const raw = new Redis(own.url);
    await raw.script('FLUSH');
    assert.equal(await l.hit('n', 60_000, 1_000), 2);
    assert.equal(await l.hitFixed('m', 0), 1);
    raw.disconnect();
    await l.close();
  });

  test('a slow server costs the command budget, not more', async () => {
    const l = link(own.url, { commandTimeoutMs: 50, breakerFailures: 100 });
    await ready(l);
    const raw = new Redis(own.url);
    try {
      const sleeping = raw.call('DEBUG', 'SLEEP', '1');
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      assert.equal(await l.hit('slow', 60_000, 1_000), REDIS_UNAVAILABLE);
      // Loose bound (a shared machine): far under the server's 1 s stall.
      assert.ok(Date.now() - started < 700, `waited ${Date.now() - started} ms`);
      await sleeping;
    } finally {
      raw.disconnect();
      await l.close();
    }
  });

  test('killed: unavailable at once, the breaker opens, then closes when the server returns', async () => {
    const stats = allocateRedisStats(1);
    const l = link(own.url, { breakerFailures: 3, breakerOpenMs: 100 }, new RedisStatsRow(stats, 0));
    await ready(l);
    assert.equal(await l.hitFixed('k', 0), 1);
    await own.kill();
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      assert.equal(await l.hitFixed('k', 0), REDIS_UNAVAILABLE);
      assert.ok(Date.now() - started < 1_000);
    }
    assert.equal(l.state, 'down');
    const down = readRedisStats(stats);
    assert.equal(down.workersUp, 0);
    assert.ok(down.breakerOpens >= 1, 'breaker opened');
    assert.ok(down.failures >= 3 && down.shortCircuits >= 1, JSON.stringify(down));
    await own.restart();
    // The probe timer closes the breaker without any request asking.
    await waitUntil(() => l.state === 'up', 10_000, 'link up again');
    assert.equal(await l.hitFixed('k', 0), 1, 'a fresh server counts from 1');
    assert.equal(readRedisStats(stats).workersUp, 1);
    await l.close();
  });
});
