/**
 * Parses the regex subset of `matches()` (README, "Conditions") into a plain AST. The syntax is
 * JavaScript's (no `u` flag) minus what needs backtracking or is easy to misread:
 *
 *   literals, `.`, `[…]` / `[^…]` with ranges, `\d \D \w \W \s \S`, `\t \n \v \f \r \0`,
 *   `\xHH`, `\uHHHH`, `\cX`, `\` before punctuation, `^ $ \b \B`, `( )`, `(?: )`,
 *   `(?<name> )`, `|`, `* + ? {n} {n,} {n,m}` (a trailing `?`, lazy, changes nothing for a
 *   yes/no match).
 *
 * Refused, each with a RegexSyntaxError naming the construct: backreferences (`\1`, `\k<n>`),
 * lookahead and lookbehind, Unicode property escapes, unknown letter escapes, a `{` that is not
 * a quantifier, and counts above MAX_REPEAT. Groups and laziness change nothing for the yes/no
 * matcher; parseRegexGroups numbers the groups (as .NET does) for the capturing one
 * (pike-captures.ts) behind C#'s Regex.Match.
 */
import { caseClosure, complement, DIGIT, LINE_TERMINATORS, normalize, SPACE, WORD, type Ranges } from './char-set.js';

export const MAX_REPEAT = 1000;

export type RegexNode =
  | { t: 'set'; ranges: Ranges }
  | { t: 'seq'; items: RegexNode[] }
  | { t: 'alt'; alts: RegexNode[] }
  | { t: 'repeat'; node: RegexNode; min: number; max: number /* -1: unbounded */; lazy?: boolean }
  /** A capturing group: `slot` is its order of appearance (1-based); RegexGroups maps it to .NET's number and name. */
  | { t: 'group'; slot: number; node: RegexNode }
  | { t: 'assert'; kind: 'start' | 'end' | 'word' | 'notWord' };

/** A pattern the engine does not accept; `index` is 0-based in the pattern. */
export class RegexSyntaxError extends Error {
  constructor(readonly index: number, readonly problem: string, readonly unsupported = false) {
    super(`${problem} (at pattern character ${index + 1})`);
    this.name = 'RegexSyntaxError';
  }
}

const CLASS_ESCAPES: Record<string, Ranges> = {
  d: DIGIT, D: complement(DIGIT), w: WORD, W: complement(WORD), s: SPACE, S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };

export function parseRegex(source: string, ignoreCase: boolean): RegexNode {
  return new RegexParser(source, ignoreCase).parse();
}

/**
 * The capturing groups of a pattern, as .NET numbers them: unnamed groups 1, 2... in the order
 * of their "(", then the named ones after them in order of appearance (a name used twice is one
 * group). `numberOfSlot[s]` is the .NET number of the group that appeared s-th.
 */
export interface RegexGroups { count: number; numberOfSlot: number[]; names: Map<string, number> }

export function parseRegexGroups(source: string, ignoreCase: boolean): { root: RegexNode; groups: RegexGroups } {
  const p = new RegexParser(source, ignoreCase);
  const root = p.parse();
  const unnamed = p.slotNames.filter((n) => n === null).length;
  const names = new Map<string, number>();
  const numberOfSlot = [0];
  let next = unnamed + 1;
  let plain = 1;
  for (const name of p.slotNames) {
    if (name === null) { numberOfSlot.push(plain++); continue; }
    let n = names.get(name);
    if (n === undefined) { n = next++; names.set(name, n); }
    numberOfSlot.push(n);
  }
  return { root, groups: { count: next, numberOfSlot, names } };
}

class RegexParser {
  private i = 0;
  /** Each capturing group's name (null: unnamed), in order of appearance. */
  readonly slotNames: Array<string | null> = [];
  constructor(private readonly s: string, private readonly ignoreCase: boolean) {}

  parse(): RegexNode {
    const node = this.disjunction();
    if (this.i < this.s.length) throw new RegexSyntaxError(this.i, 'unmatched ")"');
    return node;
  }

  private disjunction(): RegexNode {
    const alts = [this.alternative()];
    while (this.s[this.i] === '|') { this.i++; alts.push(this.alternative()); }
    return alts.length === 1 ? alts[0] : { t: 'alt', alts };
  }

