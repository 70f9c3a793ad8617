/**
 * Decodes one API or operation record of a shared table into the objects the request path uses
 * (CompiledApi, CompiledOperation), and the lazy records that hold them. A worker taking a new
 * generation decodes nothing per API or per operation; a request decodes only what it reaches,
 * and a worker keeps only the records it used recently (RECENT_RECORDS of each kind). With
 * 500,000 operations that is the difference between a worker loop stalled for seconds and
 * hundreds of MB per worker, and a switch of a few milliseconds; and traffic that reaches every
 * operation no longer makes a worker hold every operation decoded (about 100 MB per worker at
 * 500,000, twice that while a reload's old generation is still collectable garbage).
 */
import { captureSpecs, splitTemplateQuery, type CaptureSpec, type TemplateQueryParam } from '../../shared/url-template.js';
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

/**
 * How many decoded records of each kind (APIs, operations, a generation's API runtimes) and
 * decoded strings and templates a worker keeps per generation. A decoded operation is about
 * 0.2 KB with its share of strings: 32,768 of them are a few MB. Decoding a record again costs
 * 1-2 µs, once per RECENT_RECORDS / 2 distinct records a worker serves in between.
 */
export const RECENT_RECORDS = 32_768;

/**
 * A map that keeps at most `limit` entries, the recently used ones, in two rounds: entries set
 * or used in this round, and those of the round before. An entry found only in the round before
 * moves to this one; when this round holds limit / 2 entries it becomes the round before, and
 * what only the old round before held is dropped. Every operation is O(1) and a hit in this round
 * (the hot path: traffic repeats itself) is one Map lookup, as with a plain Map. An entry used at
 * least once every limit / 2 insertions is never dropped.
 */
