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
  if (mentionsBody(chain)) readsBody.add(out);
  return out;
}
