import type { RedisLink } from '../redis/redis-link.js';
import type { CustomMetricSink } from '../telemetry/custom-metrics.js';
import type { RedisStatsRow } from '../redis/redis-stats.js';
import type { BackendDirectory } from '../backends/backend-directory.js';
import type { AuthorizationDirectory } from '../authorizations/authorization-directory.js';

/**
 * What a worker offers policy instances: the node-wide counters and gauges in shared memory, and a clock
 * (injectable so limits can be tested without waiting).
 */
export interface CounterStore {
  /**
   * Counts a hit of `amount` (a whole number, default 1: rate-limit's and quota's increment-count;
   * the LLM token limits count tokens) for `key` in the fixed window ending at `windowEndSec` (unix
   * seconds) and returns the count including this hit. Exact across every worker of the node.
   */
  hit(key: string, windowEndSec: number, amount?: number): number;
  /** The count `hit` would add to for the window ending at `windowEndSec`, without counting (0 when none). */
  peek(key: string, windowEndSec: number): number;
  /** hit(key + PAIR_SUFFIXES[which], …) (shared/counter-layout.ts), without making that string: rate-limit's sliding window. */
  hitPaired(key: string, which: 0 | 1, windowEndSec: number, amount?: number): number;
  /** peek(key + PAIR_SUFFIXES[which], …), likewise. */
  peekPaired(key: string, which: 0 | 1, windowEndSec: number): number;
}

/**
 * Node-wide gauges that go up and down (limit-concurrency), exact across workers. A slot taken
 * with `acquire` must be given back with `release` exactly once, when the request ends
 * (RequestContext.atEnd).
 */
export interface GaugeStore {
  /** Adds one to `key`'s gauge if it is below `max`: the slot to release, or -1 when at `max`. */
  acquire(key: string, max: number): number;
  release(slot: number): void;
}

export interface WorkerServices {
  counters: CounterStore;
  /**
   * Always provided by workers. Optional only so test harnesses of policies that never use it
   * need not build one; limit-concurrency refuses to be created without it.
   */
  gauges?: GaugeStore;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The worker's Redis connection (see redis-link.ts); null or absent when `gateway.redis` is not configured. */
  redis?: RedisLink | null;
  /** Where fleet counters report their fail-mode decisions (metrics, one log line per change). */
  redisStats?: RedisStatsRow;
  /** The generation's backend entities (set-backend-service backend-id); absent in harnesses without them. */
  backends?: BackendDirectory;
  /** The generation's authorizations (get-authorization-context); absent when the config declares none. */
  authorizations?: AuthorizationDirectory;
  /** Where emit-metric adds its values (sent with the worker's telemetry); absent in harnesses. */
  metrics?: CustomMetricSink;
}