export class RecentMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly half: number;

  constructor(limit: number) {
    if (!(limit === Infinity || (Number.isSafeInteger(limit) && limit >= 2))) throw new RangeError(`RecentMap limit ${limit}: a whole number of 2 or more, or Infinity`);
    this.half = limit === Infinity ? Infinity : Math.floor(limit / 2);
  }

  get(key: K): V | undefined {
    const v = this.current.get(key);
    if (v !== undefined || this.previous.size === 0) return v;
    const older = this.previous.get(key);
    if (older !== undefined) {
      this.previous.delete(key);
      this.set(key, older);
    }
    return older;
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  /** Entries held now (never more than the limit). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

/** Longest run of code units passed to String.fromCharCode at once (argument count limits). */
const CHUNK = 4096;

export function readString(chars: Uint16Array, start: number, length: number): string {
  if (length <= CHUNK) return String.fromCharCode.apply(null, chars.subarray(start, start + length) as unknown as number[]);
  let out = '';
  for (let at = start; at < start + length; at += CHUNK) out += readString(chars, at, Math.min(CHUNK, start + length - at));
  return out;
}

/**
 * Decodes API and operation records, sharing what records share. The table interns strings (one
 * copy of each in `chars`), so a string's start identifies it: decoded once, it is one object for
 * every record that names it. An operation's template data (captures, query parameters, names) is
 * kept per template and its chains per chain set. A worker that has served 30,000 APIs of a
 * 50,000-API config holds one `/{id}` template, not one per operation. Strings, templates and
 * name lists are kept while recently used (RECENT_RECORDS each); chain sets, one per distinct
 * set of policies in the config, are all kept.
 */
export class TableDecoder {
  private readonly strings = new RecentMap<number, string>(RECENT_RECORDS);
  private readonly templates = new RecentMap<number, { urlTemplate: string; queryParams: TemplateQueryParam[]; captures: CaptureSpec[] }>(RECENT_RECORDS);
  private readonly nameLists = new RecentMap<number, string[]>(RECENT_RECORDS);
  private readonly chainSets = new Map<number, Record<string, CompiledChain>>();

  constructor(private readonly t: TableSections, private readonly meta: MetaPayload) {}

  string(start: number, length: number): string {
    if (length === 0) return '';
    let s = this.strings.get(start);
    if (s === undefined) { s = readString(this.t.chars, start, length); this.strings.set(start, s); }
    return s;
  }

  /** A [charsStart, charsLength] pair list of `lists`. */
  private stringList(start: number, count: number): string[] {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) out[i] = this.string(this.t.lists[start + i * 2], this.t.lists[start + i * 2 + 1]);
    return out;
  }

  /** The same, one array for every record that points at the list (operations sharing a template's names). */
  private sharedStringList(start: number, count: number): string[] {
    // An empty list takes no room: the next list starts where it does, so it is never cached.
    if (count === 0) return [];
    let out = this.nameLists.get(start);
    if (out === undefined) { out = this.stringList(start, count); this.nameLists.set(start, out); }
    return out;
  }

  api(index: number): CompiledApi {
    const a = index * L.API_STRIDE;
    const r = this.t.apis;
    const meta = this.meta;
    const s = this.stringList(r[a + L.A_STRINGS_START], L.API_STRINGS.length);
    const field = (name: (typeof L.API_STRINGS)[number]) => s[L.API_STRINGS.indexOf(name)];
    const products: string[] = [];
    for (let k = 0; k < r[a + L.A_PRODUCTS_COUNT]; k++) products.push(meta.products[this.t.lists[r[a + L.A_PRODUCTS_START] + k]]);
    return {
      id: field('id'), name: field('name'), path: field('path'), suffixSegments: r[a + L.A_SUFFIX_SEGMENTS],
      origin: meta.origins[r[a + L.A_ORIGIN]], originIndex: r[a + L.A_ORIGIN], basePath: field('basePath'), backendHost: field('backendHost'),
      preserveHost: (r[a + L.A_FLAGS] & L.AF_PRESERVE_HOST) !== 0,
      hostnames: this.stringList(r[a + L.A_HOSTS_START], r[a + L.A_HOSTS_COUNT]),
      subscriptionRequired: (r[a + L.A_FLAGS] & L.AF_SUBSCRIPTION_REQUIRED) !== 0,
      requestLog: (r[a + L.A_FLAGS] & L.AF_NO_REQUEST_LOG) === 0,
      keyHeader: field('keyHeader'), keyQuery: field('keyQuery'), products,
    };
  }

  /** Operation `index`'s chain set in `meta.chainSets`, or -1 when no policy applies to it. */
  chainSetOf(index: number): number {
    return this.t.ops[index * L.OP_STRIDE + L.O_CHAINS];
  }

  /** Chain set `set` with its policies in place (one object per set, whichever operations use it). */
  chainSet(set: number): Record<string, CompiledChain> {
    let chains = this.chainSets.get(set);
    if (chains === undefined) {
      chains = {};
      for (const [product, ref] of Object.entries(this.meta.chainSets[set])) {
        const chain = {} as CompiledChain;
        for (const section of SECTIONS) chain[section] = ref[section].map((p) => this.meta.policies[p]);
        chains[product] = chain;
      }
      this.chainSets.set(set, chains);
    }
    return chains;
  }

  operation(index: number): CompiledOperation {
    const o = index * L.OP_STRIDE;
    const r = this.t.ops;
    const chainSet = r[o + L.O_CHAINS];
    const template = this.template(r[o + L.O_TEMPLATE_START], r[o + L.O_TEMPLATE_LENGTH]);
    return {
      id: this.string(r[o + L.O_ID_START], r[o + L.O_ID_LENGTH]),
      api: r[o + L.O_API],
      method: L.METHOD_NAMES[r[o + L.O_METHOD]],
      urlTemplate: template.urlTemplate,
      queryParams: template.queryParams,
      captures: template.captures,
      paramNames: this.sharedStringList(r[o + L.O_PARAMS_START], r[o + L.O_PARAMS_COUNT]),
      chains: chainSet >= 0 ? this.chainSet(chainSet) : null,
      // Older tables (a backup written before contracts existed) have none.
      contract: this.meta.contracts?.[String(index)] ?? null,
    };
  }

  private template(start: number, length: number): { urlTemplate: string; queryParams: TemplateQueryParam[]; captures: CaptureSpec[] } {
    let t = this.templates.get(start);
    if (t === undefined) {
      const urlTemplate = this.string(start, length);
      // Validated before compiling; the query part is read here, once per template and generation.
      const queryParams = splitTemplateQuery(urlTemplate);
      t = { urlTemplate, queryParams: typeof queryParams === 'string' ? [] : queryParams, captures: captureSpecs(urlTemplate) };
      this.templates.set(start, t);
    }
    return t;
  }
}

/**
 * Element i is `load(i)`, computed on first `get(i)` and kept while it is used: at most `limit`
 * elements are held (RecentMap), so the records a worker keeps do not grow with the config.
 * `load` must be a pure function of the index (a record decoded again is equal, not identical).
 * Loaded elements live in a map: an array of 500,000 slots (even holes) costs tens of
 * milliseconds per generation per worker to allocate. A method, not an array behind a Proxy: the
 * Proxy's trap (the index turned into a string and back) cost about 140 ns per access, twice or
 * more per request, where this costs about 6.
 */
export class LazyRecords<T> {
  private readonly loaded: RecentMap<number, T>;

  constructor(readonly length: number, private readonly load: (index: number) => T, limit = RECENT_RECORDS) {
    this.loaded = new RecentMap(limit);
  }

  get(index: number): T {
    let v = this.loaded.get(index);
    if (v === undefined) {
      if (!(index >= 0 && index < this.length && Number.isInteger(index))) throw new RangeError(`record ${index} of ${this.length}`);
      v = this.load(index);
      this.loaded.set(index, v);
    }
    return v;
  }

  /** How many are held now (tests, and what a generation holds). */
  get loadedCount(): number {
    return this.loaded.size;
  }
}
