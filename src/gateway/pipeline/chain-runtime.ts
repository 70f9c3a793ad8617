/**
 * The worker's side of policy chains: instances built once per generation. A section with no
 * policies is null (the Fastify habit), so the request path only checks for null. The loop that
 * runs a section is run-section.ts (it needs no registry, so nested policies can use it too).
 */
import { SECTIONS, type Section } from './phases.js';
import type { CompiledChain } from './policy-contract.js';
import type { WorkerServices } from './worker-services.js';
import { findFactory } from '../policies/registry.js';
import type { RuntimeSection } from './run-section.js';

export { runSection, type RuntimeSection } from './run-section.js';

export type RuntimeChain = Record<Section, RuntimeSection | null>;

/**
 * What instantiateChain found in a chain, as bits under a symbol on the chain itself: the request
 * path asks up to five of these a request, and a WeakSet lookup each cost ~50 instructions where a
 * property load costs one. A chain not made by instantiateChain has none.
 */
const TRAITS = Symbol('chainTraits');
type Traits = { [TRAITS]?: number };
const READS_BODY = 1;
const BUFFERS_RESPONSE = 2;
const MAY_RETRY = 4;
const BUFFERS_REQUEST = 8;
const VALIDATES_BODY = 16;

function has(chain: RuntimeChain, trait: number): boolean {
  return (((chain as Traits)[TRAITS] ?? 0) & trait) !== 0;
}

/** Chains whose policy expressions read context.Request.Body: the worker buffers the body before inbound. */
export function chainReadsRequestBody(chain: RuntimeChain): boolean {
  return has(chain, READS_BODY);
}

/**
 * Chains whose outbound section needs the backend's whole response before it runs: it edits or
 * reads the body (set-body, find-and-replace, context.Response.Body) or waits (send-request, a
 * cache-lookup-value that may ask Redis: caching-type external or prefer-external).
 * The exchange then buffers the response (bounded) instead of streaming it (policy-exchange.ts).
 */
export function chainBuffersResponse(chain: RuntimeChain): boolean {
  return has(chain, BUFFERS_RESPONSE);
}

/** Chains whose backend section may send the request again (a retry, a followed 307/308): a small body is kept to replay. */
export function chainMayRetry(chain: RuntimeChain): boolean {
  return has(chain, MAY_RETRY);
}

/** Chains with forward-request buffer-request-body="true": the whole body is read (bounded) before the forward. */
export function chainBuffersRequestBody(chain: RuntimeChain): boolean {
  return has(chain, BUFFERS_REQUEST);
}

/**
 * Policies (at any depth, e.g. inside choose) that need a whole body in their section. The LLM
 * token policies read the prompt (estimate-prompt-tokens, and `"stream": true`, which APIM always estimates).
 */
const BODY_POLICIES = new Set(['set-body', 'find-and-replace', 'json-to-xml', 'xml-to-json', 'redirect-content-urls',
  'llm-token-limit', 'azure-openai-token-limit', 'llm-emit-token-metric', 'azure-openai-emit-token-metric', 'validate-content']);
const RESPONSE_WAITERS = new Set(['set-body', 'find-and-replace', 'send-request', 'wait', 'json-to-xml', 'xml-to-json', 'jsonp', 'redirect-content-urls',
  'validate-content']);
const CONTENT_VALIDATORS = new Set(['validate-content']);

/** Chains that validate the request body: it is held up to validate-content's largest max-size (100 KB), not 64 KiB. */
export function chainValidatesRequestBody(chain: RuntimeChain): boolean {
  return has(chain, VALIDATES_BODY);
}

const RETRIES = new Set(['retry']);

/**
 * Whether compiled policy data holds a policy named in `names` (a CompiledPolicy: name and
 * config) for which `also` (if given) holds too.
 */
function holdsPolicy(data: unknown, names: ReadonlySet<string>, also?: (config: unknown) => boolean, depth = 0): boolean {
  if (data === null || typeof data !== 'object' || depth > 200) return false;
  if (Array.isArray(data)) return data.some((x) => holdsPolicy(x, names, also, depth + 1));
  const o = data as Record<string, unknown>;
  if (typeof o.name === 'string' && 'config' in o && names.has(o.name) && (also === undefined || also(o.config))) return true;
  return Object.values(o).some((x) => holdsPolicy(x, names, also, depth + 1));
}

/** Whether compiled policy data holds a policy named `name` whose config satisfies `test` (a retry that waits, a forward-request that buffers). */
function holdsPolicyWhere(data: unknown, name: string, test: (config: Record<string, unknown>) => boolean, depth = 0): boolean {
  if (data === null || typeof data !== 'object' || depth > 200) return false;
  if (Array.isArray(data)) return data.some((x) => holdsPolicyWhere(x, name, test, depth + 1));
  const o = data as Record<string, unknown>;
  if (o.name === name && o.config !== null && typeof o.config === 'object' && test(o.config as Record<string, unknown>)) return true;
  return Object.values(o).some((x) => holdsPolicyWhere(x, name, test, depth + 1));
}

const VALUE_LOOKUP = new Set(['cache-lookup-value']);
/** A cache-lookup-value that may wait on Redis (cache-value.ts LookupConfig.cachingType). */
const mayAskRedis = (config: unknown): boolean => (config as { cachingType?: string } | null)?.cachingType !== 'internal';

/** Whether compiled policy data holds an expression node reading `.Body` (found once per generation). */
function mentionsBody(data: unknown, depth = 0): boolean {
  if (data === null || typeof data !== 'object' || depth > 200) return false;
  if (Array.isArray(data)) return data.some((x) => mentionsBody(x, depth + 1));
  const o = data as Record<string, unknown>;
  if (o.k === 'mem' && o.name === 'Body') return true;
  return Object.values(o).some((x) => mentionsBody(x, depth + 1));
}

export function instantiateChain(chain: CompiledChain, services: WorkerServices): RuntimeChain {
  const out = {} as RuntimeChain;
  for (const section of SECTIONS) {
    const list = chain[section];
    out[section] = list.length === 0 ? null : {
      section,
      instances: list.map((p) => findFactory(p.name)!.create(p.config as never, services)),
      names: list.map((p) => p.name),
    };
  }
  let traits = 0;
  if (mentionsBody(chain) || holdsPolicy(chain.inbound, BODY_POLICIES) || holdsPolicy(chain.backend, BODY_POLICIES)) traits |= READS_BODY;
  if (holdsPolicy(chain.inbound, CONTENT_VALIDATORS)) traits |= VALIDATES_BODY;
  // An outbound retry that waits between rounds cannot run while the head waits to be written.
  if (holdsPolicy(chain.outbound, RESPONSE_WAITERS) || holdsPolicy(chain.outbound, VALUE_LOOKUP, mayAskRedis) || mentionsBody(chain.outbound)
    || holdsPolicyWhere(chain.outbound, 'retry', (c) => c.waits === true)) traits |= BUFFERS_RESPONSE;
  if (holdsPolicy(chain.backend, RETRIES) || holdsPolicyWhere(chain.backend, 'forward-request', (c) => c.followRedirects === true)) traits |= MAY_RETRY;
  if (holdsPolicyWhere(chain.backend, 'forward-request', (c) => c.bufferRequestBody === true)) traits |= BUFFERS_REQUEST;
  (out as Traits)[TRAITS] = traits;
  return out;
}
