/** An `out` argument at run time: where the called method writes its second result. */
import type { EvalState } from './cs-state.js';

export class OutRef {
  constructor(private readonly st: EvalState, private readonly slot: number) {}
  set(v: unknown): void { this.st.slots[this.slot] = v; }
}

/** Writes `v` through `arg` when it is an out argument (a method called without one just returns). */
export function writeOut(arg: unknown, v: unknown): void {
  if (arg instanceof OutRef) arg.set(v);
}
