/**
 * Compiles a regex AST into a Thompson NFA program: a flat list of instructions in parallel typed
 * arrays, so the matcher (pike-vm.ts) walks numbers, not objects.
 *
 *   SET k      consume one code unit that is in sets[k], then go on at pc + 1
 *   SPLIT x y  continue at both x and y (alternation, repetition)
 *   JMP x      continue at x
 *   ASSERT k   continue at pc + 1 only if the assertion holds here (^ $ \b \B)
 *   MATCH      the pattern matched
 *   SAVE k     record the position in capture slot k, then go on at pc + 1 (only in a program
 *              compiled with captures, for Regex.Match's groups: pike-captures.ts)
 *
 * A bounded repeat `x{n,m}` is n copies of x then m - n optional ones, so the program can grow
 * with counts: it is capped at MAX_REGEX_STATES instructions, a compile error past that.
 */
import { CharMatcher } from './char-set.js';
import { RegexSyntaxError, type RegexNode } from './regex-parse.js';

export const MAX_REGEX_STATES = 2048;

export const OP_SET = 0;
export const OP_SPLIT = 1;
export const OP_JMP = 2;
export const OP_ASSERT = 3;
export const OP_MATCH = 4;
export const OP_SAVE = 5;

export const ASSERT_START = 0;
export const ASSERT_END = 1;
export const ASSERT_WORD = 2;
export const ASSERT_NOT_WORD = 3;

const ASSERT_KIND = { start: ASSERT_START, end: ASSERT_END, word: ASSERT_WORD, notWord: ASSERT_NOT_WORD } as const;

export interface RegexProgram {
  op: Uint8Array;
  /** SET: set index; SPLIT, JMP: first target; ASSERT: kind. */
  a: Int32Array;
  /** SPLIT: second target. */
  b: Int32Array;
  sets: CharMatcher[];
  /** The pattern starts with ^: no thread can start after position 0. */
  anchored: boolean;
}

/**
 * With `captures`, each group (slot s) is wrapped in SAVE 2s / SAVE 2s+1 and the whole match in
 * SAVE 0 / SAVE 1, and a lazy repeat prefers leaving to looping (the SPLIT's order is the
 * thread priority the capturing VM keeps). Without, groups and laziness vanish: the yes/no
 * matcher runs the same program as before captures existed.
 */
export function compileProgram(root: RegexNode, captures = false): RegexProgram {
  const op: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const sets: CharMatcher[] = [];
  const setIndex = new Map<RegexNode, number>();

  const emit = (code: number, x = 0, y = 0): number => {
    if (op.length >= MAX_REGEX_STATES) throw new RegexSyntaxError(0, `the pattern expands to more than ${MAX_REGEX_STATES} states (lower the {n,m} counts)`);
    op.push(code); a.push(x); b.push(y);
    return op.length - 1;
  };

  const gen = (node: RegexNode): void => {
    switch (node.t) {
      case 'set': {
        // Copies of one repeated atom share its matcher.
        let k = setIndex.get(node);
        if (k === undefined) { k = sets.length; sets.push(new CharMatcher(node.ranges)); setIndex.set(node, k); }
        emit(OP_SET, k);
        return;
      }
      case 'assert': emit(OP_ASSERT, ASSERT_KIND[node.kind]); return;
      case 'group':
        if (captures) emit(OP_SAVE, 2 * node.slot);
        gen(node.node);
        if (captures) emit(OP_SAVE, 2 * node.slot + 1);
        return;
      case 'seq': for (const item of node.items) gen(item); return;
      case 'alt': {
        const jumps: number[] = [];
        node.alts.forEach((alt, i) => {
          if (i === node.alts.length - 1) { gen(alt); return; }
          const split = emit(OP_SPLIT);
          a[split] = op.length;
          gen(alt);
          jumps.push(emit(OP_JMP));
          b[split] = op.length;
        });
        for (const j of jumps) a[j] = op.length;
        return;
      }
      case 'repeat': {
        for (let i = 0; i < node.min; i++) gen(node.node);
        const lazy = captures && node.lazy === true;
        if (node.max === -1) {
          const split = emit(OP_SPLIT);
          a[split] = op.length;
          gen(node.node);
          emit(OP_JMP, split);
          b[split] = op.length;
          if (lazy) { b[split] = a[split]; a[split] = op.length; }
          return;
        }
        const skips: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = emit(OP_SPLIT);
          a[split] = op.length;
          skips.push(split);
          gen(node.node);
        }
        for (const s of skips) { if (lazy) { b[s] = a[s]; a[s] = op.length; } else b[s] = op.length; }
        return;
      }
    }
  };

  if (captures) emit(OP_SAVE, 0);
  gen(root);
  if (captures) emit(OP_SAVE, 1);
  emit(OP_MATCH);
  const first = captures ? 1 : 0;
  const anchored = op[first] === OP_ASSERT && a[first] === ASSERT_START;
  return { op: Uint8Array.from(op), a: Int32Array.from(a), b: Int32Array.from(b), sets, anchored };
}
