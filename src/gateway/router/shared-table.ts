/**
 * Reads a compiled routing table in place (a SharedArrayBuffer in workers) and matches requests
 * against it. One instance per generation per worker; a request keeps the instance it started
 * with, so a generation switch never changes a request midway.
 *
 * Why it is fast: lookups walk int32 arrays and compare UTF-16 code units straight from the
 * `chars` view; the only per-request allocation is none. Segment hashes are computed once per
 * request by the caller and shared by both tries.
 */
import { unpack } from 'msgpackr';
import type { CompiledApi, CompiledMeta, CompiledOperation, MetaPayload } from '../../shared/compiled-meta.js';
import { LazyRecords, TableDecoder, type TableSections } from './table-records.js';
import * as L from '../../shared/table-layout.js';
import { matchPattern } from '../../shared/url-template.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

/** Up to this many edges a linear scan beats a binary search (fewer branches, one cache line). */
const LINEAR_EDGES = 8;

export interface RouteMatch {
  /** Operation index into `meta.operations`, or -1. */
  op: number;
  api: number;
  /** Segment indices captured by `{param}` segments, in template order. */
  captures: Int32Array;
  captureCount: number;
}

export class SharedRouteTable {
  readonly meta: CompiledMeta;
  private readonly nodes: Int32Array;
  private readonly edges: Int32Array;
  private readonly lists: Int32Array;
  private readonly apis: Int32Array;
  private readonly ops: Int32Array;
  private readonly chars: Uint16Array;
  private readonly apiRoot: number;
  /** Pattern literals by index (meta.patterns). */
  private readonly patterns: string[][];
  /** Reused per match: deepest-first API trie nodes along the path. */
  private readonly apiCandidates = new Int32Array(L.MAX_PATH_SEGMENTS + 1);

  constructor(buffer: SharedArrayBuffer | ArrayBuffer) {
    const header = new Int32Array(buffer, 0, L.HEADER_SLOTS);
    if (header[L.H_MAGIC] !== L.TABLE_MAGIC || header[L.H_VERSION] !== L.TABLE_LAYOUT_VERSION) {
      throw new Error('not a compiled routing table of this layout version');
    }
    const view = (slot: number, stride: number) => new Int32Array(buffer, header[slot], header[slot + 1] * stride);
    this.nodes = view(L.H_NODES_OFFSET, L.NODE_STRIDE);
    this.edges = view(L.H_EDGES_OFFSET, L.EDGE_STRIDE);
    this.lists = view(L.H_LISTS_OFFSET, 1);
    this.apis = view(L.H_APIS_OFFSET, L.API_STRIDE);
    this.ops = view(L.H_OPS_OFFSET, L.OP_STRIDE);
    this.chars = new Uint16Array(buffer, header[L.H_CHARS_OFFSET], header[L.H_CHARS_COUNT]);
    this.apiRoot = header[L.H_API_TRIE_ROOT];
    // msgpackr cannot read a SharedArrayBuffer directly; the (small) meta part is copied once per generation.
    const metaBytes = new Uint8Array(header[L.H_META_BYTES]);
    metaBytes.set(new Uint8Array(buffer, header[L.H_META_OFFSET], header[L.H_META_BYTES]));
    const payload = unpack(metaBytes) as MetaPayload;
    const sections: TableSections = { lists: this.lists, apis: this.apis, ops: this.ops, chars: this.chars };
    this.decoder = new TableDecoder(sections, payload);
    this.patterns = payload.patterns;
    this.apiCount = header[L.H_APIS_COUNT];
    this.operationCount = header[L.H_OPS_COUNT];
    this.meta = {
      ...payload,
      apis: new LazyRecords(this.apiCount, (i) => this.decoder.api(i)),
      operations: new LazyRecords(this.operationCount, (i) => this.decoder.operation(i)),
    };
  }

