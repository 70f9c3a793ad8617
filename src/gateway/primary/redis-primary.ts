/**
 * The primary's side of Redis: its own connection (a PING every second keeps the state fresh for
 * readiness and /metrics even when no request asks), the workers' stats rows, and what readiness
 * and /metrics say. Redis never makes the gateway unready: fail-open counters keep counting
 * node-wide and the cache misses; readiness detail says which.
 */
import type { RedisLink } from '../redis/redis-link.js';
import { allocateRedisStats, readRedisStats, RedisStatsRow } from '../redis/redis-stats.js';
import { describeRedis, type RedisLinkSettings } from '../redis/redis-settings.js';

const PING_EVERY_MS = 1_000;

export class PrimaryRedis {
  /** Shared with the workers: one stats row per worker index. */
  readonly stats: SharedArrayBuffer;
  private readonly link: RedisLink | null;
  private timer: NodeJS.Timeout | null = null;

  /**
   * The link module (and ioredis with it) is imported only when Redis is configured: a primary
   * without Redis keeps it off its heap, which its every full GC would mark.
   */
  static async create(settings: RedisLinkSettings | null, workers: number): Promise<PrimaryRedis> {
    const link = settings === null ? null
      : (await import('../redis/create-redis-link.js')).createRedisLink(settings, new RedisStatsRow(null, 0), 'primary');
    return new PrimaryRedis(settings, workers, link);
  }

  private constructor(readonly settings: RedisLinkSettings | null, workers: number, link: RedisLink | null) {
    this.stats = allocateRedisStats(workers);
    this.link = link;
  }

  start(): void {
    if (!this.link || this.timer) return;
    this.timer = setInterval(() => void this.link!.ping(), PING_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.link?.close();
  }

  /** Readiness detail; absent when Redis is not configured. */
  readiness(): Record<string, unknown> | null {
    if (!this.link || !this.settings) return null;
    const t = readRedisStats(this.stats);
    const state = this.link.state;
    return {
      state,
      server: describeRedis(this.settings),
      workersUp: t.workersUp,
      breakersOpen: t.breakersOpen,
      effect: state === 'up'
        ? 'none'
        : 'still ready: fleet counters with fail-mode="open" count node-wide, fail-mode="closed" ones answer 503 (OUTPOST_ERR_REDIS_UNAVAILABLE); the external cache misses',
    };
  }

  /** Prometheus lines (always present, 0 when Redis is not configured, so dashboards need no special case). */
  metrics(): string {
    const t = readRedisStats(this.stats);
    const up = this.link?.state === 'up' ? 1 : 0;
    const lines = [
      '# HELP outpost_redis_configured Whether gateway.redis is configured.',
      '# TYPE outpost_redis_configured gauge',
      `outpost_redis_configured ${this.link ? 1 : 0}`,
      '# HELP outpost_redis_up Whether the primary reaches Redis (PING within the command budget, breaker closed).',
      '# TYPE outpost_redis_up gauge',
      `outpost_redis_up ${up}`,
      '# HELP outpost_redis_workers_up Workers whose Redis connection is up.',
      '# TYPE outpost_redis_workers_up gauge',
      `outpost_redis_workers_up ${t.workersUp}`,
      '# HELP outpost_redis_breakers_open Workers whose Redis circuit breaker is open or half-open.',
      '# TYPE outpost_redis_breakers_open gauge',
      `outpost_redis_breakers_open ${t.breakersOpen}`,
      '# HELP outpost_redis_command_failures_total Worker Redis commands that failed or timed out.',
      '# TYPE outpost_redis_command_failures_total counter',
      `outpost_redis_command_failures_total ${t.failures}`,
      '# HELP outpost_redis_short_circuits_total Worker Redis calls answered unavailable by an open breaker without asking.',
      '# TYPE outpost_redis_short_circuits_total counter',
      `outpost_redis_short_circuits_total ${t.shortCircuits}`,
      '# HELP outpost_redis_breaker_opens_total Times a worker circuit breaker opened.',
      '# TYPE outpost_redis_breaker_opens_total counter',
      `outpost_redis_breaker_opens_total ${t.breakerOpens}`,
      '# HELP outpost_fleet_counter_fallbacks_total Fleet-counter hits that could not reach Redis, by fail mode.',
      '# TYPE outpost_fleet_counter_fallbacks_total counter',
      `outpost_fleet_counter_fallbacks_total{mode="open"} ${t.failOpen}`,
      `outpost_fleet_counter_fallbacks_total{mode="closed"} ${t.failClosed}`,
    ];
    return lines.join('\n') + '\n';
  }
}
