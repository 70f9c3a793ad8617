/**
 * A cheap compile-time screen for regexes that can backtrack catastrophically. V8's engine
 * backtracks; on a worker thread one bad pattern against a crafted header would stall every
 * request on that thread. This rejects the shapes that cause it in practice:
 * - a group that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and itself contains a quantifier,
 *   at any depth: `(a+)+`, `(\w+\s?)*`, `((ab)*c){2,}`;
 * - backreferences (`\1`, `\k<name>`), which make matching NP-hard.
 * It is a heuristic (overlapping alternations such as `(a|a)*` pass); the input length cap
 * (MAX_MATCH_INPUT) bounds what is left.
 */
import { MAX_PATTERN } from './ast.js';

const BRACE_QUANTIFIER = /\{(\d+)(,(\d*))?\}/y;

/** Returns why the pattern is refused, or null when it is acceptable. */
export function riskyPattern(source: string): string | null {
  if (source.length > MAX_PATTERN) return `a pattern is at most ${MAX_PATTERN} characters`;
  // One entry per open group: whether anything inside it is quantified. [0] is the whole pattern.
  const quantified: boolean[] = [false];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      const d = source[i + 1] ?? '';
      if ((d >= '1' && d <= '9') || (d === 'k' && source[i + 2] === '<')) return 'backreferences are not allowed';
      i += 2;
    } else if (c === '[') {
      i = classEnd(source, i + 1);
    } else if (c === '(') {
      quantified.push(false);
      i++;
      continue;
    } else if (c === ')') {
      const inner = quantified.length > 1 ? quantified.pop()! : false;
      i++;
      const q = quantifierAt(source, i);
      if (q.repeats && inner) return `a repeated group contains a quantifier (nested quantifiers can backtrack catastrophically), at character ${i}`;
      quantified[quantified.length - 1] ||= inner || q.length > 0;
      i += q.length;
      continue;
    } else {
      i++;
    }
    // After an atom: a quantifier on it marks the enclosing group.
    const q = quantifierAt(source, i);
    if (q.length > 0) quantified[quantified.length - 1] = true;
    i += q.length;
  }
  return null;
}

/** The quantifier at `i` (with a lazy `?`), its length (0 when none) and whether it repeats. */
function quantifierAt(source: string, i: number): { length: number; repeats: boolean } {
  const c = source[i];
  let length = 0;
  let repeats = false;
  if (c === '*' || c === '+') { length = 1; repeats = true; } else if (c === '?') { length = 1; } else if (c === '{') {
    BRACE_QUANTIFIER.lastIndex = i;
    const m = BRACE_QUANTIFIER.exec(source);
    if (m) {
      length = m[0].length;
      repeats = m[2] === undefined ? Number(m[1]) > 1 : m[3] === '' || Number(m[3]) > 1;
    }
  }
  if (length > 0 && source[i + length] === '?') length++;
  return { length, repeats };
}

/** Index just past the `]` closing a character class that starts at `i` (after the `[`). */
function classEnd(source: string, i: number): number {
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}