  readonly apiCount: number;
  readonly operationCount: number;
  /** Records into objects, sharing strings, template data and chain sets between them. */
  readonly decoder: TableDecoder;

  /** API `index` (decoded on first use, then kept for this generation). */
  api(index: number): CompiledApi {
    return this.meta.apis.get(index);
  }

  /** How many query parameters operation `index`'s template requires (0 for most). */
  templateQueryCount(index: number): number {
    return this.ops[index * L.OP_STRIDE + L.O_QUERY_COUNT];
  }

  /** Operation `index` (decoded on first use, then kept for this generation). */
  operation(index: number): CompiledOperation {
    return this.meta.operations.get(index);
  }

  /**
   * Finds the operation for a request. `segments` are decoded, dot-normalised path segments,
   * `hashes[i] = segmentHash(segments[i])`, `host` is lowercased without port.
   * Longest API suffix first; within an API, static beats pattern (`{id}.json`) beats `{param}` beats `*`.
   */
  match(host: string, methodCode: number, segments: string[], hashes: Int32Array, out: RouteMatch): boolean {
    const nodes = this.nodes;
    let candidates = 0;
    let node = this.apiRoot;
    if (nodes[node * L.NODE_STRIDE + L.N_END_COUNT] > 0) this.apiCandidates[candidates++] = node;
    for (let i = 0; i < segments.length; i++) {
      node = this.staticChild(node, segments[i], hashes[i]);
      if (node < 0) break;
      if (nodes[node * L.NODE_STRIDE + L.N_END_COUNT] > 0) this.apiCandidates[candidates++] = node;
    }
    for (let c = candidates - 1; c >= 0; c--) {
      const base = this.apiCandidates[c] * L.NODE_STRIDE;
      const start = nodes[base + L.N_END_START];
      const end = start + nodes[base + L.N_END_COUNT];
      for (let k = start; k < end; k++) {
        const api = this.lists[k];
        if (!this.hostAllowed(api, host)) continue;
        const a = api * L.API_STRIDE;
        out.captureCount = 0;
        const op = this.matchOperation(this.apis[a + L.A_OP_TRIE_ROOT], this.apis[a + L.A_SUFFIX_SEGMENTS], methodCode, segments, hashes, out);
        if (op >= 0) { out.op = op; out.api = api; return true; }
      }
    }
    out.op = -1;
    out.api = -1;
    return false;
  }

  private hostAllowed(api: number, host: string): boolean {
    const a = api * L.API_STRIDE;
    const count = this.apis[a + L.A_HOSTS_COUNT];
    if (count === 0) return true;
    const start = this.apis[a + L.A_HOSTS_START];
    for (let i = 0; i < count; i++) {
      if (this.equalsChars(host, this.lists[start + i * 2], this.lists[start + i * 2 + 1])) return true;
    }
    return false;
  }

  /** Depth-first with backtracking: static child, then pattern children, then parameter child, then wildcard. */
  private matchOperation(node: number, depth: number, method: number, segments: string[], hashes: Int32Array, out: RouteMatch): number {
    const base = node * L.NODE_STRIDE;
    const nodes = this.nodes;
    if (depth === segments.length) {
      const op = this.pickOperation(nodes[base + L.N_END_START], nodes[base + L.N_END_COUNT], method);
      if (op >= 0) return op;
      return this.pickOperation(nodes[base + L.N_WILDCARD_START], nodes[base + L.N_WILDCARD_COUNT], method);
    }
    const next = this.staticChild(node, segments[depth], hashes[depth]);
    if (next >= 0) {
      const op = this.matchOperation(next, depth + 1, method, segments, hashes, out);
      if (op >= 0) return op;
    }
    // Pattern children (`{Sid}.json`), most specific first; each takes one capture like a param.
    const patternCount = nodes[base + L.N_PATTERN_COUNT];
    if (patternCount > 0) {
      const start = nodes[base + L.N_PATTERN_START];
      for (let k = start; k < start + patternCount * 2; k += 2) {
        if (matchPattern(this.patterns[this.lists[k + 1]], segments[depth]) === null) continue;
        const saved = out.captureCount;
        out.captures[out.captureCount++] = depth;
        const op = this.matchOperation(this.lists[k], depth + 1, method, segments, hashes, out);
        if (op >= 0) return op;
        out.captureCount = saved;
      }
    }
    const param = nodes[base + L.N_PARAM_CHILD];
    if (param >= 0 && segments[depth].length > 0) {
      const saved = out.captureCount;
      out.captures[out.captureCount++] = depth;
      const op = this.matchOperation(param, depth + 1, method, segments, hashes, out);
      if (op >= 0) return op;
      out.captureCount = saved;
    }
    return this.pickOperation(nodes[base + L.N_WILDCARD_START], nodes[base + L.N_WILDCARD_COUNT], method);
  }

