/**
 * Static members of the .NET types real policies use: string, Convert, Encoding, Math, DateTime,
 * TimeSpan, Guid, Regex (on Outpost's Pike-VM engine, never RegExp), Uri, WebUtility, int/long/
 * double/bool Parse and TryParse, JObject/JArray/JToken.Parse, and the enums (StringComparison,
 * StringSplitOptions, Formatting, RegexOptions) as the numbers .NET gives them; System.Array,
 * BitConverter and Guid parsing (cs-arrays.ts), XML (cs-xml.ts), Aes/TripleDES.Create (cs-crypto.ts).
 */
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { declareStatics } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { CsDateTime, CsDict, CsTimeSpan, JArray, JObject, jsonText, toToken } from './cs-values.js';
import { csString, parseDate } from './cs-convert.js';
import { argumentError, CsRuntimeError, formatError } from './cs-error.js';
import { CsEncoding, CsRegex } from './cs-objects.js';
import { runMatch, runMatches } from './cs-regex.js';
import { writeOut } from './cs-out.js';
import { compileRegex, RegexSyntaxError } from '../regex/index.js';
import { MAX_MATCH_INPUT } from '../ast.js';
import { enumerate } from './cs-linq.js';
import { cryptoStatics } from './cs-crypto.js';
import { ARRAY_STATICS } from './cs-arrays.js';
import { xmlStatics } from './cs-xml.js';

export interface StaticMember { get?: () => unknown; call?: (args: unknown[], st: EvalState, targs: string[]) => unknown }

const value = (v: unknown): StaticMember => ({ get: () => v });
const fn = (call: (args: unknown[], st: EvalState, targs: string[]) => unknown): StaticMember => ({ call });
const s = (v: unknown): string => csString(v);

function parseInt32(text: unknown): number {
  if (typeof text !== 'string' || !/^\s*[+-]?\d+\s*$/.test(text)) throw formatError('Input string was not in a correct format.');
  return Number(text);
}
function parseDouble(text: unknown): number {
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(Number(text))) throw formatError('Input string was not in a correct format.');
  return Number(text);
}
function parseBool(text: unknown): boolean {
  const t = String(text).trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw formatError(`String '${String(text)}' was not recognized as a valid Boolean.`);
  return t === 'true';
}
function tryParse<T>(parse: (v: unknown) => T, fallback: T) {
  return fn(([text, out]) => { try { writeOut(out, parse(text)); return true; } catch { writeOut(out, fallback); return false; } });
}
function toDate(text: unknown): CsDateTime {
  if (text instanceof CsDateTime) return text;
  const d = parseDate(String(text));
  if (d === null) throw formatError(`String '${String(text)}' was not recognized as a valid DateTime.`);
  return d;
}
function parseJson(text: unknown, st: EvalState): unknown {
  const t = String(text ?? '');
  st.step(t.length >> 10);
  try { return toToken(JSON.parse(t)); } catch (err) { throw new CsRuntimeError('JsonReaderException', `Error reading JSON: ${(err as Error).message}`); }
}
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseDouble(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw formatError('Input string was not in a correct format.');
}

/** Newtonsoft's JTokenType name of what a value serializes to, for FromObject's refusal. */
function serializedKind(t: unknown): string {
  if (t instanceof JObject) return 'Object';
  if (t instanceof JArray) return 'Array';
  if (t === null) return 'Null';
  if (typeof t === 'string') return 'String';
  if (typeof t === 'boolean') return 'Boolean';
  if (typeof t === 'number') return Number.isInteger(t) ? 'Integer' : 'Float';
  return 'Object';
}

