/**
 * The external response cache through real gateways and the real Redis at 127.0.0.1:6379 (keys
 * under a prefix of this run, removed afterwards): two gateway processes of two workers each share
 * entries, a hit carrying the same status, headers and bytes with Age; a gateway whose Redis
 * hangs keeps answering from the backend, never with an error; and with a redis-server of the
 * test's own killed mid-run, requests go on (misses) and caching resumes when it is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startCacheBackend, type CacheBackend } from '../support/cache-backend.js';
import { startOwnRedis, waitUntil, type OwnRedis } from '../support/redis-server.js';

const POLICIES = {
  inbound: [{ 'cache-lookup': { 'caching-type': 'external', 'vary-by-query-parameter': 'v' } }],
  outbound: [{ 'cache-store': { duration: 60 } }],
};

/** One Host for both gateways, as behind a load balancer: the client's Host is part of the key (X-Forwarded-Host). */
async function call(gw: GatewayProcess, path: string) {
  const res = await request(gw.url(path), { headers: { host: 'api.example.test' } });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}
async function workersConnected(gw: GatewayProcess, workers: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (gw.logs.filter((l) => l.msg === 'Redis connected' && l.role === 'worker').length >= workers) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the workers never connected to Redis');
}
// Date, Age and the correlation id (X-Request-Id) are per response; the rest must be the same.
const stable = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date' && k !== 'age' && k !== 'x-request-id'));

describe('response cache (external, Redis)', () => {
  const prefix = `outpost-test-${randomBytes(6).toString('hex')}:`;
  let backend: CacheBackend;
  let a: GatewayProcess;
  let b: GatewayProcess;

  before(async () => {
    backend = await startCacheBackend();
    const config = oneApiConfig(backend.url, { redis: { url: 'redis://127.0.0.1:6379', keyPrefix: prefix, commandTimeoutMs: 200 } }, { policies: POLICIES });
    [a, b] = await Promise.all([startGateway(config, { workers: 2 }), startGateway(config, { workers: 2 })]);
    // Until its worker's link is up, a request is a miss (that is the contract): start from all connected.
    await Promise.all([workersConnected(a, 2), workersConnected(b, 2)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await backend?.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('an entry stored by one gateway is a hit on the other: same status, headers and bytes, with Age', async () => {
    const first = await call(a, '/echo/shared?v=1');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-backend-call'], '1');
    // The response does not wait for the store: wait until the entry is in Redis.
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      for (let i = 0; i < 40 && (await redis.keys(`${prefix}rc:*`)).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    } finally { redis.disconnect(); }
    const onA = await call(a, '/echo/shared?other=x&v=1');
    assert.equal(onA.headers['x-backend-call'], '1');
    assert.match(String(onA.headers.age), /^\d+$/);
    const fromB = await call(b, '/echo/shared?v=1');
    assert.equal(fromB.status, 200);
    assert.deepEqual(stable(fromB.headers), stable(first.headers));
    assert.deepEqual(fromB.body, first.body);
    assert.match(String(fromB.headers.age), /^\d+$/);
    const otherV = await call(b, '/echo/shared?v=2');
    assert.equal(otherV.headers.age, undefined);
    assert.equal(otherV.headers['x-backend-call'], '2');
    assert.equal(backend.calls('/shared'), 2);
  });
});

describe('response cache with Redis unreachable', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let backend: CacheBackend;
  let gw: GatewayProcess;

  before(async () => {
    // Accepts connections and never answers: every command runs into the budget.
    silent = createServer((s) => { sockets.add(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    backend = await startCacheBackend();
    const url = `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    gw = await startGateway(oneApiConfig(backend.url, { redis: { url, commandTimeoutMs: 50, connectTimeoutMs: 100 } }, { policies: POLICIES }), { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  test('every request is a miss answered by the backend, none an error', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await call(gw, '/echo/down');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-backend-call'], String(i));
      assert.equal(r.headers.age, undefined);
    }
  });
});

describe('response cache with its Redis killed and restarted', () => {
  let redis: OwnRedis;
  let backend: CacheBackend;
  let gw: GatewayProcess;

  before(async () => {
    redis = await startOwnRedis();
    backend = await startCacheBackend();
    gw = await startGateway(oneApiConfig(backend.url, { redis: { url: redis.url, commandTimeoutMs: 50, breakerOpenMs: 100 } }, { policies: POLICIES }), { workers: 1 });
    await workersConnected(gw, 1);
  });
  after(async () => { await gw?.stop(); await backend?.close(); await redis?.kill(); });

  /** Two GETs of a fresh path: whether the second was a hit. */
  const storesAndHits = async (path: string): Promise<boolean> => {
    const first = await call(gw, path);
    assert.equal(first.status, 200);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const again = await call(gw, path);
      assert.equal(again.status, 200);
      if (again.headers.age !== undefined) return true;
    }
    return false;
  };

  test('misses while Redis is gone, never an error; caching resumes when it is back', async () => {
    assert.ok(await storesAndHits('/echo/before'));
    await redis.kill();
    for (let i = 1; i <= 5; i++) {
      const r = await call(gw, '/echo/while-down');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-backend-call'], String(i));
      assert.equal(r.headers.age, undefined);
    }
    await redis.restart();
    let n = 0;
    await waitUntil(() => storesAndHits(`/echo/after-${n++}`), 15_000, 'caching never resumed after Redis came back');
  });
});
