/**
 * Upstream pools for the calls policies make (send-request, send-one-way-request), one per origin
 * per worker, apart from the API backends' pools (backend-pools.ts closes pools that are not in
 * the live config at each reload; these live by use instead).
 *
 * A URL may be computed per request by a policy expression, so the number of origins is bounded:
 * at most MAX_POLICY_ORIGINS pools per worker, least recently used first out. An evicted pool
 * stops taking requests and closes once those in flight finish, so memory and sockets stay
 * bounded whatever URLs a config (or a request feeding an expression) produces.
 */
import type { GatewaySettings } from '../../shared/config-schema.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { UpstreamPool } from './upstream-pool.js';

type UpstreamSettings = GatewaySettings['upstream'];

export const MAX_POLICY_ORIGINS = 32;

/** Used until the worker applies its first table (unit tests): the schema's defaults, fewer connections. */
const FALLBACK: UpstreamSettings = {
  connections: 32, connectTimeoutMs: 5_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, keepAliveTimeoutMs: 4_000, queueLimit: 1_024, connectBackoffMs: 250,
};

export class PolicyPools {
  /** Map iteration order is insertion order: re-inserting on use keeps the least recent first. */
  private readonly pools = new Map<string, UpstreamPool>();
  private settings: UpstreamSettings = FALLBACK;

  constructor(private readonly maxOrigins = MAX_POLICY_ORIGINS) {}

  /** New settings (a reload): pools made with the old ones close once idle. */
  configure(settings: UpstreamSettings): void {
    if (JSON.stringify(settings) === JSON.stringify(this.settings)) return;
    this.settings = settings;
    for (const pool of this.pools.values()) void pool.close();
    this.pools.clear();
  }

  /** The pool of an origin (`http://host:port` or `https://...`), made on first use. */
  get(origin: string): UpstreamPool {
    let pool = this.pools.get(origin);
    if (pool !== undefined) {
      this.pools.delete(origin);
      this.pools.set(origin, pool);
      return pool;
    }
    if (this.pools.size >= this.maxOrigins) {
      const [oldest, evicted] = this.pools.entries().next().value as [string, UpstreamPool];
      this.pools.delete(oldest);
      void evicted.close();
    }
    pool = new UpstreamPool(origin, this.settings, null);
    this.pools.set(origin, pool);
    return pool;
  }

  get size(): number {
    return this.pools.size;
  }

  async destroyAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy()));
  }
}

const BY_SERVICES = new WeakMap<WorkerServices, PolicyPools>();

/** The worker's policy pools (one set per WorkerServices, i.e. per worker thread). */
export function policyPoolsOf(services: WorkerServices): PolicyPools {
  let pools = BY_SERVICES.get(services);
  if (pools === undefined) { pools = new PolicyPools(); BY_SERVICES.set(services, pools); }
  return pools;
}
