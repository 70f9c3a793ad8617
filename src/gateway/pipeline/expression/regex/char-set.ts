/**
 * Sets of UTF-16 code units for the regex engine, as sorted, merged inclusive ranges
 * `[lo0, hi0, lo1, hi1, …]`. Every atom that consumes a character (a literal, `.`, `\d`, a class)
 * becomes one set, built at compile time, so matching a character is one membership test.
 *
 * Semantics are JavaScript's without the `u` flag: code units, not code points. With the `i`
 * flag a set is closed under JavaScript's case equivalence (ES2023 §22.2.2.7.3 Canonicalize:
 * two units are equivalent when they uppercase to the same single unit, except that a non-ASCII
 * unit never becomes equivalent to an ASCII one), so `[a-z]` with `i` also holds `A-Z`, and a
 * negated class is negated after closing, as the spec does.
 */
export type Ranges = number[];

export const MAX_UNIT = 0xffff;

export const DIGIT: Ranges = [0x30, 0x39];
export const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
/** JavaScript's \s: WhiteSpace and LineTerminator. */
export const SPACE: Ranges = normalize([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f,
  0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
]);
/** What `.` does not match (no `s` flag): the line terminators. */
export const LINE_TERMINATORS: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

/** Sorts and merges (overlapping or adjacent) ranges. */
export function normalize(ranges: Ranges): Ranges {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i], ranges[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) out[n - 1] = Math.max(out[n - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

/** Every unit not in `ranges` (which must be normalized). */
export function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i] > next) out.push(next, ranges[i] - 1);
    next = ranges[i + 1] + 1;
  }
  if (next <= MAX_UNIT) out.push(next, MAX_UNIT);
  return out;
}

/** Units with at least one case-equivalent other unit, and those others. Built once, on first use. */
let equivalents: Map<number, number[]> | null = null;

function caseEquivalents(): Map<number, number[]> {
  if (equivalents !== null) return equivalents;
  const byCanon = new Map<number, number[]>();
  for (let c = 0; c <= MAX_UNIT; c++) {
    const canon = canonicalize(c);
    const list = byCanon.get(canon);
    if (list === undefined) byCanon.set(canon, [c]);
    else list.push(c);
  }
  equivalents = new Map();
  for (const list of byCanon.values()) {
    if (list.length < 2) continue;
    for (const c of list) equivalents.set(c, list.filter((d) => d !== c));
  }
  return equivalents;
}

function canonicalize(c: number): number {
  const upper = String.fromCharCode(c).toUpperCase();
  if (upper.length !== 1) return c;
  const u = upper.charCodeAt(0);
  return c >= 128 && u < 128 ? c : u;
}

/** `ranges` plus every unit case-equivalent to one of its units (the `i` flag). */
export function caseClosure(ranges: Ranges): Ranges {
  const eq = caseEquivalents();
  const added: Ranges = [];
  for (let i = 0; i < ranges.length; i += 2) {
    for (let c = ranges[i]; c <= ranges[i + 1]; c++) {
      const others = eq.get(c);
      if (others !== undefined) for (const d of others) added.push(d, d);
    }
  }
  return added.length === 0 ? ranges : normalize([...ranges, ...added]);
}

/**
 * A membership test over normalized ranges: a 128-bit table for ASCII (the usual input), a
 * binary search above it.
 */
export class CharMatcher {
  private readonly ascii = new Uint32Array(4);
  private readonly wide: Int32Array;

  constructor(ranges: Ranges) {
    const wide: number[] = [];
    for (let i = 0; i < ranges.length; i += 2) {
      const lo = ranges[i];
      const hi = ranges[i + 1];
      for (let c = lo; c <= Math.min(hi, 127); c++) this.ascii[c >> 5] |= 1 << (c & 31);
      if (hi >= 128) wide.push(Math.max(lo, 128), hi);
    }
    this.wide = Int32Array.from(wide);
  }

  has(c: number): boolean {
    if (c < 128) return (this.ascii[c >> 5] & (1 << (c & 31))) !== 0;
    const w = this.wide;
    let lo = 0;
    let hi = (w.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (c < w[mid * 2]) hi = mid - 1;
      else if (c > w[mid * 2 + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

export function isWordUnit(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}
