/**
 * Compile time (the compiler thread): every scope's policies are parsed (YAML or XML), named
 * values substituted, scopes merged per operation and per product (product policies apply only
 * to requests whose key belongs to that product), and each element compiled by its factory into
 * checked plain data. Problems come back with the field path of the scope that holds them: all of
 * them, from every policy of every scope (bounded by MAX_POLICY_PROBLEMS), never only the first.
 */
import type { GatewayConfig, ConfigProblem } from '../../shared/config-schema.js';
import { SECTIONS } from './phases.js';
import { INVALID_POLICY, parsePolicyDocumentCollecting, policyLocation, type PolicyDocument } from './policy-document.js';
import { redactSecrets, substituteNamedValuesCollecting, type NamedValues } from './named-values.js';
import { mergeScopes, type ScopeLevel } from './merge-scopes.js';
import { collectInto, compileErrorsOf, describeLocation, PolicyCompileError, type PolicyElement } from './policy-element.js';
import type { CompiledChain, CompiledPolicy } from './policy-contract.js';
import { findFactory } from '../policies/registry.js';
import { compileElement } from './compile-element.js';
import { usesFleetScope } from '../policies/fleet-options.js';
import { expandFragments, parseFragments } from './fragments.js';
import { withCompileEnv } from './compile-env.js';
import { readThumbprints } from '../backends/client-certificates.js';
import type { ClientCertificate } from '../upstream/upstream-pool.js';

/** Chains of one operation by product id; '' is the chain for requests without a product key. */
export type OperationChains = Record<string, CompiledChain>;

export interface PolicyCompilation {
  /** Per operation, in config order (APIs, then their operations); null when no policy applies. */
  chains: Array<OperationChains | null>;
  problems: ConfigProblem[];
}

/**
 * `certificates`: the client certificates as the gateway read them (compile-table.ts), whose
 * thumbprints authentication-certificate may name; absent, the certFiles are read here for them.
 */
export function compilePolicies(config: GatewayConfig, certificates?: readonly ClientCertificate[]): PolicyCompilation {
  const certificateThumbprints = certificates !== undefined ? new Map(certificates.map((c) => [c.thumbprint, c.id])) : readThumbprints(config);
  const env = {
    backendIds: new Set(config.backends.map((b) => b.id)), certificateIds: new Set(config.certificates.map((c) => c.id)), certificateThumbprints,
    schemas: new Map((config.schemas ?? []).map((s) => [s.id, s.document])),
  };
  return withCompileEnv(env, () => compileAll(config));
}

const operationScope = (api: number, operation: number): string => `apis[${api}].operations[${operation}].policies`;

function compileAll(config: GatewayConfig): PolicyCompilation {
  const problems: ConfigProblem[] = [];
  const compiled = new Map<PolicyElement, CompiledPolicy>();
  // Fleet counters need gateway.redis (OUTPOST_REDIS_URL is applied to the config before compiling).
  const hasRedis = config.gateway.redis !== undefined;
  const values: NamedValues = new Map(config.namedValues.map((v) => [v.name, { value: v.value, secret: v.secret }]));
  const fragmentSink: PolicyCompileError[] = [];
  const fragments = parseFragments(config, fragmentSink, (err, scope) => problems.push(...toProblems(err, scope)));
  problems.push(...fragmentSink.map((e) => toProblem(e, 'fragments')));
  // Every stage goes on past problems (a bad policy becomes a placeholder), so one run reports
  // every problem of every policy in every scope, each at its own path.
  const parse = (input: unknown, scope: string): PolicyDocument | undefined => {
    if (input === undefined) return undefined;
    const sink: PolicyCompileError[] = [];
    let doc: PolicyDocument | undefined;
    try {
      doc = substituteNamedValuesCollecting(expandFragments(parsePolicyDocumentCollecting(input, scope, sink), fragments, scope, sink), values, scope, sink);
      checkScope(doc, scope, compiled, sink, hasRedis);
    } catch (err) {
      problems.push(...toProblems(err, scope));
      doc = undefined;
    }
    problems.push(...sink.map((e) => toProblem(e, scope)));
    return doc;
  };
  const global = parse(config.policies, 'policies');
  const products = new Map(config.products.map((p, i) => [p.id, { scope: `products[${i}].policies`, doc: parse(p.policies, `products[${i}].policies`) }]));
  const chains: Array<OperationChains | null> = [];
  const productsOfApi = new Map<string, string[]>();
  for (const p of config.products) {
    for (const id of new Set(p.apis)) { const list = productsOfApi.get(id); if (list) list.push(p.id); else productsOfApi.set(id, [p.id]); }
  }
  // An operation without policies of its own runs its API's chains, and an API without policies
  // those of the scopes around it: compiled once and shared (the table stores each chain set once,
  // recognised by identity), not merged again for each of 500,000 operations.
  const inherited = new Map<string, OperationChains | null>();
  config.apis.forEach((api, a) => {
    const apiDoc = parse(api.policies, `apis[${a}].policies`);
    const productIds = productsOfApi.get(api.id) ?? [];
    let apiChains: OperationChains | null | undefined;
    api.operations.forEach((op, o) => {
      // The scope's path is made only for an operation that needs it: most of 500,000 operations
      // share their API's chains and never name their scope.
      const opDoc = op.policies === undefined ? undefined : parse(op.policies, operationScope(a, o));
      const shareKey = opDoc !== undefined ? null : apiDoc === undefined ? productIds.join('\u0000') : undefined;
      const shared = shareKey === null ? undefined : shareKey === undefined ? apiChains : inherited.get(shareKey);
      if (shared !== undefined) { chains.push(shared); return; }
      const opScope = operationScope(a, o);
      const problemsBefore = problems.length;
      const perProduct: OperationChains = {};
      let any = false;
      for (const productId of ['', ...productIds]) {
        const levels: ScopeLevel[] = [
          { scope: 'policies', doc: global },
          productId === '' ? { scope: 'products', doc: undefined } : products.get(productId)!,
          { scope: `apis[${a}].policies`, doc: apiDoc },
          { scope: opScope, doc: opDoc },
        ];
        try {
          const chain = compileChain(levels, compiled);
          perProduct[productId] = chain;
          any ||= SECTIONS.some((s) => chain[s].length > 0);
        } catch (err) {
          problems.push(...toProblems(err, opScope));
        }
      }
      const result = any ? perProduct : null;
      chains.push(result);
      // Shared only when it compiled cleanly, so each operation still reports its own problems.
      if (shareKey !== null && problems.length === problemsBefore) {
        if (shareKey === undefined) apiChains = result;
        else inherited.set(shareKey, result);
      }
    });
  });
  // A factory's message may quote an attribute that held a secret named value: never show it.
  const redacted = dedupe(problems).map((p): ConfigProblem => ({ path: p.path, code: 'OUTPOST_ERR_POLICY_INVALID', message: redactSecrets(p.message, values) }));
  return { chains, problems: capped(redacted) };
}

