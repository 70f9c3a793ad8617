/**
 * The loop that runs a list of policy instances: a section of a chain, or a branch of choose.
 * Policies that return a number never allocate a promise; the loop switches to awaiting only at
 * the first policy that returns one. A throw becomes FAIL with lastError naming the policy.
 */
import { CONTINUE, FAIL, type Outcome, type Section } from './phases.js';
import type { PolicyInstance } from './policy-contract.js';
import type { RequestContext } from './context.js';
import { ERRORS, OutpostError } from '../../shared/errors.js';

export interface RuntimeSection {
  section: Section;
  instances: PolicyInstance[];
  /** Where each policy was written (for lastError). */
  names: string[];
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

/**
 * A coded error (OutpostError) keeps its code and source, so on-error answers with its status. A
 * policy expression's exception gets APIM's reason, ExpressionValueEvaluationFailure, and its
 * message ("Expression evaluation failed. ..."): what context.LastError shows in APIM.
 */
function policyThrew(section: RuntimeSection, index: number, ctx: RequestContext, err: unknown): Outcome {
  const code = err instanceof OutpostError ? err.code : 'OUTPOST_ERR_POLICY_FAILED';
  const source = ERRORS[code].source;
  const reason = code === 'OUTPOST_ERR_POLICY_FAILED' ? 'PolicyFailed' : code === 'OUTPOST_ERR_EXPRESSION_FAILED' ? 'ExpressionValueEvaluationFailure' : code;
  ctx.fail({
    source: source === 'config' ? 'policy' : source, reason,
    message: err instanceof Error ? err.message : String(err), section: section.section, policy: section.names[index], code,
  });
  return FAIL;
}