/** Regexes built from patterns at run time, by pattern and flags (bounded: rule 5). */
const regexCache = new Map<string, CsRegex>();
export function regexFor(pattern: unknown, options: unknown): CsRegex {
  const flags = typeof options === 'number' && (options & 1) === 1 ? 'i' : '';
  const key = `${flags}/${String(pattern)}`;
  let r = regexCache.get(key);
  if (r === undefined) {
    try { r = new CsRegex(compileRegex(String(pattern), flags), String(pattern), flags); } catch (err) {
      if (err instanceof RegexSyntaxError) throw argumentError(`Invalid pattern '${String(pattern)}': ${err.message}`);
      throw err;
    }
    if (regexCache.size >= 256) regexCache.delete(regexCache.keys().next().value!);
    regexCache.set(key, r);
  }
  return r;
}
function regexTest(args: unknown[], st: EvalState): boolean {
  const input = s(args[0]);
  if (input.length > MAX_MATCH_INPUT) throw argumentError(`Regex input longer than ${MAX_MATCH_INPUT} characters.`);
  const r = regexFor(args[1], args[2]);
  const ok = r.vm.test(input);
  st.step(r.vm.lastSteps);
  return ok;
}
function format(args: unknown[], st: EvalState): string {
  const [f, ...rest] = args;
  const list = rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest;
  return st.str(String(f).replace(/\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}/g, (m, i?: string, width?: string, fmt?: string) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const n = Number(i);
    if (n >= list.length) throw formatError('Index (zero based) must be greater than or equal to zero and less than the size of the argument list.');
    const text = csString(list[n], fmt ?? null);
    const w = width === undefined ? 0 : Number(width);
    return w >= 0 ? text.padStart(Math.min(w, 1024)) : text.padEnd(Math.min(-w, 1024));
  }));
}

const NUMBER_TYPES: Array<[string, (v: unknown) => number]> = [['int', parseInt32], ['long', parseInt32], ['double', parseDouble]];

