/**
 * cache-lookup (inbound, APIM's policy and attributes): answers a GET or HEAD from the response
 * cache, or records a miss so that cache-store (outbound) stores the backend's answer.
 * Not looked up: other methods, requests with a body, and requests with Authorization unless
 * allow-private-response-caching="true". A hit is the stored status, headers and bytes plus
 * `Age`; outbound does not run on it (the stored headers are already what outbound made).
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, childTexts } from '../policies/attributes.js';
import { headerNameProblem } from '../../shared/http-syntax.js';
import { boolValue, constantValue, enumValue } from './policy-value.js';
import { CACHING_TYPES, cacheStoresOf, type CachingType } from './cache-stores.js';
import { responseCacheKey, unkeyedHeaders, type VaryRules } from './cache-key.js';
import { decodeEntry, type CachedResponse } from './cache-entry.js';
import { downstreamCacheControl, type DownstreamCaching, type ResponseStorePlan } from './store-plan.js';

interface Config {
  vary: VaryRules;
  cachingType: CachingType;
  downstream: DownstreamCaching;
  mustRevalidate: boolean;
  allowPrivate: boolean;
}

const MAX_VARY = 32;

function varyNames(el: PolicyElement, at: PolicyLocation, child: string, header: boolean): string[] {
  // APIM also accepts several names in one element, separated by ";".
  const names = childTexts(el, at, child).flatMap((t) => t.split(';')).map((t) => t.trim()).filter((t) => t !== '');
  if (names.length > MAX_VARY) throw new PolicyCompileError(at, child, `at most ${MAX_VARY} names`);
  for (const n of names) {
    constantValue(at, child, n);
    const problem = header ? headerNameProblem(n) : n.length > 256 ? 'is longer than 256 characters' : null;
    if (problem !== null) throw new PolicyCompileError(at, child, `"${n}" ${problem}`);
  }
  return [...new Set(header ? names.map((n) => n.toLowerCase()) : names)].sort();
}

export const cacheLookup: PolicyFactory<Config> = {
  name: 'cache-lookup',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, ['vary-by-developer', 'vary-by-developer-groups', 'caching-type', 'downstream-caching-type', 'must-revalidate', 'allow-private-response-caching'],
      ['vary-by-header', 'vary-by-query-parameter']);
    return {
      vary: {
        headers: varyNames(el, at, 'vary-by-header', true),
        query: varyNames(el, at, 'vary-by-query-parameter', false),
        developer: boolValue(el, at, 'vary-by-developer', false),
        developerGroups: boolValue(el, at, 'vary-by-developer-groups', false),
      },
      cachingType: enumValue(el, at, 'caching-type', CACHING_TYPES, 'prefer-external'),
      downstream: enumValue(el, at, 'downstream-caching-type', ['none', 'private', 'public'] as const, 'none'),
      mustRevalidate: boolValue(el, at, 'must-revalidate', true),
      allowPrivate: boolValue(el, at, 'allow-private-response-caching', false),
    };
  },
  create(config, services): PolicyInstance {
    const stores = cacheStoresOf(services);
    const answer = (ctx: RequestContext, key: string, bytes: Buffer | null): Outcome => {
      const entry = bytes === null ? null : decodeEntry(bytes);
      const now = services.now();
      if (entry === null || entry.expiresAt <= now) {
        ctx.cacheResult = 'miss';
        if (ctx.method === 'GET') ctx.cacheStore = planFor(ctx, config, key);
        return CONTINUE;
      }
      ctx.cacheResult = 'hit';
      ctx.respond(entry.status, entry.reason, hitHeaders(entry, config, now), entry.body);
      return RESPOND;
    };
    return {
      run(ctx: RequestContext): Outcome | Promise<Outcome> {
        if (!isCacheable(ctx, config.allowPrivate)) return CONTINUE;
        const key = responseCacheKey(ctx, config.vary);
        const found = stores.get(key, config.cachingType);
        if (found instanceof Promise) return found.then((bytes) => answer(ctx, key, bytes));
        return answer(ctx, key, found);
      },
    };
  },
};

function isCacheable(ctx: RequestContext, allowPrivate: boolean): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  // A body is not part of the key, so a request with one is neither answered nor stored.
  if (ctx.header('transfer-encoding') !== null) return false;
  const length = ctx.header('content-length');
  if (length !== null && length !== '0') return false;
  return allowPrivate || ctx.header('authorization') === null;
}

function planFor(ctx: RequestContext, config: Config, key: string): ResponseStorePlan {
  return {
    key, cachingType: config.cachingType, allowPrivate: config.allowPrivate,
    downstream: config.downstream, mustRevalidate: config.mustRevalidate,
    unkeyed: unkeyedHeaders(ctx, config.vary),
  };
}

/** The stored headers with `Age` (and the downstream Cache-Control counting down), as a new list. */
function hitHeaders(entry: CachedResponse, config: Config, now: number): string[] {
  const control = downstreamCacheControl(config, Math.floor((entry.expiresAt - now) / 1000));
  const out: string[] = [];
  const stored = entry.headers;
  for (let i = 0; i < stored.length; i += 2) {
    const name = stored[i];
    if (name === 'age' || (control !== null && name === 'cache-control')) continue;
    out.push(name, stored[i + 1]);
  }
  if (control !== null) out.push('cache-control', control);
  out.push('age', String(Math.max(0, Math.floor((now - entry.storedAt) / 1000))));
  return out;
}
