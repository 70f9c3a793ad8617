/**
 * Splits a policy expression (the text inside `@(...)` or `@{...}`) into C# tokens: identifiers
 * and keywords, numbers with their suffixes (int unless written with `.`, an exponent or f/d/m),
 * regular, verbatim (`@"..."`) and interpolated (`$"..{x}.."`, `$@"..."`) strings, char literals
 * and operators. Offsets are 0-based into the source; errors give line and column.
 */
import { CsCompileError } from './cs-error.js';

export type TokKind = 'id' | 'num' | 'str' | 'chr' | 'interp' | 'op' | 'end';

/** A hole of an interpolated string: its expression source and where it starts in the whole source. */
export interface Hole { src: string; at: number; fmt: string | null }

export interface Tok {
  k: TokKind;
  /** Identifier/operator text, a string's decoded value, a number's source. */
  t: string;
  p: number;
  num?: number;
  int?: boolean;
  parts?: Array<string | Hole>;
}

/** Longest first, so `??=` wins over `??` and `?`. No shifts: `>>` would break `List<List<int>>`. */
const OPS = ['??=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=',
  '+', '-', '*', '/', '%', '<', '>', '!', '=', '?', ':', '.', ',', ';', '(', ')', '[', ']', '{', '}', '&', '|', '^', '~'];
const SIMPLE_ESCAPES: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', '0': '\0', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const isIdStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdPart = (c: string) => isIdStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';

export function lex(src: string, base = 0, whole = src): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = (at: number, problem: string): never => { throw new CsCompileError(whole, base + at, problem); };
  while (i < src.length) {
    const c = src[i];
    const p = base + i;
    // C# whitespace includes the Unicode space separators: documents pasted from web pages carry U+00A0.
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f' || c === '\u00a0' || c === '\ufeff' || (c > '\u1fff' && /\p{Zs}/u.test(c))) { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail(i, 'unterminated comment');
      i = end + 2;
      continue;
    }
    if (c === '$' || (c === '@' && (src[i + 1] === '"' || src[i + 1] === '$'))) {
      const interp = c === '$' || src[i + 1] === '$';
      const verbatim = c === '@' || src[i + 1] === '@';
      const start = i + (interp && verbatim ? 2 : 1);
      if (src[start] !== '"') fail(i, `unexpected character "${c}"`);
      const r = readString(src, start + 1, verbatim, interp, base, whole);
      out.push(interp ? { k: 'interp', t: '', p, parts: r.parts } : { k: 'str', t: r.parts.join(''), p });
      i = r.end;
      continue;
    }
    if (c === '"') {
      const r = readString(src, i + 1, false, false, base, whole);
      out.push({ k: 'str', t: r.parts.join(''), p });
      i = r.end;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let ch: string;
      const escaped = src[j] === '\\';
      if (escaped) { const e = readEscape(src, j, base, whole); ch = e.ch; j = e.end; } else { ch = src[j] ?? ''; j++; }
      if (ch === '' || (!escaped && ch === '\n') || src[j] !== "'") fail(i, 'a char literal holds exactly one character');
      out.push({ k: 'chr', t: ch, p });
      i = j + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) { i = readNumber(src, i, out, base, whole); continue; }
    if (isIdStart(c) || (c === '@' && isIdStart(src[i + 1] ?? ''))) {
      let j = c === '@' ? i + 1 : i;
      while (j < src.length && isIdPart(src[j])) j++;
      out.push({ k: 'id', t: src.slice(c === '@' ? i + 1 : i, j), p });
      i = j;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) fail(i, `unexpected character "${c}"`);
    // `a ?.5 : b` is a conditional with a number, not a null-conditional member.
    const text = op === '?.' && isDigit(src[i + 2] ?? '') ? '?' : op!;
    out.push({ k: 'op', t: text, p });
    i += text.length;
  }
  out.push({ k: 'end', t: '', p: base + src.length });
  return out;
}

