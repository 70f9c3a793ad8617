/**
 * Compiles a validated config into the flat routing table of `table-layout.ts`. Runs in a piscina
 * worker (never on a request thread). Deterministic: the same config gives the same bytes, because
 * every list is built in config order and every edge list is sorted. The sections themselves are
 * written by table-writer.ts.
 */
import { Packr } from 'msgpackr';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import { compilePolicies } from '../pipeline/compile-policies.js';
import { compileContracts } from './compile-contracts.js';
import { NO_BACKEND_TLS, type BackendTlsAssignment, type ChainRef, type MetaPayload } from '../../shared/compiled-meta.js';
import { compileBackends } from '../backends/compiled-backend.js';
import { compileCertificates } from '../backends/client-certificates.js';
import { compileAuthorizations } from '../authorizations/compile-authorizations.js';
import type { CompiledChain, CompiledPolicy } from '../pipeline/policy-contract.js';
import { SECTIONS } from '../pipeline/phases.js';
import { addEnd, child, newNode, patternChild, TableWriter, type BuildNode } from './table-writer.js';
import { splitSuffix, TemplateMemo, type CheckedTemplate } from '../../shared/url-template.js';
import * as L from '../../shared/table-layout.js';
import { compileSubscriptions } from '../subscriptions/compile-subscriptions.js';

/** Records are off, so the encoding depends only on the values (determinism). */
const packr = new Packr({ useRecords: false, moreTypes: false });

export function suffixSegments(path: string): string[] {
  const segments = splitSuffix(path);
  if (typeof segments === 'string') throw new Error(`unvalidated API path ${path}: ${segments}`);
  return segments;
}

/**
 * Policies and chain sets, each stored once: 500,000 operations under one global policy share one
 * chain set, where the table used to carry a copy of the compiled policy per operation.
 */
class ChainSets {
  readonly policies: CompiledPolicy[] = [];
  readonly sets: Array<Record<string, ChainRef>> = [];
  private policyIndex = new Map<CompiledPolicy, number>();
  private setIndex = new Map<string, number>();
  /** compilePolicies hands operations that share their chains one object: its key is built once. */
  private byIdentity = new Map<Record<string, CompiledChain>, number>();

  add(chains: Record<string, CompiledChain> | null): number {
    if (chains === null) return -1;
    let at = this.byIdentity.get(chains);
    if (at === undefined) { at = this.addByContent(chains); this.byIdentity.set(chains, at); }
    return at;
  }

  private addByContent(chains: Record<string, CompiledChain>): number {
    const set: Record<string, ChainRef> = {};
    let key = '';
    for (const [product, chain] of Object.entries(chains)) {
      const ref = {} as ChainRef;
      for (const section of SECTIONS) ref[section] = chain[section].map((p) => this.policy(p));
      set[product] = ref;
      key += `${product}\u0000${SECTIONS.map((s) => ref[s].join(',')).join(';')}\u0001`;
    }
    let at = this.setIndex.get(key);
    if (at === undefined) { at = this.sets.length; this.sets.push(set); this.setIndex.set(key, at); }
    return at;
  }

  private policy(p: CompiledPolicy): number {
    let at = this.policyIndex.get(p);
    if (at === undefined) { at = this.policies.length; this.policies.push(p); this.policyIndex.set(p, at); }
    return at;
  }
}

type OriginAndBase = { origin: string; basePath: string; host: string };

function originAndBase(serviceUrl: string, known: Map<string, OriginAndBase>): OriginAndBase {
  let parts = known.get(serviceUrl);
  if (parts === undefined) {
    const url = new URL(serviceUrl);
    parts = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), host: url.host };
    known.set(serviceUrl, parts);
  }
  return parts;
}

/** Problems found while compiling (policies): the config is valid in shape but cannot be served. */
export class ConfigCompileError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    this.name = 'ConfigCompileError';
  }
}

/**
 * `backendTls`: the profiles the primary read for this config (files are never read here).
 * `space`: where the table's bytes go (see TableWriter.layout); a fresh array by default.
 */
