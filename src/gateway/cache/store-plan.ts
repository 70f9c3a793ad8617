/**
 * What cache-lookup leaves on the request after a GET miss, for cache-store (outbound) and for
 * the forward: the key, where to store, and the client's unkeyed headers, which the forward drops
 * so that what reaches the backend is what the key holds (cache-key.ts).
 */
import type { RequestContext } from '../pipeline/context.js';
import type { CachingType } from './cache-stores.js';

export type DownstreamCaching = 'none' | 'private' | 'public';

export interface ResponseStorePlan {
  key: string;
  cachingType: CachingType;
  allowPrivate: boolean;
  downstream: DownstreamCaching;
  mustRevalidate: boolean;
  /** [name, value, …] the client sent that are not keyed. */
  unkeyed: string[];
}

/**
 * Called by the forward: removes each unkeyed pair still on the request as the client sent it. A
 * header a policy set or changed, before or after cache-lookup (a backend key, say), is config's,
 * not the client's, and stays.
 */
export function dropUnkeyedHeaders(ctx: RequestContext): void {
  const plan = ctx.cacheStore;
  if (plan === null || plan.unkeyed.length === 0) return;
  const h = ctx.headers;
  const drop = plan.unkeyed;
  for (let i = h.length - 2; i >= 0; i -= 2) {
    for (let j = 0; j < drop.length; j += 2) {
      if (h[i] === drop[j] && h[i + 1] === drop[j + 1]) { h.splice(i, 2); break; }
    }
  }
}

/** The Cache-Control the gateway gives clients for downstream-caching-type, or null to leave the backend's. */
export function downstreamCacheControl(plan: Pick<ResponseStorePlan, 'downstream' | 'mustRevalidate'>, maxAgeSeconds: number): string | null {
  if (plan.downstream === 'none') return null;
  return `${plan.downstream}, max-age=${Math.max(0, maxAgeSeconds)}${plan.mustRevalidate ? ', must-revalidate' : ''}`;
}
