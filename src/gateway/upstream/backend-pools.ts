/**
 * One upstream pool (upstream-pool.ts) per backend origin per worker, kept across generations
 * while the origin and the upstream settings stay the same (so a reload does not drop warm
 * keep-alive connections). Bounded: pools exist only for origins in the live config; others are
 * closed after a switch (requests already on them finish first).
 *
 * An https origin with a backend TLS profile (a CA bundle, a client certificate, or no
 * verification) gets a pool of its own, and its secure context is built once per profile, here,
 * not per connection: a context holding ~150 root CAs costs milliseconds to build.
 */
import { createSecureContext, rootCertificates } from 'node:tls';
import type { BackendTlsProfile } from '../../shared/compiled-meta.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { UpstreamPool, type ClientCertificate, type UpstreamTls } from './upstream-pool.js';
import type { ProxyRoute } from './proxy-route.js';

type UpstreamSettings = GatewaySettings['upstream'];

/**
 * Pools for origins a policy picks per request (set-backend-service base-url, constant or
 * computed, and authentication-certificate's pools) that the config does not list: at most this
 * many per worker, least recently used out, so a computed base-url cannot open pools without bound.
 */
export const MAX_POLICY_BACKEND_POOLS = 64;

export class BackendPools {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly contexts = new Map<string, UpstreamTls>();
  /** Pools made by forPolicy, least recently used first (Map order is insertion order). */
  private readonly policyPools = new Map<string, UpstreamPool>();

  private static key(origin: string, s: UpstreamSettings): string {
    return `${origin}|${s.connections}|${s.queueLimit}|${s.connectTimeoutMs}|${s.keepAliveTimeoutMs}|${s.headersTimeoutMs}|${s.bodyTimeoutMs}|${s.connectBackoffMs}`;
  }

  /** `via`: the proxy policy's HTTP proxy; pools through a proxy are apart from direct ones (and per proxy and credentials). */
  get(origin: string, settings: UpstreamSettings, tls: BackendTlsProfile | null = null, via: ProxyRoute | null = null): UpstreamPool {
    const key = `${BackendPools.key(origin, settings)}|${tls?.id ?? ''}|${via?.key ?? ''}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new UpstreamPool(origin, settings, tls === null ? null : this.context(tls), via);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * The pool for an origin a policy chose for this request (see MAX_POLICY_BACKEND_POOLS). A pool
   * the config's origins already have is shared; an evicted one closes once its requests finish.
   */
  forPolicy(origin: string, settings: UpstreamSettings, tls: BackendTlsProfile | null = null, via: ProxyRoute | null = null): UpstreamPool {
    const key = `${BackendPools.key(origin, settings)}|${tls?.id ?? ''}|${via?.key ?? ''}`;
    const pool = this.pools.get(key);
    if (pool !== undefined) {
      if (this.policyPools.delete(key)) this.policyPools.set(key, pool);
      return pool;
    }
    if (this.policyPools.size >= MAX_POLICY_BACKEND_POOLS) {
      const [oldestKey, oldest] = this.policyPools.entries().next().value as [string, UpstreamPool];
      this.policyPools.delete(oldestKey);
      this.pools.delete(oldestKey);
      void oldest.close();
    }
    const created = this.get(origin, settings, tls, via);
    this.policyPools.set(key, created);
    return created;
  }

  /** Closes pools no longer used; requests already on them finish first. */
  retainOnly(live: ReadonlySet<UpstreamPool>): void {
    for (const [key, pool] of this.pools) {
      if (!live.has(pool)) {
        this.pools.delete(key);
        void pool.close();
      }
    }
    for (const [key, pool] of this.policyPools) if (live.has(pool) || !this.pools.has(key)) this.policyPools.delete(key);
    const liveProfiles = new Set([...this.pools.values()].map((p) => p.tls?.profileId));
    for (const id of this.contexts.keys()) if (!liveProfiles.has(id)) this.contexts.delete(id);
  }

  /** A CA bundle is trusted in addition to Node's bundled CAs (`ca` replaces the default store, so they are listed too). */
  private context(profile: BackendTlsProfile): UpstreamTls {
    let tls = this.contexts.get(profile.id);
    if (tls === undefined) {
      const secureContext = createSecureContext({
        ...(profile.ca !== null ? { ca: [...rootCertificates, profile.ca] } : {}),
        ...(profile.cert !== null && profile.key !== null ? { cert: profile.cert, key: profile.key } : {}),
      });
      tls = { profileId: profile.id, secureContext, rejectUnauthorized: !profile.insecureSkipVerify };
      this.contexts.set(profile.id, tls);
    }
    return tls;
  }

  /**
   * The profile a pool uses to present `certificate` (authentication-certificate) on top of the
   * API's own backend TLS (its CA bundle and verification stay): a profile, and so a pool, per pair.
   */
  static withClientCertificate(profile: BackendTlsProfile | null, certificate: ClientCertificate): BackendTlsProfile {
    return {
      id: `${profile?.id ?? ''}+${certificate.fingerprint}`,
      ca: profile?.ca ?? null,
      cert: certificate.cert,
      key: certificate.key,
      insecureSkipVerify: profile?.insecureSkipVerify ?? false,
    };
  }

  async destroyAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy()));
  }
}
