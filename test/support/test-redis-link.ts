/**
 * A RedisLink on ioredis for unit tests of the external cache, against the real Redis at
 * 127.0.0.1:6379 (or a port where nothing listens, to see "unavailable"). Not the gateway's link
 * (src/gateway/redis/create-redis-link.ts, with its circuit breaker): only the contract's
 * cache calls (counters answer unavailable), every
 * failure or timeout answered with REDIS_UNAVAILABLE.
 */
import { Redis } from 'ioredis';
import { REDIS_UNAVAILABLE, type RedisLink, type RedisState, type RedisUnavailable } from '../../src/gateway/redis/redis-link.js';

export interface TestRedisLink extends RedisLink {
  /** The raw client, to inspect or clean keys. */
  client: Redis;
}

export function testRedisLink(port = 6379, commandTimeoutMs = 200): TestRedisLink {
  const client = new Redis({ host: '127.0.0.1', port, commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  const guard = async <T>(work: () => Promise<T>): Promise<T | RedisUnavailable> => {
    try { return await work(); } catch { return REDIS_UNAVAILABLE; }
  };
  return {
    client,
    get state(): RedisState { return client.status === 'ready' ? 'up' : client.status === 'connecting' || client.status === 'connect' ? 'connecting' : 'down'; },
    getBuffer: (key) => guard(() => client.getBuffer(key)),
    setBuffer: (key, value, ttlMs) => guard(async () => { await client.set(key, value, 'PX', ttlMs); return true as const; }),
    del: (key) => guard(async () => (await client.del(key)) > 0),
    hit: () => Promise.resolve(REDIS_UNAVAILABLE),
    hitFixed: () => Promise.resolve(REDIS_UNAVAILABLE),
    ping: () => guard(async () => { await client.ping(); return true as const; }),
    close: async () => { client.disconnect(); },
  };
}

/** Waits until the client is ready (or gave up), so the first command is not refused while connecting. */
export async function readyLink(link: TestRedisLink): Promise<void> {
  if (link.client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const done = () => { link.client.off('ready', done); link.client.off('end', done); resolve(); };
    link.client.once('ready', done);
    link.client.once('end', done);
  });
}
