/**
 * What one gateway is served: the APIs assigned to it, the products that include at least one of
 * them (their `apis` narrowed to the assigned ones), the subscriptions whose scope reaches one
 * (all-APIs scope included) with their keys as hashes only, and the named values its policies
 * refer to (secrets too: the gateway substitutes them), none other; every policy fragment; the
 * backend entities its policies name (and their pools' members, or all of them when a backend-id
 * is an expression) with the named values their credentials use. So a gateway, its memory and
 * its backup file hold no plain subscription key and no secret meant for another gateway.
 *
 * The ETag is a hash of the response body. The body's `revision` only moves when this gateway's
 * view changes (Store.viewRevision), so a change elsewhere keeps its ETag and does not wake its
 * long poll.
 */
import { createHash } from 'node:crypto';
import { keyHash } from '../gateway/subscriptions/compile-subscriptions.js';
import type { Doc, Store } from './store.js';
import { namedValuesFor } from './view-named-values.js';
import { backendsFor } from './view-backends.js';

export interface GatewayView {
  revision: number;
  body: string;
  /** Quoted, strong: `"<revision>-<hash>"`. */
  etag: string;
}

export class ViewCache {
  /** Per gateway: the view computed at a global revision; recomputed only after a change. */
  private readonly cache = new Map<string, { globalRevision: number; view: GatewayView }>();

  constructor(private readonly store: Store) {}

  view(gatewayId: string): GatewayView {
    const globalRevision = this.store.revision();
    const hit = this.cache.get(gatewayId);
    if (hit && hit.globalRevision === globalRevision) return hit.view;
    const config = buildConfig(this.store, gatewayId);
    const configText = JSON.stringify(config);
    const hash = createHash('sha256').update(configText).digest('base64url').slice(0, 27);
    const revision = this.store.viewRevision(gatewayId, hash);
    const body = `{"revision":${revision},"config":${configText}}`;
    const view = { revision, body, etag: `"${revision}-${hash}"` };
    this.cache.set(gatewayId, { globalRevision, view });
    return view;
  }

  forget(gatewayId: string): void {
    this.cache.delete(gatewayId);
  }
}

export function buildConfig(store: Store, gatewayId: string): { apis: Doc[]; products: Doc[]; subscriptions: Doc[]; namedValues: Doc[]; fragments: Doc[]; backends: Doc[] } {
  const assigned = new Set(store.assignedApis(gatewayId));
  const apis = store.list('apis').filter((s) => assigned.has(s.id)).map((s) => s.doc);
  const products = store.list('products')
    .map((s): Doc & { apis: string[] } => ({ ...s.doc, apis: ((s.doc.apis as string[] | undefined) ?? []).filter((a) => assigned.has(a)) }))
    .filter((p) => p.apis.length > 0);
  const productIds = new Set(products.map((p) => p.id as string));
  const subscriptions = store.list('subscriptions').map((s) => s.doc).filter((s) => {
    const [, kind, id] = String(s.scope).split('/');
    if (kind === 'products') return productIds.has(id);
    return kind === 'apis' && (id === undefined || assigned.has(id));
  });
  // Every fragment goes to every gateway: fragments are small (32 KB at most, as in APIM) and hold
  // no secrets of their own; the named values they use are sent with them.
  const fragments = store.list('fragments').map((s) => s.doc);
  const allNamedValues = store.list('namedValues').map((s) => s.doc);
  // Backends only as its policies name them (view-backends.ts): their credentials may be secrets.
  const backends = backendsFor(apis, products, fragments, store.list('backends').map((s) => s.doc), allNamedValues);
  const namedValues = namedValuesFor(apis, products, allNamedValues, fragments, backends);
  return { apis, products, subscriptions: subscriptions.map(hashedKeys), namedValues, fragments, backends };
}

/**
 * A subscription with `primaryKey`/`secondaryKey` replaced by `primaryKeyHash`/`secondaryKeyHash`
 * (`sha256:<hex>`, the hash the gateway computes): the gateway checks keys by hash anyway.
 */
export function hashedKeys(sub: Doc): Doc {
  const out: Doc = { ...sub };
  for (const [plain, hashed] of [['primaryKey', 'primaryKeyHash'], ['secondaryKey', 'secondaryKeyHash']] as const) {
    const key = out[plain];
    if (typeof key !== 'string') continue;
    delete out[plain];
    out[hashed] = `sha256:${keyHash(key)}`;
  }
  return out;
}

/** If-None-Match holds this ETag (a list, `*` and weak forms accepted as RFC 9110 says). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