  private alternative(): RegexNode {
    const items: RegexNode[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') items.push(this.term());
    return items.length === 1 ? items[0] : { t: 'seq', items };
  }

  private term(): RegexNode {
    const start = this.i;
    const c = this.s[this.i];
    let atom: RegexNode;
    if (c === '^' || c === '$') { this.i++; atom = { t: 'assert', kind: c === '^' ? 'start' : 'end' }; }
    else if (c === '\\' && (this.s[this.i + 1] === 'b' || this.s[this.i + 1] === 'B')) {
      atom = { t: 'assert', kind: this.s[this.i + 1] === 'b' ? 'word' : 'notWord' };
      this.i += 2;
    } else atom = this.atom();
    const q = this.quantifier();
    if (q === null) return atom;
    // A bare anchor cannot be repeated (a group holding one can, as in JavaScript).
    if (atom.t === 'assert' && this.s[start] !== '(') throw new RegexSyntaxError(start, 'nothing to repeat: an anchor or \\b cannot take a quantifier');
    if (this.isQuantifierStart()) throw new RegexSyntaxError(this.i, 'nothing to repeat: two quantifiers in a row');
    return q.lazy ? { t: 'repeat', node: atom, min: q.min, max: q.max, lazy: true } : { t: 'repeat', node: atom, min: q.min, max: q.max };
  }

  private atom(): RegexNode {
    const at = this.i;
    const c = this.s[this.i++];
    switch (c) {
      case '.': return { t: 'set', ranges: complement(LINE_TERMINATORS) };
      case '[': return this.set(this.charClass(), true);
      case '(': return this.group(at);
      case '\\': return this.set(this.escape(false));
      case '*': case '+': case '?': throw new RegexSyntaxError(at, `nothing to repeat before "${c}"`);
      case '{': throw new RegexSyntaxError(at, this.isBraceQuantifier(at) ? 'nothing to repeat before "{"' : 'a literal "{" must be written \\{');
      default: return this.set([c.charCodeAt(0), c.charCodeAt(0)]);
    }
  }

  /** A consuming atom's set, closed under case equivalence with the `i` flag. */
  private set(ranges: Ranges, closed = false): RegexNode {
    return { t: 'set', ranges: this.ignoreCase && !closed ? caseClosure(ranges) : ranges };
  }

  private group(at: number): RegexNode {
    let capture = true;
    let name: string | null = null;
    if (this.s[this.i] === '?') {
      const rest = this.s.slice(this.i + 1, this.i + 3);
      capture = false;
      if (rest.startsWith(':')) this.i += 2;
      else if (rest.startsWith('=') || rest.startsWith('!')) throw new RegexSyntaxError(at, `lookahead (?${rest[0]}…) is not supported`, true);
      else if (rest === '<=' || rest === '<!') throw new RegexSyntaxError(at, `lookbehind (?${rest}…) is not supported`, true);
      else if (rest.startsWith('<')) {
        const m = /^<([A-Za-z_$][A-Za-z0-9_$]*)>/.exec(this.s.slice(this.i + 1));
        if (m === null) throw new RegexSyntaxError(at, 'invalid group name: (?<name>…) takes letters, digits, _ and $');
        this.i += 1 + m[0].length;
        capture = true;
        name = m[1];
      } else throw new RegexSyntaxError(at, `unknown group syntax "(?${this.s[this.i + 1] ?? ''}"`, true);
    }
    let slot = 0;
    if (capture) { this.slotNames.push(name); slot = this.slotNames.length; }
    const node = this.disjunction();
    if (this.s[this.i] !== ')') throw new RegexSyntaxError(at, 'unterminated group: missing ")"');
    this.i++;
    return capture ? { t: 'group', slot, node } : node;
  }

  private isQuantifierStart(): boolean {
    const c = this.s[this.i];
    return c === '*' || c === '+' || c === '?' || (c === '{' && this.isBraceQuantifier(this.i));
  }

  private isBraceQuantifier(at: number): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.s.slice(at));
  }

  private quantifier(): { min: number; max: number; lazy?: boolean } | null {
    const c = this.s[this.i];
    let q: { min: number; max: number; lazy?: boolean };
    if (c === '*') q = { min: 0, max: -1 };
    else if (c === '+') q = { min: 1, max: -1 };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{' && this.isBraceQuantifier(this.i)) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i))!;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT) throw new RegexSyntaxError(this.i, `a repeat count is at most ${MAX_REPEAT}`);
      if (max !== -1 && max < min) throw new RegexSyntaxError(this.i, 'numbers out of order in {n,m}');
      this.i += m[0].length - 1;
      q = { min, max };
    } else return null;
    this.i++;
    // Lazy: the same yes/no answer; only what a match captures differs.
    if (this.s[this.i] === '?') { this.i++; q.lazy = true; }
    return q;
  }

  /** After `\`: the escaped unit(s) as ranges. Inside a class, `\b` is backspace. */
  private escape(inClass: boolean): Ranges {
    const at = this.i - 1;
    const c = this.s[this.i++];
    if (c === undefined) throw new RegexSyntaxError(at, '"\\" at the end of the pattern');
    const set = CLASS_ESCAPES[c];
    if (set !== undefined) return set;
    const unit = (u: number): Ranges => [u, u];
    if (CONTROL_ESCAPES[c] !== undefined) return unit(CONTROL_ESCAPES[c]);
    if (inClass && c === 'b') return unit(8);
    if (c === '0' && !/[0-9]/.test(this.s[this.i] ?? '')) return unit(0);
    if (c >= '1' && c <= '9') throw new RegexSyntaxError(at, `backreference \\${c} is not supported`, true);
    if (c === '0') throw new RegexSyntaxError(at, 'octal escapes are not supported', true);
    if (c === 'k') throw new RegexSyntaxError(at, 'named backreference \\k<…> is not supported', true);
    if (c === 'p' || c === 'P') throw new RegexSyntaxError(at, `Unicode property escape \\${c}{…} is not supported`, true);
    if (c === 'x' || c === 'u') {
      const len = c === 'x' ? 2 : 4;
      const hex = this.s.slice(this.i, this.i + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new RegexSyntaxError(at, `\\${c} needs ${len} hex digits`);
      this.i += len;
      return unit(parseInt(hex, 16));
    }
    if (c === 'c') {
      const letter = this.s[this.i] ?? '';
      if (!/^[A-Za-z]$/.test(letter)) throw new RegexSyntaxError(at, '\\c needs a letter (\\cA … \\cZ)');
      this.i++;
      return unit(letter.charCodeAt(0) % 32);
    }
    if (/[A-Za-z0-9]/.test(c)) throw new RegexSyntaxError(at, `unknown escape \\${c}`, true);
    return unit(c.charCodeAt(0)); // an escaped punctuation character stands for itself
  }

  /** After `[`: the class's ranges (negated, closed under case when `i`, already). */
  private charClass(): Ranges {
    const at = this.i - 1;
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    const members: Ranges = [];
    for (;;) {
      if (this.i >= this.s.length) throw new RegexSyntaxError(at, 'unterminated character class: missing "]"');
      if (this.s[this.i] === ']') { this.i++; break; }
      const from = this.classAtom();
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length) {
        const dash = this.i++;
        const to = this.classAtom();
        if (from.single === null || to.single === null) throw new RegexSyntaxError(dash, 'a range cannot start or end with \\d, \\w or \\s (write "\\-" for a literal dash)');
        if (to.single < from.single) throw new RegexSyntaxError(dash, 'range out of order in character class');
        members.push(from.single, to.single);
      } else members.push(...from.ranges);
    }
    let ranges = normalize(members);
    if (this.ignoreCase) ranges = caseClosure(ranges);
    return negated ? complement(ranges) : ranges;
  }

  private classAtom(): { ranges: Ranges; single: number | null } {
    const c = this.s[this.i++];
    if (c !== '\\') return { ranges: [c.charCodeAt(0), c.charCodeAt(0)], single: c.charCodeAt(0) };
    if (this.s[this.i] === 'B') throw new RegexSyntaxError(this.i - 1, '\\B has no meaning in a character class');
    const ranges = this.escape(true);
    return { ranges, single: ranges.length === 2 && ranges[0] === ranges[1] ? ranges[0] : null };
  }
}
