/**
 * createRedisLink: the RedisLink of one thread (each worker, and the primary), on ioredis.
 *
 * Bounded waits: ioredis' `commandTimeout` ends any command after `commandTimeoutMs`;
 * `enableOfflineQueue: false` makes a command sent while disconnected fail at once instead of
 * queueing; `maxRetriesPerRequest: 0` and no auto-resend keep a command from being retried on a
 * reconnect after its caller has moved on. Failures feed the circuit breaker (circuit-breaker.ts);
 * while it is open calls are answered REDIS_UNAVAILABLE without touching the socket, and a PING
 * probe (from a timer, so even an idle worker recovers) closes it again. Keys get
 * `keyPrefix` here, so callers pass their own names.
 */
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import { REDIS_UNAVAILABLE, type RedisLink, type RedisState, type RedisUnavailable } from './redis-link.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { FIXED_HIT, SLIDING_HIT, type LuaScript } from './counter-scripts.js';
import { RedisStatsRow, type BreakerState } from './redis-stats.js';
import { describeRedis, type RedisLinkSettings } from './redis-settings.js';
import { log } from '../../shared/log.js';

const PROBE_TICK_MS = 100;
/** Reconnect attempts back off to this; a dead Redis costs one connect attempt a second. */
const MAX_RECONNECT_MS = 1_000;

type Client = Redis | Cluster;

class IoRedisLink implements RedisLink {
  private readonly breaker: CircuitBreaker;
  private everReady = false;
  private lastState: RedisState = 'connecting';
  private readonly tick: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly client: Client, private readonly settings: RedisLinkSettings, private readonly stats: RedisStatsRow, readonly role: string) {
    this.breaker = new CircuitBreaker(settings.breakerFailures, settings.breakerOpenMs, (s) => this.breakerChanged(s));
    client.on('ready', () => { this.everReady = true; this.publishState(); });
    client.on('close', () => this.publishState());
    // ioredis prints unhandled 'error' events to the console; state changes are logged instead.
    client.on('error', () => undefined);
    this.tick = setInterval(() => { if (this.breaker.probeDue()) void this.probe(); }, PROBE_TICK_MS);
    this.tick.unref();
    stats.state('connecting');
  }

  get state(): RedisState {
    if (this.breaker.state !== 'closed') return 'down';
    if (this.client.status === 'ready') return 'up';
    return this.everReady ? 'down' : 'connecting';
  }

  getBuffer(key: string): Promise<Buffer | null | RedisUnavailable> {
    return this.call(() => this.client.getBuffer(this.settings.keyPrefix + key));
  }

  async setBuffer(key: string, value: Buffer, ttlMs: number): Promise<true | RedisUnavailable> {
    const done = await this.call(() => this.client.set(this.settings.keyPrefix + key, value, 'PX', Math.max(1, Math.round(ttlMs))));
    return done === REDIS_UNAVAILABLE ? done : true;
  }

  async del(key: string): Promise<boolean | RedisUnavailable> {
    const removed = await this.call(() => this.client.del(this.settings.keyPrefix + key));
    return removed === REDIS_UNAVAILABLE ? removed : removed > 0;
  }

  /**
   * The sliding-window count (counter-scripts.ts SLIDING_HIT). Both windows' keys share the hash
   * tag `{k:<key>}` so they live on one Cluster slot; `k:` keeps the tag non-empty whatever the key.
   */
  hit(key: string, windowMs: number, nowMs: number, amount = 1): Promise<number | RedisUnavailable> {
    const index = Math.floor(nowMs / windowMs);
    const base = `${this.settings.keyPrefix}rl:{k:${key}}:`;
    return this.call(() => this.evalScript(SLIDING_HIT, [base + index, base + (index - 1)], [windowMs, nowMs - index * windowMs, amount]));
  }

  /** Fixed window ending at `windowEndMs` (0: never ends): the count including this hit of `amount` (0: a read). */
  hitFixed(key: string, windowEndMs: number, amount = 1): Promise<number | RedisUnavailable> {
    return this.call(() => this.evalScript(FIXED_HIT, [`${this.settings.keyPrefix}q:{k:${key}}:${windowEndMs}`], [windowEndMs, amount]));
  }

  /** One PING through the breaker (the primary's readiness probe). */
  async ping(): Promise<true | RedisUnavailable> {
    if (this.breaker.probeDue()) return this.probe();
    const pong = await this.call(() => this.client.ping());
    return pong === REDIS_UNAVAILABLE ? pong : true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    this.client.disconnect();
  }

  private async call<T>(run: () => Promise<T>): Promise<T | RedisUnavailable> {
    if (!this.breaker.allows()) {
      this.stats.shortCircuit();
      return REDIS_UNAVAILABLE;
    }
    try {
      const result = await run();
      this.breaker.success();
      return result;
    } catch {
      this.stats.failure();
      this.breaker.failure();
      return REDIS_UNAVAILABLE;
    }
  }

  private async evalScript(script: LuaScript, keys: string[], args: number[]): Promise<number> {
    try {
      return Number(await this.client.evalsha(script.sha, keys.length, ...keys, ...args));
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return Number(await this.client.eval(script.source, keys.length, ...keys, ...args));
    }
  }

  private async probe(): Promise<true | RedisUnavailable> {
    this.breaker.probeStarted();
    try {
      await this.client.ping();
      this.breaker.success();
      return true;
    } catch {
      this.stats.failure();
      this.breaker.failure();
      return REDIS_UNAVAILABLE;
    }
  }

  private breakerChanged(state: BreakerState): void {
    this.stats.breaker(state);
    this.publishState();
  }

  private publishState(): void {
    const state = this.state;
    if (state === this.lastState) return;
    const was = this.lastState;
    this.lastState = state;
    this.stats.state(state);
    if (this.closed) return;
    if (state === 'down') log('warn', 'Redis unreachable', { errorCode: 'OUTPOST_ERR_REDIS_UNAVAILABLE', redis: describeRedis(this.settings), role: this.role, breaker: this.breaker.state });
    else if (state === 'up') log('info', was === 'connecting' ? 'Redis connected' : 'Redis reachable again', { redis: describeRedis(this.settings), role: this.role });
  }
}

