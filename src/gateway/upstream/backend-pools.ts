/**
 * One upstream pool (upstream-pool.ts) per backend origin per worker, kept across generations
 * while the origin and the upstream settings stay the same (so a reload does not drop warm
 * keep-alive connections). Bounded: pools exist only for origins in the live config; others are
 * closed after a switch (requests already on them finish first).
 */
import type { GatewaySettings } from '../../shared/config-schema.js';
import { UpstreamPool, type ClientCertificate } from './upstream-pool.js';

type UpstreamSettings = GatewaySettings['upstream'];

export class BackendPools {
  private readonly pools = new Map<string, UpstreamPool>();

  private static key(origin: string, s: UpstreamSettings): string {
    return `${origin}|${s.connections}|${s.queueLimit}|${s.connectTimeoutMs}|${s.keepAliveTimeoutMs}|${s.headersTimeoutMs}|${s.bodyTimeoutMs}`;
  }

  /** `certificate`: the client certificate its connections present (authentication-certificate); its own pools. */
  get(origin: string, settings: UpstreamSettings, certificate: ClientCertificate | null = null): UpstreamPool {
    const key = certificate === null ? BackendPools.key(origin, settings) : `${BackendPools.key(origin, settings)}|${certificate.fingerprint}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new UpstreamPool(origin, settings, certificate);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools no longer used; requests already on them finish first. */
  retainOnly(live: ReadonlySet<UpstreamPool>): void {
    for (const [key, pool] of this.pools) {
      if (!live.has(pool)) {
        this.pools.delete(key);
        void pool.close();
      }
    }
  }

  async destroyAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy()));
  }
}