export const STATICS: Record<string, StaticMember> = {
  'string.Empty': value(''),
  'string.IsNullOrEmpty': fn(([a]) => a === null || a === undefined || a === ''),
  'string.IsNullOrWhiteSpace': fn(([a]) => a === null || a === undefined || String(a).trim() === ''),
  'string.Format': fn(format),
  'string.Join': fn(([sep, ...rest], st) => st.str((rest.length === 1 && enumerate(rest[0]) !== null && typeof rest[0] !== 'string' ? enumerate(rest[0])! : rest).map((x) => s(x)).join(s(sep)))),
  'string.Concat': fn((args, st) => st.str((args.length === 1 && Array.isArray(args[0]) ? args[0] : args).map((x) => s(x)).join(''))),
  'string.Equals': fn(([a, b, c]) => (typeof c === 'number' && c % 2 === 1 && typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b)),
  'string.Compare': fn(([a, b, c]) => { const ic = c === true || (typeof c === 'number' && c % 2 === 1); const x = ic ? s(a).toLowerCase() : s(a); const y = ic ? s(b).toLowerCase() : s(b); return x < y ? -1 : x > y ? 1 : 0; }),
  'Convert.ToBase64String': fn(([a]) => Buffer.from(a as Uint8Array).toString('base64')),
  'Convert.FromBase64String': fn(([a]) => {
    const t = s(a).replace(/\s/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw formatError('The input is not a valid Base-64 string.');
    return new Uint8Array(Buffer.from(t, 'base64'));
  }),
  'Convert.ToInt32': fn(([a]) => (typeof a === 'number' ? Math.round(a) : typeof a === 'boolean' ? Number(a) : a === null ? 0 : parseInt32(a))),
  'Convert.ToInt64': fn(([a]) => (typeof a === 'number' ? Math.round(a) : a === null ? 0 : parseInt32(a))),
  'Convert.ToDouble': fn(([a]) => (a === null ? 0 : num(a))),
  'Convert.ToBoolean': fn(([a]) => (typeof a === 'boolean' ? a : typeof a === 'number' ? a !== 0 : a === null ? false : parseBool(a))),
  'Convert.ToString': fn(([a]) => s(a)),
  'Convert.ToDateTime': fn(([a]) => toDate(a)),
  'Encoding.UTF8': value(new CsEncoding('utf8')),
  'Encoding.ASCII': value(new CsEncoding('ascii')),
  'Encoding.Unicode': value(new CsEncoding('utf16le')),
  'Math.Max': fn(([a, b]) => Math.max(num(a), num(b))),
  'Math.Min': fn(([a, b]) => Math.min(num(a), num(b))),
  'Math.Abs': fn(([a]) => Math.abs(num(a))),
  'Math.Floor': fn(([a]) => Math.floor(num(a))),
  'Math.Ceiling': fn(([a]) => Math.ceil(num(a))),
  'Math.Round': fn(([a, d]) => { const f = 10 ** (d === undefined ? 0 : Number(d)); const x = num(a) * f; const r = Math.round(x); return (Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) / f; }),
  'Math.Pow': fn(([a, b]) => num(a) ** num(b)),
  'Math.Sqrt': fn(([a]) => Math.sqrt(num(a))),
  'Math.PI': value(Math.PI),
  'DateTime.UtcNow': { get: () => new CsDateTime(Date.now()) },
  'DateTime.Now': { get: () => new CsDateTime(Date.now()) },
  'DateTime.Today': { get: () => new CsDateTime(Date.now() - (Date.now() % 86_400_000)) },
  'DateTime.MinValue': value(new CsDateTime(-62_135_596_800_000)),
  'DateTime.MaxValue': value(new CsDateTime(253_402_300_799_999)),
  'DateTime.Parse': fn(([a]) => toDate(a)),
  'DateTime.ParseExact': fn(([a]) => toDate(a)),
  'DateTime.TryParse': tryParse(toDate, new CsDateTime(-62_135_596_800_000)),
  'DateTime.FromUnixTimeSeconds': fn(([a]) => new CsDateTime(num(a) * 1000)),
  'DateTime.FromUnixTimeMilliseconds': fn(([a]) => new CsDateTime(num(a))),
  'TimeSpan.Zero': value(new CsTimeSpan(0)),
  'TimeSpan.FromMilliseconds': fn(([a]) => new CsTimeSpan(num(a))),
  'TimeSpan.FromSeconds': fn(([a]) => new CsTimeSpan(num(a) * 1000)),
  'TimeSpan.FromMinutes': fn(([a]) => new CsTimeSpan(num(a) * 60_000)),
  'TimeSpan.FromHours': fn(([a]) => new CsTimeSpan(num(a) * 3_600_000)),
  'TimeSpan.FromDays': fn(([a]) => new CsTimeSpan(num(a) * 86_400_000)),
  'Guid.NewGuid': fn(() => randomUUID()),
  'Guid.Empty': value('00000000-0000-0000-0000-000000000000'),
  'Regex.IsMatch': fn(regexTest),
  'Regex.Match': fn((args, st) => runMatch(regexFor(args[1], args[2]).capturing(), s(args[0]), 0, st)),
  'Regex.Matches': fn((args, st) => runMatches(regexFor(args[1], args[2]).capturing(), s(args[0]), st)),
  'Uri.EscapeDataString': fn(([a], st) => st.str(encodeURIComponent(s(a)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))),
  'Uri.UnescapeDataString': fn(([a]) => { try { return decodeURIComponent(s(a)); } catch { return s(a); } }),
  'Uri.IsWellFormedUriString': fn(([a]) => { try { new URL(s(a)); return true; } catch { return false; } }),
  'WebUtility.UrlEncode': fn(([a], st) => st.str(encodeURIComponent(s(a)).replace(/%20/g, '+'))),
  'WebUtility.UrlDecode': fn(([a]) => { try { return decodeURIComponent(s(a).replace(/\+/g, ' ')); } catch { return s(a); } }),
  'WebUtility.HtmlEncode': fn(([a], st) => st.str(s(a).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'))),
  'bool.Parse': fn(([a]) => parseBool(a)),
  'bool.TryParse': tryParse(parseBool, false),
  'JObject.Parse': fn(([a], st) => { const v = parseJson(a, st); if (!(v instanceof JObject)) throw new CsRuntimeError('JsonReaderException', 'Error reading JObject from JsonReader.'); return v; }),
  'JObject.FromObject': fn(([a]) => {
    const t = a instanceof CsDict ? JObject.from(Object.fromEntries([...a.map].map(([k, v]) => [String(k), v]))) : toToken(a instanceof Uint8Array ? Buffer.from(a).toString('base64') : a);
    if (!(t instanceof JObject)) throw argumentError(`Object serialized to ${serializedKind(t)}. JObject instance expected.`);
    return t;
  }),
  // Newtonsoft refuses what does not serialize to an array: "Object serialized to String. JArray instance expected."
  'JArray.FromObject': fn(([a]) => {
    const t = toToken(a instanceof Uint8Array ? Buffer.from(a).toString('base64') : a);
    if (!(t instanceof JArray)) throw argumentError(`Object serialized to ${serializedKind(t)}. JArray instance expected.`);
    return t;
  }),
  'JArray.Parse': fn(([a], st) => { const v = parseJson(a, st); if (!(v instanceof JArray)) throw new CsRuntimeError('JsonReaderException', 'Error reading JArray from JsonReader.'); return v; }),
  'JToken.Parse': fn(([a], st) => parseJson(a, st)),
  'JToken.FromObject': fn(([a]) => toToken(a)),
  // "0A-1B-FF": two uppercase hex digits per byte, dashes between; (bytes, start[, length]) takes a slice.
  'BitConverter.ToString': fn(([raw, start, length], st) => {
    // A byte[] literal (`new byte[] { 1, 2 }`) is an array of numbers here.
    const a = Array.isArray(raw) && raw.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? Uint8Array.from(raw as number[]) : raw;
    if (!(a instanceof Uint8Array)) throw argumentError('BitConverter.ToString needs a byte[].');
    const from = start === undefined ? 0 : Number(start);
    const count = length === undefined ? a.length - from : Number(length);
    if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 0 || from + count > a.length) throw new CsRuntimeError('ArgumentOutOfRangeException', 'Index was out of range.');
    return st.str(Buffer.from(a.subarray(from, from + count)).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1-'));
  }),
  // Newtonsoft's defaults: compact unless Formatting.Indented (two spaces), members in written order.
  'JsonConvert.SerializeObject': fn(([a, formatting], st) => st.str(jsonText(a, formatting === 1))),
  'StringComparison.CurrentCulture': value(0), 'StringComparison.CurrentCultureIgnoreCase': value(1),
  'StringComparison.InvariantCulture': value(2), 'StringComparison.InvariantCultureIgnoreCase': value(3),
  'StringComparison.Ordinal': value(4), 'StringComparison.OrdinalIgnoreCase': value(5),
  'StringSplitOptions.None': value(0), 'StringSplitOptions.RemoveEmptyEntries': value(1), 'StringSplitOptions.TrimEntries': value(2),
  'Formatting.None': value(0), 'Formatting.Indented': value(1),
  'RegexOptions.None': value(0), 'RegexOptions.IgnoreCase': value(1),
  'Environment.NewLine': value('\r\n'),
};
for (const [type, parse] of NUMBER_TYPES) {
  STATICS[`${type}.Parse`] = fn(([a]) => parse(a));
  STATICS[`${type}.TryParse`] = tryParse(parse, 0);
  STATICS[`${type}.MaxValue`] = value(type === 'int' ? 2_147_483_647 : type === 'long' ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE);
  STATICS[`${type}.MinValue`] = value(type === 'int' ? -2_147_483_648 : type === 'long' ? Number.MIN_SAFE_INTEGER : -Number.MAX_VALUE);
}

for (const [name, make] of Object.entries(cryptoStatics())) STATICS[name] = fn(() => make());
for (const [name, call] of Object.entries(ARRAY_STATICS)) STATICS[name] = fn(call);
STATICS['BitConverter.IsLittleEndian'] = value(true);
Object.assign(STATICS, xmlStatics());

declareStatics(Object.keys(STATICS));