function readNumber(src: string, i: number, out: Tok[], base: number, whole: string): number {
  const p = base + i;
  let j = i;
  let isInt = true;
  let value: number;
  if (src[j] === '0' && (src[j + 1] === 'x' || src[j + 1] === 'X')) {
    j += 2;
    const s = j;
    while (j < src.length && /[0-9a-fA-F_]/.test(src[j])) j++;
    value = parseInt(src.slice(s, j).replace(/_/g, ''), 16);
  } else {
    while (j < src.length && (isDigit(src[j]) || src[j] === '_')) j++;
    if (src[j] === '.' && isDigit(src[j + 1] ?? '')) { isInt = false; j++; while (j < src.length && isDigit(src[j])) j++; }
    if (src[j] === 'e' || src[j] === 'E') {
      const k = src[j + 1] === '+' || src[j + 1] === '-' ? j + 2 : j + 1;
      if (isDigit(src[k] ?? '')) { isInt = false; j = k; while (j < src.length && isDigit(src[j])) j++; }
    }
    value = Number(src.slice(i, j).replace(/_/g, ''));
  }
  const suffix = /^(ul|lu|UL|LU|Ul|uL|Lu|lU|[uUlLfFdDmM])/.exec(src.slice(j, j + 2));
  if (suffix) { if (/[fFdDmM]/.test(suffix[0])) isInt = false; j += suffix[0].length; }
  if (isIdPart(src[j] ?? '')) throw new CsCompileError(whole, base + j, `unexpected "${src[j]}" after a number`);
  if (!Number.isFinite(value)) throw new CsCompileError(whole, p, 'number out of range');
  out.push({ k: 'num', t: src.slice(i, j), p, num: value, int: isInt });
  return j;
}

function readEscape(src: string, j: number, base: number, whole: string): { ch: string; end: number } {
  const e = src[j + 1];
  if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) return { ch: SIMPLE_ESCAPES[e], end: j + 2 };
  if (e === 'u' || e === 'x') {
    const m = /^[0-9a-fA-F]{1,4}/.exec(src.slice(j + 2, j + 6));
    if (m && (e === 'x' || m[0].length === 4)) return { ch: String.fromCharCode(parseInt(m[0], 16)), end: j + 2 + m[0].length };
  }
  throw new CsCompileError(whole, base + j, `unknown escape "\\${e ?? ''}"`);
}

/** Reads a string body from `i` (after the opening quote) to its closing quote. */
function readString(src: string, i: number, verbatim: boolean, interp: boolean, base: number, whole: string): { parts: Array<string | Hole>; end: number } {
  const parts: Array<string | Hole> = [];
  let text = '';
  const open = i - 1;
  for (;;) {
    if (i >= src.length) throw new CsCompileError(whole, base + open, 'unterminated string');
    const c = src[i];
    if (c === '"') {
      if (verbatim && src[i + 1] === '"') { text += '"'; i += 2; continue; }
      i++;
      break;
    }
    if (!verbatim && c === '\n') throw new CsCompileError(whole, base + open, 'unterminated string (a newline needs @"..." or \\n)');
    if (!verbatim && c === '\\') { const e = readEscape(src, i, base, whole); text += e.ch; i = e.end; continue; }
    if (interp && (c === '{' || c === '}')) {
      if (src[i + 1] === c) { text += c; i += 2; continue; }
      if (c === '}') throw new CsCompileError(whole, base + i, 'unmatched "}" in an interpolated string (write "}}")');
      const end = holeEnd(src, i + 1, base, whole);
      if (text !== '') parts.push(text);
      text = '';
      const inner = src.slice(i + 1, end);
      const colon = topLevelColon(inner);
      parts.push({ src: colon < 0 ? inner : inner.slice(0, colon), at: base + i + 1, fmt: colon < 0 ? null : inner.slice(colon + 1) });
      i = end + 1;
      continue;
    }
    text += c;
    i++;
  }
  if (text !== '' || parts.length === 0) parts.push(text);
  return { parts, end: i };
}

/** The index of the `}` closing a hole that starts at `i`, skipping nested strings and brackets. */
function holeEnd(src: string, i: number, base: number, whole: string): number {
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') { i = skipQuoted(src, i, base, whole); continue; }
    if (c === "'") { i = src[i + 1] === '\\' ? src.indexOf("'", i + 3) + 1 : i + 3; if (i <= 0) break; continue; }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === '}') { if (depth === 0) return i; depth--; }
    i++;
  }
  throw new CsCompileError(whole, base + i, 'unterminated "{" in an interpolated string');
}

/** Skips a simple "..." string (with escapes) starting at its quote; returns the index after it. */
function skipQuoted(src: string, i: number, base: number, whole: string): number {
  let j = i + 1;
  while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
  if (j >= src.length) throw new CsCompileError(whole, base + i, 'unterminated string');
  return j + 1;
}

/** A `:` that starts a hole's format, outside brackets, strings and the `?:` of a conditional. */
function topLevelColon(s: string): number {
  let depth = 0;
  let ternary = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') { i++; while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1; continue; }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === '?' && depth === 0 && s[i + 1] !== '?' && s[i + 1] !== '.' && s[i - 1] !== '?') ternary++;
    else if (c === ':' && depth === 0) { if (ternary > 0) ternary--; else return i; }
  }
  return -1;
}
