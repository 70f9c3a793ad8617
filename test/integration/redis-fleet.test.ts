/**
 * Fleet counters through real gateways and real Redis (never a mock): two gateway processes
 * sharing the Redis at 127.0.0.1:6379 (a key prefix of this run's own) enforce one limit exactly;
 * a redis-server of the test's own, killed mid-run, shows fail-open and fail-closed, readiness
 * and /metrics saying so, and counting resuming when it returns; bad Redis config stops startup.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startGateway, opsGet, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { SHARED_REDIS_URL, startOwnRedis, uniqueKeyPrefix, waitUntil, type OwnRedis } from '../support/redis-server.js';

function fleetConfig(backendUrl: string, redis: Record<string, unknown>, operations: Array<{ id: string; policy: Record<string, unknown> }>): object {
  return {
    gateway: { drainTimeoutSeconds: 2, redis },
    apis: [{
      id: 'fleet', name: 'Fleet', path: 'fleet', serviceUrl: backendUrl, subscriptionRequired: false,
      operations: operations.map(({ id, policy }) => ({ id, method: 'GET', urlTemplate: `/${id}`, policies: { inbound: [policy] } })),
    }],
  };
}

async function redisDetail(gw: GatewayProcess): Promise<{ ready: boolean; redis: { state: string; workersUp: number } }> {
  const { body } = await opsGet(gw, '/health/ready');
  return body as unknown as { ready: boolean; redis: { state: string; workersUp: number } };
}

async function redisUpEverywhere(gw: GatewayProcess, workers: number): Promise<void> {
  await waitUntil(async () => { const d = await redisDetail(gw); return d.ready && d.redis.state === 'up' && d.redis.workersUp === workers; }, 15_000, 'Redis up in every worker');
}

async function get(gw: GatewayProcess, path: string): Promise<{ status: number; code: string | null; ms: number }> {
  const started = Date.now();
  const res = await fetch(gw.url(path));
  await res.arrayBuffer();
  return { status: res.status, code: res.headers.get('x-outpost-error'), ms: Date.now() - started };
}

async function metric(gw: GatewayProcess, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? NaN : Number(found.slice(line.length + 1));
}

describe('fleet counters across gateway processes', () => {
  let backend: TestBackend;
  before(async () => { backend = await startBackend(echoHandler); });
  after(async () => { await backend.close(); });

  test('two gateways × 2 workers sharing one Redis enforce one limit exactly: 30 of 60 pass', async () => {
    const keyPrefix = uniqueKeyPrefix('fleet');
    // A generous command budget: this test is about exactness on a shared, loaded machine, where
    // 50 ms can pass before a worker's event loop reads the reply (a timeout falls back to
    // node-wide counting, by design). The budget itself is tested with a server of our own.
    const config = fleetConfig(backend.url, { url: SHARED_REDIS_URL, keyPrefix, commandTimeoutMs: 3_000 }, [
      { id: 'limited', policy: { 'rate-limit': { calls: 30, 'renewal-period': 300, scope: 'fleet' } } },
    ]);
    const gateways = await Promise.all([startGateway(config, { workers: 2 }), startGateway(config, { workers: 2 })]);
    const raw = new Redis(SHARED_REDIS_URL);
    try {
      await Promise.all(gateways.map((gw) => redisUpEverywhere(gw, 2)));
      // One request to each gateway first, in turn, then the other 58 at once (alternating): without
      // the first two, one gateway's cold first requests could reach Redis only after the other had
      // taken all 30 passes (seen once in CI), and the test would say nothing about sharing.
      const first = [await get(gateways[0], '/fleet/limited'), await get(gateways[1], '/fleet/limited')];
      const rest = await Promise.all(Array.from({ length: 58 }, (_, i) => get(gateways[i % 2], '/fleet/limited')));
      const results = [...first, ...rest];
      const statuses = results.map((r) => r.status);
      for (const gw of gateways) assert.equal(await metric(gw, 'outpost_fleet_counter_fallbacks_total{mode="open"}'), 0, 'every hit reached Redis');
      assert.equal(statuses.filter((s) => s === 200).length, 30, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 429).length, 30);
      // Both gateways served some of the passes: the count is shared, not per node.
      for (const g of [0, 1]) assert.ok(results.some((r, i) => i % 2 === g && r.status === 200));
      assert.ok((await raw.keys(`${keyPrefix}rl:*`)).length >= 1, 'counted in Redis under the prefix');
    } finally {
      const keys = await raw.keys(`${keyPrefix}*`);
      if (keys.length) await raw.del(...keys);
      raw.disconnect();
      await Promise.all(gateways.map((gw) => gw.stop()));
    }
  });
});

describe('a Redis that dies mid-run', () => {
  let backend: TestBackend;
  let own: OwnRedis;
  let gw: GatewayProcess;
  before(async () => {
    backend = await startBackend(echoHandler);
    own = await startOwnRedis();
    gw = await startGateway(fleetConfig(backend.url, { url: own.url, commandTimeoutMs: 50, breakerFailures: 3, breakerOpenMs: 200 }, [
      { id: 'open', policy: { 'rate-limit': { calls: 3, 'renewal-period': 60, scope: 'fleet', 'fail-mode': 'open' } } },
      { id: 'closed', policy: { quota: { calls: 1000, 'renewal-period': 3600, scope: 'fleet', 'fail-mode': 'closed' } } },
    ]), { workers: 2 });
    await redisUpEverywhere(gw, 2);
  });
  after(async () => {
    await gw?.stop();
    await own?.kill();
    await backend?.close();
  });

  test('fail-open counts node-wide, fail-closed answers 503, no request waits, readiness and metrics say so; counting resumes', async () => {
    assert.equal((await get(gw, '/fleet/open')).status, 200);
    assert.equal((await get(gw, '/fleet/closed')).status, 200);
    await own.kill();

    const closed = [];
    for (let i = 0; i < 6; i++) closed.push(await get(gw, '/fleet/closed'));
    for (const r of closed) {
      assert.equal(r.status, 503);
      assert.equal(r.code, 'OUTPOST_ERR_REDIS_UNAVAILABLE');
      assert.ok(r.ms < 2_000, `answered in ${r.ms} ms`);
    }
    // Node-wide counts start from 0 (the one hit counted in Redis is not known here): 3 pass, then 429.
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await get(gw, '/fleet/open'));
    assert.deepEqual(open.map((r) => r.status), [200, 200, 200, 429, 429]);
    assert.ok(open.every((r) => r.ms < 2_000));

    await waitUntil(async () => (await redisDetail(gw)).redis.state === 'down', 10_000, 'readiness says Redis is down');
    const detail = await redisDetail(gw);
    assert.equal(detail.ready, true, 'still ready: fail-open is a degraded mode, not an outage');
    assert.equal(await metric(gw, 'outpost_redis_up'), 0);
    assert.equal(await metric(gw, 'outpost_fleet_counter_fallbacks_total{mode="open"}'), 5);
    assert.equal(await metric(gw, 'outpost_fleet_counter_fallbacks_total{mode="closed"}'), 6);
    assert.ok(await metric(gw, 'outpost_redis_command_failures_total') >= 1);
    assert.ok(gw.logs.some((l) => l.msg === 'Redis unreachable' && l.errorCode === 'OUTPOST_ERR_REDIS_UNAVAILABLE'));
    assert.ok(!JSON.stringify(gw.logs).includes('Unhandled error event'));

    await own.restart();
    await redisUpEverywhere(gw, 2);
    await waitUntil(async () => (await get(gw, '/fleet/closed')).status === 200, 10_000, 'fail-closed route answers again');
    assert.equal(await metric(gw, 'outpost_redis_up'), 1);
    // Counting resumed in Redis: the restarted (empty) server holds the counts again.
    const raw = new Redis(own.url);
    try {
      assert.equal((await get(gw, '/fleet/open')).status, 200, 'a fresh fleet window');
      const keys = await raw.keys('outpost:*');
      assert.ok(keys.some((k) => k.startsWith('outpost:rl:')) && keys.some((k) => k.startsWith('outpost:q:')), JSON.stringify(keys));
    } finally {
      raw.disconnect();
    }
    assert.ok(gw.logs.some((l) => l.msg === 'fleet counters reach Redis again: counting fleet-wide'));
  });
});

describe('Redis config errors stop startup', () => {
  const api = (policy: Record<string, unknown>) => ({
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false, operations: [{ id: 'o', method: 'GET', urlTemplate: '/o', policies: { inbound: [policy] } }] }],
  });

  test('a bad URL is named by field, its password never logged', async () => {
    const gw = await startGateway({ gateway: { redis: { url: 'http://user:s3cret@h:1' } } }, { workers: 1, expectFailure: true });
    assert.notEqual(await gw.exited, 0);
    assert.ok(gw.logs.some((l) => l.field === 'gateway.redis.url' && l.errorCode === 'OUTPOST_ERR_CONFIG_INVALID'), JSON.stringify(gw.logs));
    assert.ok(!JSON.stringify(gw.logs).includes('s3cret'));
  });

  test('scope="fleet" without gateway.redis is a policy error at `scope`; OUTPOST_REDIS_URL satisfies it', async () => {
    const config = api({ 'rate-limit': { calls: 1, 'renewal-period': 10, scope: 'fleet' } });
    const gw = await startGateway(config, { workers: 1, expectFailure: true });
    assert.notEqual(await gw.exited, 0);
    assert.ok(gw.logs.some((l) => l.errorCode === 'OUTPOST_ERR_POLICY_INVALID' && String(l.problem).includes('@scope')), JSON.stringify(gw.logs));

    const bad = await startGateway(config, { workers: 1, expectFailure: true, env: { OUTPOST_REDIS_URL: 'redis://u:s3cret@h:1/db' } });
    assert.notEqual(await bad.exited, 0);
    assert.ok(bad.logs.some((l) => l.errorCode === 'OUTPOST_ERR_CONFIG_INVALID' && String(l.msg).startsWith('OUTPOST_REDIS_URL')), JSON.stringify(bad.logs));
    assert.ok(!JSON.stringify(bad.logs).includes('s3cret'));

    const good = await startGateway(config, { workers: 1, env: { OUTPOST_REDIS_URL: SHARED_REDIS_URL } });
    await good.stop();
  });
});