  /** Exact method (or an operation declared "*") first; a HEAD request may use a GET operation. */
  private pickOperation(start: number, count: number, method: number): number {
    if (count === 0) return -1;
    const end = start + count;
    for (let k = start; k < end; k++) {
      const m = this.ops[this.lists[k] * L.OP_STRIDE + L.O_METHOD];
      if (m === method) return this.lists[k];
    }
    for (let k = start; k < end; k++) {
      const m = this.ops[this.lists[k] * L.OP_STRIDE + L.O_METHOD];
      if (m === L.METHOD_ANY || (method === L.METHOD_HEAD && m === L.METHOD_GET)) return this.lists[k];
    }
    return -1;
  }

  /**
   * Edges are sorted by hash. Few edges (most nodes): scan until the hash passes the wanted one.
   * Many (the API trie's root holds one edge per first suffix segment: tens of thousands in a
   * large config): the node's directory gives the run of edges in the hash's bucket, about one,
   * so a lookup costs about the same whether the config has 10 APIs or 50,000 (a binary search
   * over 33,000 root edges was 15 dependent reads, most of them cache misses). In between: binary
   * search to the first edge with that hash.
   */
  private staticChild(node: number, segment: string, hash: number): number {
    const base = node * L.NODE_STRIDE;
    let first = this.nodes[base + L.N_FIRST_EDGE];
    const count = this.nodes[base + L.N_EDGE_COUNT];
    let end = first + count;
    const edges = this.edges;
    const directory = this.nodes[base + L.N_EDGE_DIRECTORY];
    if (directory >= 0) {
      const bucket = directory + L.directoryBucket(hash, L.directoryBits(count));
      end = first + this.lists[bucket + 1];
      first += this.lists[bucket];
    } else if (count > LINEAR_EDGES) {
      let hi = end;
      while (first < hi) {
        const mid = (first + hi) >>> 1;
        if (edges[mid * L.EDGE_STRIDE + L.E_HASH] < hash) first = mid + 1;
        else hi = mid;
      }
    }
    for (let e = first; e < end; e++) {
      const h = edges[e * L.EDGE_STRIDE + L.E_HASH];
      if (h < hash) continue;
      if (h > hash) return -1;
      if (this.equalsChars(segment, edges[e * L.EDGE_STRIDE + L.E_CHARS_START], edges[e * L.EDGE_STRIDE + L.E_CHARS_LENGTH])) {
        return edges[e * L.EDGE_STRIDE + L.E_CHILD];
      }
    }
    return -1;
  }

  /** ASCII case-insensitive compare of `s` with stored lowercase chars. */
  private equalsChars(s: string, start: number, length: number): boolean {
    if (s.length !== length) return false;
    const chars = this.chars;
    for (let i = 0; i < length; i++) {
      let c = charCodeAt.call(s, i);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== chars[start + i]) return false;
    }
    return true;
  }
}

export function newRouteMatch(): RouteMatch {
  return { op: -1, api: -1, captures: new Int32Array(L.MAX_PATH_SEGMENTS), captureCount: 0 };
}
