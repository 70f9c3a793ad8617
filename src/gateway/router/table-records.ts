/**
 * Decodes one API or operation record of a shared table into the objects the request path uses
 * (CompiledApi, CompiledOperation), and the lazy lists that hold them. A worker taking a new
 * generation decodes nothing per API or per operation; a request decodes (once per generation)
 * only what it reaches. With 500,000 operations that is the difference between a worker loop
 * stalled for seconds and hundreds of MB per worker, and a switch of a few milliseconds.
 */
import { captureSpecs, splitTemplateQuery } from '../../shared/url-template.js';
import type { CompiledApi, CompiledOperation, MetaPayload } from '../../shared/compiled-meta.js';
import type { CompiledChain } from '../pipeline/policy-contract.js';
import { SECTIONS } from '../pipeline/phases.js';
import * as L from '../../shared/table-layout.js';

export interface TableSections {
  lists: Int32Array;
  apis: Int32Array;
  ops: Int32Array;
  chars: Uint16Array;
}

/** Longest run of code units passed to String.fromCharCode at once (argument count limits). */
const CHUNK = 4096;

export function readString(chars: Uint16Array, start: number, length: number): string {
  if (length <= CHUNK) return String.fromCharCode.apply(null, chars.subarray(start, start + length) as unknown as number[]);
  let out = '';
  for (let at = start; at < start + length; at += CHUNK) out += readString(chars, at, Math.min(CHUNK, start + length - at));
  return out;
}

function readStringList(t: TableSections, start: number, count: number): string[] {
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = readString(t.chars, t.lists[start + i * 2], t.lists[start + i * 2 + 1]);
  return out;
}

export function decodeApi(t: TableSections, meta: MetaPayload, index: number): CompiledApi {
  const a = index * L.API_STRIDE;
  const r = t.apis;
  const s = readStringList(t, r[a + L.A_STRINGS_START], L.API_STRINGS.length);
  const field = (name: (typeof L.API_STRINGS)[number]) => s[L.API_STRINGS.indexOf(name)];
  const products: string[] = [];
  for (let k = 0; k < r[a + L.A_PRODUCTS_COUNT]; k++) products.push(meta.products[t.lists[r[a + L.A_PRODUCTS_START] + k]]);
  return {
    id: field('id'), name: field('name'), path: field('path'), suffixSegments: r[a + L.A_SUFFIX_SEGMENTS],
    origin: meta.origins[r[a + L.A_ORIGIN]], originIndex: r[a + L.A_ORIGIN], basePath: field('basePath'), backendHost: field('backendHost'),
    preserveHost: (r[a + L.A_FLAGS] & L.AF_PRESERVE_HOST) !== 0,
    hostnames: readStringList(t, r[a + L.A_HOSTS_START], r[a + L.A_HOSTS_COUNT]),
    subscriptionRequired: (r[a + L.A_FLAGS] & L.AF_SUBSCRIPTION_REQUIRED) !== 0,
    requestLog: (r[a + L.A_FLAGS] & L.AF_NO_REQUEST_LOG) === 0,
    keyHeader: field('keyHeader'), keyQuery: field('keyQuery'), products,
  };
}

export function decodeOperation(t: TableSections, meta: MetaPayload, index: number): CompiledOperation {
  const o = index * L.OP_STRIDE;
  const r = t.ops;
  const chainSet = r[o + L.O_CHAINS];
  let chains: Record<string, CompiledChain> | null = null;
  if (chainSet >= 0) {
    chains = {};
    for (const [product, ref] of Object.entries(meta.chainSets[chainSet])) {
      const chain = {} as CompiledChain;
      for (const section of SECTIONS) chain[section] = ref[section].map((p) => meta.policies[p]);
      chains[product] = chain;
    }
  }
  const urlTemplate = readString(t.chars, r[o + L.O_TEMPLATE_START], r[o + L.O_TEMPLATE_LENGTH]);
  const queryParams = splitTemplateQuery(urlTemplate);
  return {
    id: readString(t.chars, r[o + L.O_ID_START], r[o + L.O_ID_LENGTH]),
    api: r[o + L.O_API],
    method: L.METHOD_NAMES[r[o + L.O_METHOD]],
    urlTemplate,
    // Validated before compiling; the query part is read here, once per operation and generation.
    queryParams: typeof queryParams === 'string' ? [] : queryParams,
    captures: captureSpecs(urlTemplate),
    paramNames: readStringList(t, r[o + L.O_PARAMS_START], r[o + L.O_PARAMS_COUNT]),
    chains,
    // Older tables (a backup written before contracts existed) have none.
    contract: meta.contracts?.[String(index)] ?? null,
  };
}

/**
 * A read-only array whose element i is `load(i)`, computed on first access and kept. Code that
 * indexes arrays (`gen.apis[i]`, `meta.operations[op]`) keeps working unchanged; the Proxy's trap
 * costs tens of nanoseconds per access, against microseconds per proxied request. New code can
 * call the loader directly (SharedRouteTable.api/operation, Generation.api/chainsOf).
 */
export function lazyList<T>(length: number, load: (index: number) => T): readonly T[] {
  // The target stays empty and the trap reports `length`: an array of 500,000 slots (even holes)
  // costs tens of milliseconds per generation per worker to allocate. Loaded elements live in a Map.
  const target: T[] = [];
  const cache = new Map<number, T>();
  return new Proxy(target, {
    get(target, prop, receiver) {
      if (prop === 'length') return length;
      if (typeof prop === 'string') {
        const c = prop.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const i = Number(prop);
          if (Number.isInteger(i) && i < length) {
            let v = cache.get(i);
            if (v === undefined) { v = load(i); cache.set(i, v); }
            return v;
          }
        }
      }
      return Reflect.get(target, prop, receiver);
    },
    set() { return false; },
    has(target, prop) {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) return Number(prop) < length;
      return Reflect.has(target, prop);
    },
  });
}
