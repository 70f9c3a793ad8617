/**
 * The response cache key, and the guarantee that goes with it: what reaches the backend on a
 * response that may be stored is what the key holds.
 *
 * A key is `rc:` + SHA-256 (hex) of these parts, each length-prefixed (no part can run
 * into the next), in this order:
 *   1. the key layout version;
 *   2. the API id and the operation id (the method is not a part: only GET responses are stored,
 *      and a HEAD is answered from the GET entry, without the body);
 *   3. the product of the subscription key ('' without one): each product may have its own policies;
 *   4. the Host sent to the backend (the backend's own, or the client's with preserveHost), and the
 *      forwarding headers that carry what the client claimed: X-Forwarded-Host, X-Forwarded-Proto,
 *      X-Forwarded-Port, Forwarded, X-Real-IP (from an untrusted peer the gateway sets these itself);
 *   5. the path after the API suffix, as the client encoded it (after inbound rewrites before cache-lookup);
 *   6. each vary-by-query-parameter name, sorted, with every value it has in the query, in order
 *      (decoded); a parameter not named does not split the key;
 *   7. each vary-by-header name, sorted, with every value of it in the request, in order;
 *   8. with vary-by-developer, the subscription id; with vary-by-developer-groups, the product id.
 * The hash keeps every key the same size however large the request's headers.
 */
import { createHash } from 'node:crypto';
import type { RequestContext } from '../pipeline/context.js';
import { pairName, pairValue, splitQuery } from '../../shared/query-string.js';

export interface VaryRules {
  /** Lowercase, sorted, unique. */
  headers: string[];
  /** Sorted, unique, as decoded names. */
  query: string[];
  developer: boolean;
  developerGroups: boolean;
}

const KEY_VERSION = 'rc1';

/** Forwarding headers that carry what the client claimed: keyed, so none can shape a shared entry. */
export const KEYED_FORWARDING = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip'] as const;

/** Request headers a stored response may depend on besides the vary-by ones. X-Forwarded-For is the client's address (see README). */
const ALWAYS_SENT = new Set<string>(['host', 'x-forwarded-for', ...KEYED_FORWARDING]);

export function responseCacheKey(ctx: RequestContext, rules: VaryRules): string {
  // One string, hashed once: each update() is a call into C++, and a key has a dozen parts.
  let text = '';
  const part = (s: string): void => { text += `${s.length}:${s}`; };
  part(KEY_VERSION);
  part(ctx.apiId);
  part(ctx.operationId);
  part(ctx.subscription?.productId ?? '');
  part(headerValues(ctx, 'host'));
  for (const name of KEYED_FORWARDING) part(headerValues(ctx, name));
  part(ctx.path);
  if (rules.query.length > 0) {
    const pairs = splitQuery(ctx.query);
    for (const name of rules.query) {
      part(name);
      const values = pairs.filter((p) => pairName(p) === name).map(pairValue);
      part(String(values.length));
      for (const v of values) part(v);
    }
  }
  for (const name of rules.headers) { part(name); part(headerValues(ctx, name)); }
  part(rules.developer ? ctx.subscription?.id ?? '' : '');
  part(rules.developerGroups ? ctx.subscription?.productId ?? '' : '');
  return `rc:${createHash('sha256').update(text).digest('hex')}`;
}

/** Every value of a request header, in order, joined by a byte no header value may contain. */
function headerValues(ctx: RequestContext, name: string): string {
  const h = ctx.headers;
  let out = '';
  let n = 0;
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) { out += n++ === 0 ? h[i + 1] : `\n${h[i + 1]}`; }
  return `${n}\n${out}`;
}

/**
 * The client's request headers that are not in the key, as [name, value, …]: they are taken off
 * the request before it is forwarded (store-plan.ts), so they cannot shape a stored response.
 * Headers that inbound policies set are config's and stay. Without the snapshot (cache-lookup
 * nested in choose), every unkeyed header counts as the client's: safe, if stricter.
 */
export function unkeyedHeaders(ctx: RequestContext, rules: VaryRules): string[] {
  const out: string[] = [];
  const h = ctx.clientHeaders ?? ctx.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    if (!ALWAYS_SENT.has(name) && !rules.headers.includes(name)) out.push(name, h[i + 1]);
  }
  return out;
}
