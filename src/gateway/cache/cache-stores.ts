/**
 * Where cached bytes live for one worker: its in-memory LRU (internal) and Redis through the
 * worker's RedisLink (external). caching-type picks one per policy, as APIM does:
 * - internal: the LRU;
 * - external: Redis; with no `gateway.redis` configured nothing is cached (every lookup misses);
 * - prefer-external: Redis when configured, else the LRU.
 * Redis unavailable (down, over the command budget, circuit open) is a miss and a skipped store,
 * never an error: the request goes on to the backend.
 */
import type { WorkerServices } from '../pipeline/worker-services.js';
import { REDIS_UNAVAILABLE, type RedisLink } from '../redis/redis-link.js';
import { ByteLru } from './byte-lru.js';
import { log } from '../../shared/log.js';

export type CachingType = 'internal' | 'external' | 'prefer-external';
export const CACHING_TYPES: readonly CachingType[] = ['internal', 'external', 'prefer-external'];

export interface CacheLimits {
  maxEntryBytes: number;
  internalMaxBytes: number;
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = { maxEntryBytes: 1024 * 1024, internalMaxBytes: 64 * 1024 * 1024 };

/** No store at all: caching-type external without Redis configured. */
const NOWHERE = null;
type Target = ByteLru | RedisLink | typeof NOWHERE;

export class CacheStores {
  readonly internal: ByteLru;
  maxEntryBytes: number;
  private warnedNoRedis = false;

  constructor(private readonly services: WorkerServices, limits: CacheLimits = DEFAULT_CACHE_LIMITS) {
    this.internal = new ByteLru(limits.internalMaxBytes);
    this.maxEntryBytes = limits.maxEntryBytes;
  }

  /** gateway.cache of the generation being applied (a reload may change the bounds). */
  configure(limits: CacheLimits): void {
    this.maxEntryBytes = limits.maxEntryBytes;
    this.internal.resize(limits.internalMaxBytes);
  }

  /** The stored bytes, null on a miss (or when the store could not answer). */
  get(key: string, type: CachingType): Buffer | null | Promise<Buffer | null> {
    const target = this.target(type);
    if (target === NOWHERE) return null;
    if (target instanceof ByteLru) return target.get(key, this.services.now());
    return target.getBuffer(key).then((v) => (v === REDIS_UNAVAILABLE ? null : v), () => null);
  }

  /** Stores without waiting: a failed external write only means a later miss. */
  set(key: string, value: Buffer, ttlMs: number, type: CachingType): void {
    const target = this.target(type);
    if (target === NOWHERE) return;
    if (target instanceof ByteLru) { target.set(key, value, ttlMs, this.services.now()); return; }
    target.setBuffer(key, value, ttlMs).catch(() => undefined);
  }

  /** Removes a key; whether one was removed (false when the store could not answer). */
  del(key: string, type: CachingType): boolean | Promise<boolean> {
    const target = this.target(type);
    if (target === NOWHERE) return false;
    if (target instanceof ByteLru) return target.delete(key);
    return target.del(key).then((v) => v === true, () => false);
  }

  private target(type: CachingType): Target {
    if (type === 'internal') return this.internal;
    const redis = this.services.redis ?? null;
    if (redis !== null) return redis;
    if (type === 'prefer-external') return this.internal;
    if (!this.warnedNoRedis) {
      this.warnedNoRedis = true;
      log('warn', 'caching-type="external" but gateway.redis is not configured: nothing is cached', {});
    }
    return NOWHERE;
  }
}

const BY_SERVICES = new WeakMap<WorkerServices, CacheStores>();

/** The worker's one CacheStores (one LRU per worker, whatever the generation). */
export function cacheStoresOf(services: WorkerServices): CacheStores {
  let stores = BY_SERVICES.get(services);
  if (stores === undefined) { stores = new CacheStores(services); BY_SERVICES.set(services, stores); }
  return stores;
}
