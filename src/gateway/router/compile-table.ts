/**
 * Compiles a validated config into the flat routing table of `table-layout.ts`. Runs in a piscina
 * worker (never on a request thread). Deterministic: the same config gives the same bytes, because
 * every list is built in config order and every edge list is sorted.
 */
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import { compilePolicies } from '../pipeline/compile-policies.js';
import type { CompiledApi, CompiledMeta, CompiledOperation } from '../../shared/compiled-meta.js';
import { splitSuffix, splitTemplate } from '../../shared/url-template.js';
import * as L from '../../shared/table-layout.js';
import { compileSubscriptions } from '../subscriptions/compile-subscriptions.js';

/** Records are off, so the encoding depends only on the values (determinism). */
const packr = new Packr({ useRecords: false, moreTypes: false });

interface BuildNode {
  statics: Map<string, BuildNode>; // key: lowercased segment
  param: BuildNode | null;
  wildcard: number[];
  ends: number[];
}

const newNode = (): BuildNode => ({ statics: new Map(), param: null, wildcard: [], ends: [] });

function child(node: BuildNode, segment: string): BuildNode {
  const key = L.foldAscii(segment);
  let next = node.statics.get(key);
  if (!next) { next = newNode(); node.statics.set(key, next); }
  return next;
}

export function suffixSegments(path: string): string[] {
  const segments = splitSuffix(path);
  if (typeof segments === 'string') throw new Error(`unvalidated API path ${path}: ${segments}`);
  return segments;
}

/** Flattens build tries into the int32 arrays; nodes are numbered breadth-first per trie. */
class Flattener {
  nodes: number[] = [];
  edges: number[] = [];
  lists: number[] = [];
  chars: number[] = [];
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

  list(items: number[]): number {
    const start = this.lists.length;
    this.lists.push(...items);
    return start;
  }

  trie(root: BuildNode): number {
    const index = new Map<BuildNode, number>();
    const order: BuildNode[] = [];
    const visit = (n: BuildNode) => { index.set(n, this.nodes.length / L.NODE_STRIDE + order.length); order.push(n); };
    visit(root);
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      for (const key of [...n.statics.keys()].sort()) visit(n.statics.get(key)!);
      if (n.param) visit(n.param);
    }
    for (const n of order) {
      const statics = [...n.statics.entries()]
        .map(([key, c]) => ({ key, hash: L.segmentHash(key), child: index.get(c)! }))
        .sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const firstEdge = this.edges.length / L.EDGE_STRIDE;
      for (const e of statics) this.edges.push(e.hash, this.string(e.key), e.key.length, e.child);
      this.nodes.push(
        firstEdge, statics.length, n.param ? index.get(n.param)! : -1,
        this.list(n.wildcard), n.wildcard.length, this.list(n.ends), n.ends.length,
      );
    }
    return index.get(root)!;
  }
}

function originAndBase(serviceUrl: string): { origin: string; basePath: string; host: string } {
  const url = new URL(serviceUrl);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), host: url.host };
}

/** Problems found while compiling (policies): the config is valid in shape but cannot be served. */
export class ConfigCompileError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'ConfigCompileError';
  }
}

export function compileTable(config: GatewayConfig): Uint8Array {
  const policies = compilePolicies(config);
  if (policies.problems.length > 0) throw new ConfigCompileError(policies.problems);
  const flat = new Flattener();
  const apis: CompiledApi[] = [];
  const operations: CompiledOperation[] = [];
  const apiRoot = newNode();
  const apiRecords: number[] = [];
  const opRecords: number[] = [];
  const opTries: BuildNode[] = [];

  config.apis.forEach((api, apiIndex) => {
    const { origin, basePath, host } = originAndBase(api.serviceUrl);
    const segments = suffixSegments(api.path);
    apis.push({
      id: api.id, name: api.name, path: segments.join('/'), suffixSegments: segments.length, origin, basePath, backendHost: host,
      preserveHost: api.preserveHost, hostnames: (api.hostnames ?? []).map((h) => h.toLowerCase()),
      subscriptionRequired: api.subscriptionRequired,
      keyHeader: api.subscriptionKeyParameterNames.header.toLowerCase(),
      keyQuery: api.subscriptionKeyParameterNames.query,
      products: config.products.filter((p) => p.apis.includes(api.id)).map((p) => p.id),
    });
    let node = apiRoot;
    for (const s of segments) node = child(node, s);
    node.ends.push(apiIndex);

    const opRoot = newNode();
    for (const op of api.operations) {
      const template = splitTemplate(op.urlTemplate);
      if (typeof template === 'string') throw new Error(`unvalidated template ${op.urlTemplate}`);
      const opIndex = operations.length;
      const paramNames: string[] = [];
      let at = opRoot;
      let wildcard = false;
      for (const seg of template) {
        if (seg.kind === 'static') at = child(at, seg.value);
        else if (seg.kind === 'param') { paramNames.push(seg.name); at = at.param ??= newNode(); }
        else wildcard = true;
      }
      (wildcard ? at.wildcard : at.ends).push(opIndex);
      operations.push({ id: op.id, api: apiIndex, method: op.method, urlTemplate: op.urlTemplate, paramNames, chains: policies.chains[opIndex] });
      opRecords.push(L.METHOD_CODES[op.method] ?? L.METHOD_OTHER, apiIndex);
    }
    opTries.push(opRoot);
  });

  // Where several APIs share a suffix, host-specific ones are tried before host-less ones.
  const sortEnds = (n: BuildNode) => {
    n.ends.sort((a, b) => (apis[b].hostnames.length > 0 ? 1 : 0) - (apis[a].hostnames.length > 0 ? 1 : 0) || a - b);
    n.statics.forEach(sortEnds);
  };
  sortEnds(apiRoot);

  const apiTrieRoot = flat.trie(apiRoot);
  apis.forEach((api, i) => {
    const opRoot = flat.trie(opTries[i]);
    const hostPairs = api.hostnames.flatMap((h) => [flat.string(h), h.length]);
    apiRecords.push(opRoot, flat.list(hostPairs), api.hostnames.length, api.suffixSegments);
  });

  const configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  const meta: CompiledMeta = { configHash, settings: config.gateway, apis, operations, subscriptions: compileSubscriptions(config) };
  const metaBytes = packr.pack(meta);
  return layout(flat, apiRecords, opRecords, apiTrieRoot, metaBytes);
}

function align4(n: number): number { return (n + 3) & ~3; }

function layout(flat: Flattener, apiRecords: number[], opRecords: number[], apiTrieRoot: number, meta: Uint8Array): Uint8Array {
  const sections = [flat.nodes, flat.edges, flat.lists, apiRecords, opRecords];
  let offset = L.HEADER_SLOTS * 4;
  const offsets: number[] = [];
  for (const s of sections) { offsets.push(offset); offset += s.length * 4; }
  const charsOffset = offset;
  offset = align4(offset + flat.chars.length * 2);
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
  header[L.H_CHARS_COUNT] = flat.chars.length;
  new Uint16Array(bytes.buffer, charsOffset, flat.chars.length).set(flat.chars);
  header[L.H_META_OFFSET] = metaOffset;
  header[L.H_META_BYTES] = meta.length;
  bytes.set(meta, metaOffset);
  header[L.H_API_TRIE_ROOT] = apiTrieRoot;
  return bytes;
}
