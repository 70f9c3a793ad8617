/**
 * The matcher: a Pike VM without captures (matches() only asks yes or no), i.e. a Thompson NFA
 * simulation. All live states advance together one code unit at a time, and a state is entered at
 * most once per position (the `marks`), so a test costs O(input length × program size) whatever
 * the pattern: `(a|a)*c` and `(a+)+b` are as cheap as `a*c`. Nothing backtracks.
 *
 * Every state entered and every unit tested is a step; past `budget` steps in one test the
 * evaluation stops with OUTPOST_ERR_EXPRESSION_BUDGET. `lastSteps` is what the last test cost
 * (tests assert it instead of the clock).
 *
 * One instance per worker per pattern: its work arrays are allocated once and reused (a test is
 * synchronous, so there is no sharing problem).
 */
import { OutpostError } from '../../../../shared/errors.js';
import { isWordUnit } from './char-set.js';
import {
  ASSERT_END, ASSERT_START, ASSERT_WORD, OP_ASSERT, OP_JMP, OP_MATCH, OP_SET, OP_SPLIT, type RegexProgram,
} from './regex-program.js';

export class PikeVm {
  lastSteps = 0;
  private readonly marks: Int32Array;
  private epoch = 0;
  private current: Int32Array;
  private next: Int32Array;
  private readonly stack: Int32Array;

  constructor(private readonly program: RegexProgram, private readonly budget: number) {
    const m = program.op.length;
    this.marks = new Int32Array(m);
    this.current = new Int32Array(m);
    this.next = new Int32Array(m);
    this.stack = new Int32Array(2 * m + 2);
  }

  /** Instructions in the program: a test costs at most (input length + 1) × 2 × states steps (each state entered once per position, each listed state tested once). */
  get states(): number {
    return this.program.op.length;
  }

  /** Whether the pattern matches anywhere in `input` (RegExp.prototype.test without flags g/y). */
  test(input: string): boolean {
    const { op, a, sets, anchored } = this.program;
    const n = input.length;
    // Marks hold the position (offset by epoch) a state was last entered at: no clearing per test.
    if (this.epoch > 0x3fff_ffff - n) { this.marks.fill(0); this.epoch = 0; }
    const base = this.epoch + 1;
    this.epoch += n + 2;
    let steps = 0;
    let count = 0;
    let nextCount = 0;
    let matched = false;

    for (let pos = 0; pos <= n; pos++) {
      if (pos === 0 || !anchored) {
        const added = this.enter(0, pos, base + pos, input, this.current, count);
        if (added < 0) { matched = true; steps += this.lastSteps; break; }
        steps += this.lastSteps;
        count = added;
      }
      // No live thread: an anchored pattern is done; another starts afresh at the next position.
      if (count === 0) { if (anchored) break; continue; }
      const c = pos < n ? input.charCodeAt(pos) : -1;
      nextCount = 0;
      for (let i = 0; i < count; i++) {
        const pc = this.current[i];
        steps++;
        if (op[pc] === OP_SET && c >= 0 && sets[a[pc]].has(c)) {
          const added = this.enter(pc + 1, pos + 1, base + pos + 1, input, this.next, nextCount);
          steps += this.lastSteps;
          if (added < 0) { matched = true; break; }
          nextCount = added;
        }
      }
      if (matched) break;
      if (steps > this.budget) { this.lastSteps = steps; throw new OutpostError('OUTPOST_ERR_EXPRESSION_BUDGET'); }
      const t = this.current; this.current = this.next; this.next = t;
      count = nextCount;
    }
    this.lastSteps = steps;
    return matched;
  }

  /**
   * Adds `start` and every state reachable from it without consuming (JMP, SPLIT, ASSERTs that
   * hold at `pos`) to `list`; returns the new count, or -1 when MATCH is reachable. Sets
   * this.lastSteps to the number of states entered.
   */
  private enter(start: number, pos: number, mark: number, input: string, list: Int32Array, count: number): number {
    const { op, a, b } = this.program;
    const marks = this.marks;
    const stack = this.stack;
    let top = 0;
    let steps = 0;
    stack[top++] = start;
    while (top > 0) {
      const pc = stack[--top];
      if (marks[pc] === mark) continue;
      marks[pc] = mark;
      steps++;
      switch (op[pc]) {
        case OP_MATCH: this.lastSteps = steps; return -1;
        case OP_SET: list[count++] = pc; break;
        case OP_JMP: stack[top++] = a[pc]; break;
        case OP_SPLIT: stack[top++] = b[pc]; stack[top++] = a[pc]; break;
        case OP_ASSERT: if (holds(a[pc], input, pos)) stack[top++] = pc + 1; break;
      }
    }
    this.lastSteps = steps;
    return count;
  }
}

function holds(kind: number, input: string, pos: number): boolean {
  if (kind === ASSERT_START) return pos === 0;
  if (kind === ASSERT_END) return pos === input.length;
  const before = pos > 0 && isWordUnit(input.charCodeAt(pos - 1));
  const after = pos < input.length && isWordUnit(input.charCodeAt(pos));
  return kind === ASSERT_WORD ? before !== after : before === after;
}
