/**
 * The capturing matcher behind Regex.Match: a Pike VM whose threads carry their capture slots,
 * kept in priority order, so the match found is the one .NET's backtracking engine finds
 * (leftmost, then the first alternative and greedy or lazy repeats as written), and so are its
 * groups. Still linear: each state is entered at most once per position, every state entered
 * and unit tested is a step, and past `budget` steps the evaluation stops with
 * OUTPOST_ERR_EXPRESSION_BUDGET.
 *
 * Each thread also carries the history of its completed group captures (a shared linked list),
 * which is Group.Captures: every iteration of a repeated group, not only the last.
 */
import { OutpostError } from '../../../../shared/errors.js';
import { isWordUnit } from './char-set.js';
import {
  ASSERT_END, ASSERT_START, ASSERT_WORD, OP_ASSERT, OP_JMP, OP_MATCH, OP_SAVE, OP_SET, OP_SPLIT, compileProgram, type RegexProgram,
} from './regex-program.js';
import { parseRegexGroups, type RegexGroups } from './regex-parse.js';
import { MAX_PATTERN, MAX_REGEX_STEPS } from '../ast.js';
import { RegexSyntaxError } from './regex-parse.js';

/** A completed capture of group slot `slot`, linked to the thread's earlier ones. */
export interface CaptureHistory { readonly slot: number; readonly start: number; readonly end: number; readonly prev: CaptureHistory | null }

/** A match: slot positions (2s, 2s+1 for slot s; -1 when the group did not take part) and the capture history. */
export interface CaptureResult { readonly caps: Int32Array; readonly history: CaptureHistory | null }

interface Thread { pc: number; caps: Int32Array; history: CaptureHistory | null }

export class CaptureVm {
  lastSteps = 0;
  private readonly marks: Int32Array;
  private epoch = 0;
  private readonly slots: number;

  constructor(private readonly program: RegexProgram, readonly groups: RegexGroups, private readonly budget: number) {
    this.marks = new Int32Array(program.op.length);
    this.slots = 2 * (groups.numberOfSlot.length);
  }

  /** The first match starting at or after `from`, or null. */
  exec(input: string, from = 0): CaptureResult | null {
    const { op, a, sets, anchored } = this.program;
    const n = input.length;
    if (this.epoch > 0x3fff_ffff - n) { this.marks.fill(0); this.epoch = 0; }
    const base = this.epoch + 1;
    this.epoch += n + 2;
    this.lastSteps = 0;
    let current: Thread[] = [];
    let matched: CaptureResult | null = null;
    for (let pos = from; pos <= n; pos++) {
      // A new thread starts here, behind every older one (leftmost wins), until something matched.
      if (matched === null && (!anchored || pos === 0)) {
        const caps = new Int32Array(this.slots).fill(-1);
        this.add(current, 0, pos, base + pos, input, caps, null);
      }
      if (current.length === 0) { if (matched !== null || anchored) break; continue; }
      const c = pos < n ? input.charCodeAt(pos) : -1;
      const next: Thread[] = [];
      for (const t of current) {
        this.lastSteps++;
        if (op[t.pc] === OP_MATCH) { matched = { caps: t.caps, history: t.history }; break; } // lower-priority threads die
        if (op[t.pc] === OP_SET && c >= 0 && sets[a[t.pc]].has(c)) this.add(next, t.pc + 1, pos + 1, base + pos + 1, input, t.caps, t.history);
      }
      if (this.lastSteps > this.budget) throw new OutpostError('OUTPOST_ERR_EXPRESSION_BUDGET');
      current = next;
    }
    return matched;
  }

  /** Follows JMP, SPLIT (first branch first), SAVE and ASSERT from `start`, appending SET and MATCH threads in priority order. */
  private add(list: Thread[], start: number, pos: number, mark: number, input: string, caps0: Int32Array, hist0: CaptureHistory | null): void {
    const { op, a, b } = this.program;
    const stack: Thread[] = [{ pc: start, caps: caps0, history: hist0 }];
    while (stack.length > 0) {
      const { pc, caps, history } = stack.pop()!;
      if (this.marks[pc] === mark) continue;
      this.marks[pc] = mark;
      this.lastSteps++;
      switch (op[pc]) {
        case OP_MATCH: case OP_SET: list.push({ pc, caps, history }); break;
        case OP_JMP: stack.push({ pc: a[pc], caps, history }); break;
        case OP_SPLIT: stack.push({ pc: b[pc], caps, history }, { pc: a[pc], caps, history }); break;
        case OP_ASSERT: if (holds(a[pc], input, pos)) stack.push({ pc: pc + 1, caps, history }); break;
        case OP_SAVE: {
          const k = a[pc];
          const copy = caps.slice();
          copy[k] = pos;
          const slot = k >> 1;
          const h = (k & 1) === 1 && slot > 0 ? { slot, start: copy[k - 1], end: pos, prev: history } : history;
          stack.push({ pc: pc + 1, caps: copy, history: h });
          break;
        }
      }
    }
  }
}

function holds(kind: number, input: string, pos: number): boolean {
  if (kind === ASSERT_START) return pos === 0;
  if (kind === ASSERT_END) return pos === input.length;
  const before = pos > 0 && isWordUnit(input.charCodeAt(pos - 1));
  const after = pos < input.length && isWordUnit(input.charCodeAt(pos));
  return kind === ASSERT_WORD ? before !== after : before === after;
}

/** Compiles `source` for Regex.Match (flags '' or 'i'); throws RegexSyntaxError as compileRegex does. */
export function compileCaptureRegex(source: string, flags: string, budget = MAX_REGEX_STEPS): CaptureVm {
  if (source.length > MAX_PATTERN) throw new RegexSyntaxError(MAX_PATTERN, `a pattern is at most ${MAX_PATTERN} characters`);
  const { root, groups } = parseRegexGroups(source, flags === 'i');
  return new CaptureVm(compileProgram(root, true), groups, budget);
}
