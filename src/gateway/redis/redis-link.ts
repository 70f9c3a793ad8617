/**
 * What a worker's policies may ask of Redis. One RedisLink per worker (and one in the primary),
 * built from `gateway.redis`; null in WorkerServices when no Redis is configured.
 *
 * Every call is bounded by the command budget (`gateway.redis.commandTimeoutMs`): a request never
 * waits on Redis longer than that. After repeated failures a circuit breaker answers "unavailable"
 * at once, without asking, until a probe succeeds. "Unavailable" is a value, never a throw, so
 * callers choose their fail mode (cache: treat as a miss; fleet counters: fail-open / fail-closed).
 */
export type RedisState = 'connecting' | 'up' | 'down';

/** Returned instead of a result when Redis could not answer within the budget. */
export const REDIS_UNAVAILABLE: unique symbol = Symbol('redis-unavailable');
export type RedisUnavailable = typeof REDIS_UNAVAILABLE;

export interface RedisLink {
  readonly state: RedisState;
  /** GET of a binary value: the bytes, null when the key does not exist. */
  getBuffer(key: string): Promise<Buffer | null | RedisUnavailable>;
  /** SET key value PX ttlMs. */
  setBuffer(key: string, value: Buffer, ttlMs: number): Promise<true | RedisUnavailable>;
  /** DEL key: whether a key was removed. */
  del(key: string): Promise<boolean | RedisUnavailable>;
  /**
   * One fleet-wide counter hit, atomically (a Lua script, one round trip): the count for `key`
   * in its window including this hit. The window SLIDES: it is the `windowMs` before `nowMs`,
   * estimated as this fixed window's count plus the previous one's weighted by its overlap,
   * rounded up (see counter-scripts.ts). `amount` (default 1) is increment-count; 0 reads the
   * count without counting (a deferred increment checks first, counts when the request ends).
   */
  hit(key: string, windowMs: number, nowMs: number, amount?: number): Promise<number | RedisUnavailable>;
  /** A hit of `amount` (default 1; 0: a read) in the fixed window ending at `windowEndMs` (0: never ends): the count including it (quotas). */
  hitFixed(key: string, windowEndMs: number, amount?: number): Promise<number | RedisUnavailable>;
  /** PING through the breaker (readiness probing). */
  ping(): Promise<true | RedisUnavailable>;
  /** Disconnects; later calls answer REDIS_UNAVAILABLE. */
  close(): Promise<void>;
}
