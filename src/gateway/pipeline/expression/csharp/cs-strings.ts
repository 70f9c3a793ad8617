/**
 * System.String's instance methods, and APIM's string extensions AsJwt, TryParseJwt, AsBasic,
 * TryParseBasic. Comparison arguments (StringComparison.OrdinalIgnoreCase...) are numbers from
 * cs-statics.ts: odd values ignore case, as .NET's enum does.
 */
import { Buffer } from 'node:buffer';
import { declareMembers } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { NO_MEMBER } from './cs-view.js';
import { csString } from './cs-convert.js';
import { argumentError } from './cs-error.js';
import { BasicCredentials, Jwt } from './cs-values.js';
import { writeOut } from './cs-out.js';

declareMembers(['Length', 'Contains', 'StartsWith', 'EndsWith', 'Substring', 'IndexOf', 'LastIndexOf', 'Replace', 'Split', 'ToLower',
  'ToUpper', 'ToLowerInvariant', 'ToUpperInvariant', 'Trim', 'TrimStart', 'TrimEnd', 'Equals', 'PadLeft', 'PadRight', 'Insert', 'Remove',
  'ToCharArray', 'CompareTo', 'AsJwt', 'TryParseJwt', 'AsBasic', 'TryParseBasic', 'ToString', 'IndexOfAny', 'Chars']);

const ignoreCase = (cmp: unknown): boolean => typeof cmp === 'number' && cmp % 2 === 1;
const fold = (s: string, ic: boolean): string => (ic ? s.toLowerCase() : s);
const str = (v: unknown): string => (typeof v === 'string' ? v : csString(v));

function outOfRange(what: string): Error {
  return argumentError(`${what} is out of range (ArgumentOutOfRangeException).`);
}

export function stringProp(s: string, name: string): unknown {
  return name === 'Length' ? s.length : NO_MEMBER;
}

export function stringMethod(s: string, name: string, args: unknown[], st: EvalState): unknown {
  const [a, b, c] = args;
  switch (name) {
    case 'Contains': { const ic = ignoreCase(b); return fold(s, ic).includes(fold(str(a), ic)); }
    case 'StartsWith': { const ic = ignoreCase(b); return fold(s, ic).startsWith(fold(str(a), ic)); }
    case 'EndsWith': { const ic = ignoreCase(b); return fold(s, ic).endsWith(fold(str(a), ic)); }
    case 'Equals': return a !== null && typeof a === 'string' && fold(s, ignoreCase(b)) === fold(a, ignoreCase(b));
    case 'CompareTo': return s < str(a) ? -1 : s > str(a) ? 1 : 0;
    case 'Substring': {
      const start = Number(a);
      const len = b === undefined ? s.length - start : Number(b);
      if (start < 0 || start > s.length || len < 0 || start + len > s.length) throw outOfRange('startIndex or length');
      return s.substr(start, len);
    }
    case 'IndexOf': case 'LastIndexOf': {
      const from = typeof b === 'number' ? b : undefined;
      const ic = ignoreCase(typeof b === 'number' ? c : b);
      const hay = fold(s, ic);
      const needle = fold(str(a), ic);
      return name === 'IndexOf' ? hay.indexOf(needle, from) : hay.lastIndexOf(needle, from);
    }
    case 'IndexOfAny': { const set = Array.isArray(a) ? a.map(str) : []; for (let i = 0; i < s.length; i++) if (set.includes(s[i])) return i; return -1; }
    case 'Replace': {
      const from = str(a);
      if (from === '') throw argumentError('String cannot be of zero length (Replace).');
      return st.str(s.split(from).join(b === null ? '' : str(b)));
    }
    case 'Split': return split(s, args, st);
    case 'ToLower': case 'ToLowerInvariant': return s.toLowerCase();
    case 'ToUpper': case 'ToUpperInvariant': return s.toUpperCase();
    case 'Trim': case 'TrimStart': case 'TrimEnd': return trim(s, name, args);
    case 'PadLeft': case 'PadRight': {
      const width = Number(a);
      if (width > 65_536) throw outOfRange('totalWidth');
      return name === 'PadLeft' ? s.padStart(width, b === undefined ? ' ' : str(b)) : s.padEnd(width, b === undefined ? ' ' : str(b));
    }
    case 'Insert': { const i = Number(a); if (i < 0 || i > s.length) throw outOfRange('startIndex'); return st.str(s.slice(0, i) + str(b) + s.slice(i)); }
    case 'Remove': {
      const i = Number(a);
      const n = b === undefined ? s.length - i : Number(b);
      if (i < 0 || n < 0 || i + n > s.length) throw outOfRange('startIndex or count');
      return s.slice(0, i) + s.slice(i + n);
    }
    case 'ToCharArray': return st.items([...s]);
    case 'Chars': return s[Number(a)] ?? null;
    case 'AsJwt': return parseJwt(s);
    case 'TryParseJwt': { const jwt = parseJwt(s); writeOut(a, jwt); return jwt !== null; }
    case 'AsBasic': return parseBasic(s);
    case 'TryParseBasic': { const creds = parseBasic(s); writeOut(a, creds); return creds !== null; }
  }
  return NO_MEMBER;
}

