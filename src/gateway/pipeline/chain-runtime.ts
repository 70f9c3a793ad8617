/**
 * The worker's side of policy chains: instances built once per generation, and the loop that runs
 * a section. A section with no policies is null (the Fastify habit), so the request path only
 * checks for null. Policies that return a number never allocate a promise; the loop switches to
 * awaiting only at the first policy that returns one.
 */
import { CONTINUE, FAIL, SECTIONS, type Outcome, type Section } from './phases.js';
import type { CompiledChain, PolicyInstance } from './policy-contract.js';
import type { RequestContext } from './context.js';
import type { WorkerServices } from './worker-services.js';
import { findFactory } from '../policies/registry.js';

export interface RuntimeSection {
  section: Section;
  instances: PolicyInstance[];
  /** Where each policy was written (for lastError). */
  names: string[];
}

export type RuntimeChain = Record<Section, RuntimeSection | null>;

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
  return out;
}

/** Runs a section; a thrown error becomes FAIL with lastError naming the policy. */
export function runSection(section: RuntimeSection, ctx: RequestContext): Outcome | Promise<Outcome> {
  const list = section.instances;
  for (let i = 0; i < list.length; i++) {
    let result: Outcome | Promise<Outcome>;
    try {
      result = list[i].run(ctx);
    } catch (err) {
      return policyThrew(section, i, ctx, err);
    }
    if (typeof result !== 'number') return finishAsync(section, i, result, ctx);
    if (result !== CONTINUE) return result;
  }
  return CONTINUE;
}

async function finishAsync(section: RuntimeSection, from: number, pending: Promise<Outcome>, ctx: RequestContext): Promise<Outcome> {
  let i = from;
  try {
    let result = await pending;
    if (result !== CONTINUE) return result;
    for (i = from + 1; i < section.instances.length; i++) {
      result = await section.instances[i].run(ctx);
      if (result !== CONTINUE) return result;
    }
    return CONTINUE;
  } catch (err) {
    return policyThrew(section, i, ctx, err);
  }
}

function policyThrew(section: RuntimeSection, index: number, ctx: RequestContext, err: unknown): Outcome {
  ctx.fail({
    source: 'policy', reason: 'PolicyFailed', message: err instanceof Error ? err.message : String(err),
    section: section.section, policy: section.names[index], code: 'OUTPOST_ERR_POLICY_FAILED',
  });
  return FAIL;
}
