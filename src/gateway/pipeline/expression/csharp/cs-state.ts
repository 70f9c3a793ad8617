/**
 * One evaluation's state: the request, the frame of locals, and the budget. Every node evaluated,
 * loop iteration, lambda call and regex step is counted against MAX_STEPS; every string built is
 * bounded by MAX_STRING. Past either, the evaluation throws OUTPOST_ERR_EXPRESSION_BUDGET and the
 * policy fails to on-error, so no expression can hold a worker or its memory.
 */
import type { RequestContext } from '../../context.js';
import { OutpostError } from '../../../../shared/errors.js';

export const MAX_STEPS = 100_000;
export const MAX_STRING = 1 << 20;
/** Longest collection an expression may build (Split, Select, ToList...). */
export const MAX_ITEMS = 100_000;
/** Deepest recursion of local functions: well within the JS stack each level of the evaluator uses. */
export const MAX_CALL_DEPTH = 100;

export class EvalState {
  steps = 0;
  /** The value of the `return` that ended a block. */
  ret: unknown = null;
  /** Local function calls in progress (recursion is bounded by MAX_CALL_DEPTH as well as the steps). */
  depth = 0;
  constructor(readonly ctx: RequestContext, readonly slots: unknown[], readonly budget = MAX_STEPS) {}

  /** Counts `n` steps; throws past the budget. */
  step(n = 1): void {
    if ((this.steps += n) > this.budget) throw budgetError(`took more than ${this.budget} steps`);
  }

  /** Returns `s` if within the string bound, counting its length in steps per 1 KiB. */
  str(s: string): string {
    if (s.length > MAX_STRING) throw budgetError(`built a string longer than ${MAX_STRING} characters`);
    if (s.length > 1024) this.step(s.length >> 10);
    return s;
  }

  items<T>(list: T[]): T[] {
    if (list.length > MAX_ITEMS) throw budgetError(`built a collection of more than ${MAX_ITEMS} items`);
    this.step(list.length >> 4);
    return list;
  }
}

export function budgetError(what: string): OutpostError {
  return new OutpostError('OUTPOST_ERR_EXPRESSION_BUDGET', `a policy expression ${what}`);
}