/** Options shared by every connection a link opens (the single server, cluster nodes, the sentinel-resolved master). */
function connectionOptions(settings: RedisLinkSettings, tls: boolean): RedisOptions {
  return {
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(times * 100, MAX_RECONNECT_MS),
    ...(tls ? { tls: settings.ca ? { ca: settings.ca } : {} } : {}),
  };
}

function credentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'db'> {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
  };
}

function openClient(settings: RedisLinkSettings): Client {
  if (settings.mode === 'cluster') {
    const first = settings.cluster[0];
    const tls = first.startsWith('rediss:');
    const nodes = settings.cluster.map((url) => { const u = new URL(url); return { host: u.hostname, port: Number(u.port || 6379) }; });
    const { db: _db, ...auth } = credentials(first);
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      clusterRetryStrategy: (times: number) => Math.min(times * 100, MAX_RECONNECT_MS),
      redisOptions: { ...connectionOptions(settings, tls), ...auth },
    });
  }
  if (settings.mode === 'sentinel') {
    const sentinel = settings.sentinel!;
    const tls = settings.url?.startsWith('rediss:') ?? false;
    return new Redis({ ...connectionOptions(settings, tls), ...(settings.url ? credentials(settings.url) : {}), sentinels: sentinel.nodes, name: sentinel.name });
  }
  const u = new URL(settings.url!);
  return new Redis({ ...connectionOptions(settings, u.protocol === 'rediss:'), ...credentials(settings.url!), host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) });
}

/** Connects at once (in the background); `role` names the thread in logs ("worker", "primary"). */
export function createRedisLink(settings: RedisLinkSettings, stats: RedisStatsRow = new RedisStatsRow(null, 0), role = 'worker'): RedisLink {
  return new IoRedisLink(openClient(settings), settings, stats, role);
}
