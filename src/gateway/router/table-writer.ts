/**
 * Writes the sections of `table-layout.ts`: build tries flattened into int32 records, an interned
 * UTF-16 string pool, and the final byte layout. Used by compile-table.ts in the compiler thread.
 * Plain number arrays while building (cheap to grow), typed arrays only in the final layout.
 */
import * as L from '../../shared/table-layout.js';
import { patternLiteralLength, patternShape, type PatternSegment } from '../../shared/url-template.js';

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

/** Flattens build tries into the int32 arrays; nodes are numbered breadth-first per trie. */
export class TableWriter {
  nodes: number[] = [];
  edges: number[] = [];
  lists: number[] = [];
  chars: number[] = [];
  apis: number[] = [];
  ops: number[] = [];
  /** Pattern literals, by index (the table's `meta.patterns`), each shape once. */
  patterns: string[][] = [];
  private patternIndex = new Map<string, number>();
  /** Interned: 50,000 APIs repeat the same operation ids, templates and parameter names. */
  private strings = new Map<string, number>();

  string(s: string): number {
    let at = this.strings.get(s);
    if (at === undefined) {
      at = this.chars.length;
      for (let i = 0; i < s.length; i++) this.chars.push(s.charCodeAt(i));
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
    for (const s of items) this.lists.push(this.string(s), s.length);
    return start;
  }

  trie(root: BuildNode): number {
    const order: BuildNode[] = [];
    const base = this.nodes.length / L.NODE_STRIDE;
    const visit = (n: BuildNode) => { n.index = base + order.length; order.push(n); };
    visit(root);
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      if (n.statics !== null) for (const key of [...n.statics.keys()].sort()) visit(n.statics.get(key)!);
      for (const p of orderedPatterns(n)) visit(p.node);
      if (n.param) visit(n.param);
    }
    for (const n of order) {
      const firstEdge = this.edges.length / L.EDGE_STRIDE;
      let edgeCount = 0;
      if (n.statics !== null) {
        const statics = [...n.statics.entries()]
          .map(([key, c]) => ({ key, hash: L.segmentHash(key), child: c.index }))
          .sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        for (const e of statics) this.edges.push(e.hash, this.string(e.key), e.key.length, e.child);
        edgeCount = statics.length;
      }
      const patterns = orderedPatterns(n);
      const patternList = patterns.flatMap((p) => [p.node.index, this.pattern(p.pattern)]);
      this.nodes.push(
        firstEdge, edgeCount, n.param ? n.param.index : -1,
        this.list(n.wildcard), n.wildcard.length, this.list(n.ends), n.ends.length,
        this.list(patternList), patterns.length,
      );
    }
    return root.index;
  }

  layout(apiTrieRoot: number, meta: Uint8Array): Uint8Array {
    const sections = [this.nodes, this.edges, this.lists, this.apis, this.ops];
    let offset = L.HEADER_SLOTS * 4;
    const offsets: number[] = [];
    for (const s of sections) { offsets.push(offset); offset += s.length * 4; }
    const charsOffset = offset;
    offset = align4(offset + this.chars.length * 2);
    const metaOffset = offset;
    const total = align4(metaOffset + meta.length);

    const bytes = new Uint8Array(total);
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
    new Uint16Array(bytes.buffer, charsOffset, this.chars.length).set(this.chars);
    header[L.H_META_OFFSET] = metaOffset;
    header[L.H_META_BYTES] = meta.length;
    bytes.set(meta, metaOffset);
    header[L.H_API_TRIE_ROOT] = apiTrieRoot;
    return bytes;
  }
}

function align4(n: number): number { return (n + 3) & ~3; }