function split(s: string, args: unknown[], st: EvalState): string[] {
  let seps: string[] = [];
  let options = 0;
  for (const a of args) {
    if (typeof a === 'number') options = a;
    else if (Array.isArray(a)) seps.push(...a.map(str));
    else if (typeof a === 'string') seps.push(a);
  }
  seps = seps.filter((x) => x !== '');
  if (seps.length === 0) seps = [' ', '\t', '\n', '\r'];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length) { out.push(s.slice(start)); break; }
    const sep = seps.find((x) => s.startsWith(x, i));
    if (sep !== undefined) { out.push(s.slice(start, i)); i += sep.length - 1; start = i + 1; }
  }
  // StringSplitOptions: 1 RemoveEmptyEntries, 2 TrimEntries.
  const trimmed = options & 2 ? out.map((x) => x.trim()) : out;
  return st.items(options & 1 ? trimmed.filter((x) => x !== '') : trimmed);
}

function trim(s: string, name: string, args: unknown[]): string {
  const chars = new Set<string>();
  for (const a of args) { if (Array.isArray(a)) for (const c of a) chars.add(str(c)); else if (typeof a === 'string') for (const c of a) chars.add(c); }
  const isTrim = (c: string) => (chars.size === 0 ? /\s/.test(c) : chars.has(c));
  let i = 0;
  let j = s.length;
  if (name !== 'TrimEnd') while (i < j && isTrim(s[i])) i++;
  if (name !== 'TrimStart') while (j > i && isTrim(s[j - 1])) j--;
  return s.slice(i, j);
}

/**
 * Tokens decoded lately, by their text: a client sends the same token on many requests, and
 * decoding (base64 and two JSON.parse) costs microseconds. Bounded (rule 5); a Jwt is never
 * changed by an expression, so sharing one is safe.
 */
const recentJwts = new Map<string, Jwt | null>();
const MAX_RECENT_JWTS = 128;

/** AsJwt(): decodes without validating (APIM's semantics); null when the text is not a JWT. */
export function parseJwt(s: string): Jwt | null {
  const cached = recentJwts.get(s);
  if (cached !== undefined) return cached;
  const jwt = decodeJwt(s);
  if (s.length > 16_384) return jwt;
  if (recentJwts.size >= MAX_RECENT_JWTS) recentJwts.delete(recentJwts.keys().next().value!);
  recentJwts.set(s, jwt);
  return jwt;
}

function decodeJwt(s: string): Jwt | null {
  const token = s.startsWith('Bearer ') ? s.slice(7).trim() : s.trim();
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 16_384) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (!isRecord(header) || !isRecord(claims)) return null;
    return new Jwt(header, claims, token);
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** AsBasic(): "Basic base64(user:password)" (or the bare base64) → credentials, null when malformed. */
export function parseBasic(s: string): BasicCredentials | null {
  const value = /^basic\s+/i.test(s) ? s.replace(/^basic\s+/i, '') : s;
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : new BasicCredentials(text.slice(0, colon), text.slice(colon + 1));
}
