/**
 * Writes the sections of `table-layout.ts`: build tries flattened into int32 records, an interned
 * UTF-16 string pool, and the final byte layout. Used by compile-table.ts in the compiler thread.
 * Growable typed arrays while building (growable-ints.ts), copied once into the final layout.
 */
import * as L from '../../shared/table-layout.js';
import { patternLiteralLength, patternShape, type PatternSegment } from '../../shared/url-template.js';
import { int32s, uint16s, type GrowableInts } from './growable-ints.js';

/**
 * A trie node while building. Most nodes are leaves, so `statics` stays null until a child is
 * added, and a node carries its own flat index: at 500,000 operations the Maps and index tables
 * this avoids were most of the compile's garbage-collection time.
 */
export interface BuildNode {
  statics: Map<string, BuildNode> | null; // key: lowercased segment
  /** Pattern children by shape (url-template.ts), null until one is added. */
  patterns: Map<string, { pattern: PatternSegment; node: BuildNode }> | null;
  param: BuildNode | null;
  wildcard: number[];
  ends: number[];
  index: number;
}

const NO_ITEMS: readonly number[] = [];

export const newNode = (): BuildNode => ({ statics: null, patterns: null, param: null, wildcard: NO_ITEMS as number[], ends: NO_ITEMS as number[], index: -1 });

export function child(node: BuildNode, segment: string): BuildNode {
  const key = L.foldAscii(segment);
  node.statics ??= new Map();
  let next = node.statics.get(key);
  if (!next) { next = newNode(); node.statics.set(key, next); }
  return next;
}

export function patternChild(node: BuildNode, pattern: PatternSegment): BuildNode {
  const key = patternShape(pattern);
  node.patterns ??= new Map();
  let next = node.patterns.get(key);
  if (!next) { next = { pattern, node: newNode() }; node.patterns.set(key, next); }
  return next.node;
}

/** Pattern children in match order: more literal characters first, then by shape. */
function orderedPatterns(n: BuildNode): Array<{ pattern: PatternSegment; node: BuildNode }> {
  if (n.patterns === null) return [];
  return [...n.patterns.entries()]
    .sort(([ka, a], [kb, b]) => patternLiteralLength(b.pattern) - patternLiteralLength(a.pattern) || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, v]) => v);
}

/** Appends to a node's `ends` or `wildcard` list (both start as one shared empty list). */
export function addEnd(node: BuildNode, which: 'ends' | 'wildcard', item: number): void {
  if (node[which] === NO_ITEMS) node[which] = [item];
  else node[which].push(item);
}

interface StaticEdge { key: string; hash: number; node: BuildNode }

const byHashThenKey = (a: StaticEdge, b: StaticEdge): number => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Flattens build tries into the int32 arrays; nodes are numbered breadth-first per trie. */
export class TableWriter {
  readonly nodes: GrowableInts<Int32Array>;
  readonly edges: GrowableInts<Int32Array>;
  readonly lists: GrowableInts<Int32Array>;
  readonly chars: GrowableInts<Uint16Array>;
  readonly apis: GrowableInts<Int32Array>;
  readonly ops: GrowableInts<Int32Array>;

  /**
   * Sized from the config up front (exactly for APIs and operations, about a node and an edge per
   * operation for the tries): growing by doubling copied each section several times and touched
   * fresh pages at every step, an eighth of a 50,000-API compile.
   */
  constructor(apiCount = 0, operationCount = 0) {
    this.apis = int32s(apiCount * L.API_STRIDE);
    this.ops = int32s(operationCount * L.OP_STRIDE);
    this.nodes = int32s((apiCount + operationCount) * L.NODE_STRIDE);
    this.edges = int32s((apiCount + operationCount) * L.EDGE_STRIDE);
    this.lists = int32s(apiCount * 2 * L.API_STRINGS.length);
    this.chars = uint16s(apiCount * 32);
  }
  /** Pattern literals, by index (the table's `meta.patterns`), each shape once. */
  patterns: string[][] = [];
  private patternIndex = new Map<string, number>();
  /** Interned: 50,000 APIs repeat the same operation ids, templates and parameter names. */
  private strings = new Map<string, number>();

  string(s: string): number {
    let at = this.strings.get(s);
    if (at === undefined) {
      at = this.chars.reserve(s.length);
      const chars = this.chars.data;
      for (let i = 0; i < s.length; i++) chars[at + i] = s.charCodeAt(i);
      this.strings.set(s, at);
    }
    return at;
  }

  private pattern(p: PatternSegment): number {
    const key = patternShape(p);
    let at = this.patternIndex.get(key);
    if (at === undefined) { at = this.patterns.length; this.patterns.push(p.literals); this.patternIndex.set(key, at); }
    return at;
  }

  list(items: number[]): number {
    const start = this.lists.length;
    for (const item of items) this.lists.push(item);
    return start;
  }

  /** [charsStart, charsLength] pairs in `lists`; returns the start. */
  stringList(items: readonly string[]): number {
    const start = this.lists.length;
    for (const s of items) this.lists.push2(this.string(s), s.length);
    return start;
  }

