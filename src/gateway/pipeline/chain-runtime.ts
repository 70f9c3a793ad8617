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

/** Chains whose policy expressions read context.Request.Body: the worker buffers the body before inbound. */
const readsBody = new WeakSet<RuntimeChain>();

export function chainReadsRequestBody(chain: RuntimeChain): boolean {
  return readsBody.has(chain);
}

/**
 * Chains whose outbound section needs the backend's whole response before it runs: it edits or
 * reads the body (set-body, find-and-replace, context.Response.Body) or waits (send-request, a
 * cache-lookup-value that may ask Redis: caching-type external or prefer-external).
 * The exchange then buffers the response (bounded) instead of streaming it (policy-exchange.ts).
 */
const buffersResponse = new WeakSet<RuntimeChain>();

export function chainBuffersResponse(chain: RuntimeChain): boolean {
  return buffersResponse.has(chain);
}

/** Policies (at any depth, e.g. inside choose) that need a whole body in their section. */
const BODY_POLICIES = new Set(['set-body', 'find-and-replace']);
const RESPONSE_WAITERS = new Set(['set-body', 'find-and-replace', 'send-request']);

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
  if (mentionsBody(chain) || holdsPolicy(chain.inbound, BODY_POLICIES) || holdsPolicy(chain.backend, BODY_POLICIES)) readsBody.add(out);
  if (holdsPolicy(chain.outbound, RESPONSE_WAITERS) || holdsPolicy(chain.outbound, VALUE_LOOKUP, mayAskRedis) || mentionsBody(chain.outbound)) buffersResponse.add(out);
  return out;
}