export function compileTable(config: GatewayConfig, backendTls: BackendTlsAssignment = NO_BACKEND_TLS, space?: (size: number) => Uint8Array): Uint8Array {
  const entityProblems: ConfigProblem[] = [];
  const certificates = compileCertificates(config, entityProblems);
  const policies = compilePolicies(config, certificates);
  const authorizations = compileAuthorizations(config, entityProblems);
  if (policies.problems.length > 0 || entityProblems.length > 0) throw new ConfigCompileError([...entityProblems, ...policies.problems]);
  const w = new TableWriter(config.apis.length, config.apis.reduce((n, api) => n + api.operations.length, 0));
  const chainSets = new ChainSets();
  const templates = new TemplateMemo();
  // What the table holds once per distinct template (its parameter names, and its text from its
  // first operation on), written once and shared by every operation using it, found by the
  // checked template's identity: interning the text by content
  // took a string-keyed lookup for each of 500,000 operations. Written in the order they were
  // before (names, then the operation id, then the text), so the table's bytes are unchanged.
  const templateParts = new Map<CheckedTemplate, { text: number; start: number; count: number }>();
  const partsOf = (checked: CheckedTemplate): { text: number; start: number; count: number } => {
    let parts = templateParts.get(checked);
    if (parts === undefined) {
      const names = checked.path.flatMap((seg) => (seg.kind === 'param' ? [seg.name] : seg.kind === 'pattern' ? seg.names : []));
      parts = { text: -1, start: w.stringList(names), count: names.length };
      templateParts.set(checked, parts);
    }
    return parts;
  };
  const apiRoot = newNode();
  const hostnames: string[][] = [];
  const productIndex = new Map<string, number[]>();
  config.products.forEach((p, i) => { for (const id of p.apis) { const list = productIndex.get(id) ?? []; if (!list.includes(i)) list.push(i); productIndex.set(id, list); } });
  const origins = new Map<string, number>();
  const serviceUrls = new Map<string, OriginAndBase>();
  let opIndex = 0;

  config.apis.forEach((api, apiIndex) => {
    const { origin, basePath, host } = originAndBase(api.serviceUrl, serviceUrls);
    const segments = suffixSegments(api.path);
    const hosts = (api.hostnames ?? []).map((h) => h.toLowerCase());
    hostnames.push(hosts);
    let node = apiRoot;
    for (const s of segments) node = child(node, s);
    addEnd(node, 'ends', apiIndex);
    // One pool per origin and TLS profile: two APIs on one origin with different client certificates must not share connections.
    const tlsProfile = backendTls.perApi[apiIndex] ?? -1;
    const originKey = `${tlsProfile}|${origin}`;
    if (!origins.has(originKey)) origins.set(originKey, origins.size);
    const products = productIndex.get(api.id) ?? [];
    const strings: Record<(typeof L.API_STRINGS)[number], string> = {
      id: api.id, name: api.name, path: segments.join('/'), basePath, backendHost: host,
      keyHeader: api.subscriptionKeyParameterNames.header.toLowerCase(), keyQuery: api.subscriptionKeyParameterNames.query,
    };
    // The operation trie's root is patched in below, once it is flattened.
    const apiRecord = w.apis.reserve(L.API_STRIDE);
    const hostList = w.stringList(hosts);
    const stringList = w.stringList(L.API_STRINGS.map((k) => strings[k]));
    const productList = w.list(products);
    const a = w.apis.data;
    a[apiRecord + L.A_OP_TRIE_ROOT] = -1;
    a[apiRecord + L.A_HOSTS_START] = hostList;
    a[apiRecord + L.A_HOSTS_COUNT] = hosts.length;
    a[apiRecord + L.A_SUFFIX_SEGMENTS] = segments.length;
    a[apiRecord + L.A_STRINGS_START] = stringList;
    a[apiRecord + L.A_FLAGS] = (api.preserveHost ? L.AF_PRESERVE_HOST : 0) | (api.subscriptionRequired ? L.AF_SUBSCRIPTION_REQUIRED : 0)
      | (api.requestLog ? 0 : L.AF_NO_REQUEST_LOG);
    a[apiRecord + L.A_PRODUCTS_START] = productList;
    a[apiRecord + L.A_PRODUCTS_COUNT] = products.length;
    a[apiRecord + L.A_ORIGIN] = origins.get(originKey)!;

    const opRoot = newNode();
    for (const op of api.operations) {
      const checked = templates.check(op.urlTemplate);
      if (typeof checked === 'string') throw new Error(`unvalidated template ${op.urlTemplate}`);
      let at = opRoot;
      let wildcard = false;
      for (const seg of checked.path) {
        if (seg.kind === 'static') at = child(at, seg.value);
        else if (seg.kind === 'param') at = at.param ??= newNode();
        else if (seg.kind === 'pattern') at = patternChild(at, seg);
        else wildcard = true;
      }
      addEnd(at, wildcard ? 'wildcard' : 'ends', opIndex);
      const params = partsOf(checked);
      const id = w.string(op.id);
      const template = params.text >= 0 ? params.text : (params.text = w.string(op.urlTemplate));
      const chains = chainSets.add(policies.chains[opIndex]);
      const o = w.ops.reserve(L.OP_STRIDE);
      const d = w.ops.data;
      d[o + L.O_METHOD] = L.METHOD_CODES[op.method] ?? L.METHOD_OTHER;
      d[o + L.O_API] = apiIndex;
      d[o + L.O_ID_START] = id;
      d[o + L.O_ID_LENGTH] = op.id.length;
      d[o + L.O_TEMPLATE_START] = template;
      d[o + L.O_TEMPLATE_LENGTH] = op.urlTemplate.length;
      d[o + L.O_PARAMS_START] = params.start;
      d[o + L.O_PARAMS_COUNT] = params.count;
      d[o + L.O_CHAINS] = chains;
      d[o + L.O_QUERY_COUNT] = checked.query.length;
      opIndex++;
    }
    // Flattened now, not after the loop: the build nodes then die young instead of 500,000 of
    // them surviving (and being copied by the collector) until every API is done.
    const opTrieRoot = w.trie(opRoot);
    w.apis.data[apiRecord + L.A_OP_TRIE_ROOT] = opTrieRoot;
  });

  // Where several APIs share a suffix, host-specific ones are tried before host-less ones.
  const sortEnds = (n: BuildNode) => {
    n.ends.sort((a, b) => (hostnames[b].length > 0 ? 1 : 0) - (hostnames[a].length > 0 ? 1 : 0) || a - b);
    n.statics?.forEach(sortEnds);
  };
  sortEnds(apiRoot);

  const apiTrieRoot = w.trie(apiRoot);

  const meta: MetaPayload = {
    settings: config.gateway, subscriptions: compileSubscriptions(config),
    products: config.products.map((p) => p.id),
    origins: [...origins.keys()].map((k) => k.slice(k.indexOf('|') + 1)),
    originTls: [...origins.keys()].map((k) => Number(k.slice(0, k.indexOf('|')))),
    backendTls: backendTls.profiles,
    backends: compileBackends(config.backends, config.namedValues), certificates, authorizations,
    contracts: compileContracts(config),
    policies: chainSets.policies, chainSets: chainSets.sets, patterns: w.patterns,
  };
  return w.layout(apiTrieRoot, packr.pack(meta), space);
}