  /**
   * Nodes are numbered breadth-first: a node's children get their numbers when the node itself is
   * written, so one pass both orders and writes, and a node's static edges are sorted once (by
   * hash, then key: the order the matcher searches), which is also the order its children are
   * numbered in.
   */
  trie(root: BuildNode): number {
    const order: BuildNode[] = [root];
    const base = this.nodes.length / L.NODE_STRIDE;
    root.index = base;
    const number = (n: BuildNode) => { n.index = base + order.length; order.push(n); };
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      const firstEdge = this.edges.length / L.EDGE_STRIDE;
      let edgeCount = 0;
      let directory = -1;
      if (n.statics !== null) {
        edgeCount = n.statics.size;
        if (edgeCount === 1) {
          const [key, c] = n.statics.entries().next().value as [string, BuildNode];
          number(c);
          this.edge(L.segmentHash(key), key, c.index);
        } else {
          const statics: StaticEdge[] = [];
          for (const [key, c] of n.statics) statics.push({ key, hash: L.segmentHash(key), node: c });
          statics.sort(byHashThenKey);
          for (const e of statics) {
            number(e.node);
            this.edge(e.hash, e.key, e.node.index);
          }
          if (statics.length >= L.DIRECTORY_MIN_EDGES) directory = this.edgeDirectory(statics);
        }
      }
      let patternStart = this.lists.length;
      let patternCount = 0;
      if (n.patterns !== null) {
        const patterns = orderedPatterns(n);
        for (const p of patterns) number(p.node);
        patternStart = this.lists.length;
        for (const p of patterns) this.lists.push2(p.node.index, this.pattern(p.pattern));
        patternCount = patterns.length;
      }
      if (n.param) number(n.param);
      const wildcardStart = this.list(n.wildcard);
      const endStart = this.list(n.ends);
      const at = this.nodes.reserve(L.NODE_STRIDE);
      const d = this.nodes.data;
      d[at + L.N_FIRST_EDGE] = firstEdge;
      d[at + L.N_EDGE_COUNT] = edgeCount;
      d[at + L.N_PARAM_CHILD] = n.param ? n.param.index : -1;
      d[at + L.N_WILDCARD_START] = wildcardStart;
      d[at + L.N_WILDCARD_COUNT] = n.wildcard.length;
      d[at + L.N_END_START] = endStart;
      d[at + L.N_END_COUNT] = n.ends.length;
      d[at + L.N_PATTERN_START] = patternStart;
      d[at + L.N_PATTERN_COUNT] = patternCount;
      d[at + L.N_EDGE_DIRECTORY] = directory;
    }
    return root.index;
  }

  /** A wide node's edge directory (table-layout.ts, N_EDGE_DIRECTORY) over its sorted edges; returns its start in `lists`. */
  private edgeDirectory(sorted: readonly StaticEdge[]): number {
    const bits = L.directoryBits(sorted.length);
    const buckets = 2 ** bits;
    const start = this.lists.reserve(buckets + 1);
    const d = this.lists.data;
    let e = 0;
    for (let b = 0; b <= buckets; b++) {
      while (e < sorted.length && L.directoryBucket(sorted[e].hash, bits) < b) e++;
      d[start + b] = e;
    }
    return start;
  }

  private edge(hash: number, key: string, childIndex: number): void {
    const chars = this.string(key);
    const at = this.edges.reserve(L.EDGE_STRIDE);
    const d = this.edges.data;
    d[at + L.E_HASH] = hash;
    d[at + L.E_CHARS_START] = chars;
    d[at + L.E_CHARS_LENGTH] = key.length;
    d[at + L.E_CHILD] = childIndex;
  }

  /** The table's bytes, in `space(size)` (zeroed, starting at its buffer's byte 0; a fresh array by default). */
  layout(apiTrieRoot: number, meta: Uint8Array, space: (size: number) => Uint8Array = (size) => new Uint8Array(size)): Uint8Array {
    const sections = [this.nodes, this.edges, this.lists, this.apis, this.ops].map((s) => s.view());
    let offset = L.HEADER_SLOTS * 4;
    const offsets: number[] = [];
    for (const s of sections) { offsets.push(offset); offset += s.length * 4; }
    const charsOffset = offset;
    offset = align4(offset + this.chars.length * 2);
    const metaOffset = offset;
    const total = align4(metaOffset + meta.length);

    const bytes = space(total);
    if (bytes.byteOffset !== 0 || bytes.length !== total) throw new Error('table space must start at its buffer\'s first byte and hold exactly the table');
    const header = new Int32Array(bytes.buffer, 0, L.HEADER_SLOTS);
    header[L.H_MAGIC] = L.TABLE_MAGIC;
    header[L.H_VERSION] = L.TABLE_LAYOUT_VERSION;
    const slots = [L.H_NODES_OFFSET, L.H_EDGES_OFFSET, L.H_LISTS_OFFSET, L.H_APIS_OFFSET, L.H_OPS_OFFSET];
    const strides = [L.NODE_STRIDE, L.EDGE_STRIDE, 1, L.API_STRIDE, L.OP_STRIDE];
    sections.forEach((s, i) => {
      header[slots[i]] = offsets[i];
      header[slots[i] + 1] = s.length / strides[i];
      new Int32Array(bytes.buffer, offsets[i], s.length).set(s);
    });
    header[L.H_CHARS_OFFSET] = charsOffset;
    header[L.H_CHARS_COUNT] = this.chars.length;
    new Uint16Array(bytes.buffer, charsOffset, this.chars.length).set(this.chars.view());
    header[L.H_META_OFFSET] = metaOffset;
    header[L.H_META_BYTES] = meta.length;
    bytes.set(meta, metaOffset);
    header[L.H_API_TRIE_ROOT] = apiTrieRoot;
    return bytes;
  }
}

function align4(n: number): number { return (n + 3) & ~3; }