/**
 * Compiles every policy once, where it is written: a problem names the scope that holds it, and
 * a policy that reaches many operations (global, product, API scope) is compiled once and keeps
 * one identity (a rate-limit declared on an API counts across all its operations, as in APIM).
 */
function checkScope(doc: PolicyDocument, scope: string, compiled: Map<PolicyElement, CompiledPolicy>, sink: PolicyCompileError[], hasRedis: boolean): void {
  for (const section of SECTIONS) {
    doc[section]?.forEach((element, index) => {
      if (element.name === 'base' || element.name === INVALID_POLICY) return;
      const at = policyLocation(scope, section, index, element.name);
      collectInto(sink, () => {
        const config = compileElement(findFactory, element, at);
        if (!hasRedis && usesFleetScope(config)) {
          throw new PolicyCompileError(at, 'scope', 'scope="fleet" counts in Redis, but gateway.redis is not configured (set gateway.redis or OUTPOST_REDIS_URL, or use scope="node")');
        }
        compiled.set(element, { name: element.name, config, at: describeLocation(at) });
      });
    });
  }
}

/** Merging keeps the elements themselves, so each merged one is looked up, not compiled again. */
function compileChain(levels: ScopeLevel[], compiled: Map<PolicyElement, CompiledPolicy>): CompiledChain {
  const merged = mergeScopes(levels);
  const chain = {} as CompiledChain;
  for (const section of SECTIONS) chain[section] = merged[section].map((element) => compiled.get(element)!);
  return chain;
}

function toProblem(err: unknown, fallbackPath: string): ConfigProblem {
  if (err instanceof PolicyCompileError) return { path: err.at.scope, message: err.message };
  return { path: fallbackPath, message: err instanceof Error ? err.message : String(err) };
}

function toProblems(err: unknown, fallbackPath: string): ConfigProblem[] {
  return (compileErrorsOf(err) ?? [err]).map((e) => toProblem(e, fallbackPath));
}

/**
 * A generated or pasted config can hold thousands of bad policies: the list is bounded (logs,
 * readiness detail and the control plane's config report all carry it), with a last line saying
 * how many more there are.
 */
export const MAX_POLICY_PROBLEMS = 200;

function capped(problems: ConfigProblem[]): ConfigProblem[] {
  if (problems.length <= MAX_POLICY_PROBLEMS) return problems;
  const rest = problems.length - MAX_POLICY_PROBLEMS;
  return [...problems.slice(0, MAX_POLICY_PROBLEMS), { path: '', code: 'OUTPOST_ERR_POLICY_INVALID', message: `${rest} more policy problem(s) not shown` }];
}

/** The same bad policy reached through several products is one problem. */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => { const k = `${p.path}\u0000${p.message}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
