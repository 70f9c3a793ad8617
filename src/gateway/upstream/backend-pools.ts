/**
 * One undici Pool per backend origin per worker, kept across generations while the origin and the
 * upstream settings stay the same (so a reload does not drop warm keep-alive connections).
 * Bounded: pools exist only for origins in the live config; others are closed after a switch.
 */
import { Pool } from 'undici';
import type { GatewaySettings } from '../../shared/config-schema.js';

type UpstreamSettings = GatewaySettings['upstream'];

export class BackendPools {
  private readonly pools = new Map<string, Pool>();

  private static key(origin: string, s: UpstreamSettings): string {
    return `${origin}|${s.connections}|${s.connectTimeoutMs}|${s.keepAliveTimeoutMs}|${s.headersTimeoutMs}|${s.bodyTimeoutMs}`;
  }

  get(origin: string, settings: UpstreamSettings): Pool {
    const key = BackendPools.key(origin, settings);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connections: settings.connections,
        pipelining: 1,
        keepAliveTimeout: settings.keepAliveTimeoutMs,
        keepAliveMaxTimeout: Math.max(settings.keepAliveTimeoutMs, 600_000),
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
        connect: { timeout: settings.connectTimeoutMs },
        strictContentLength: true,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools no longer used; requests already on them finish first (Pool.close waits). */
  retainOnly(live: ReadonlySet<Pool>): void {
    for (const [key, pool] of this.pools) {
      if (!live.has(pool)) {
        this.pools.delete(key);
        pool.close().catch(() => undefined);
      }
    }
  }

  async destroyAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy().catch(() => undefined)));
  }
}
