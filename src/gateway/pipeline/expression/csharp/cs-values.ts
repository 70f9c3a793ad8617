/**
 * Run-time values of policy expressions and their .NET names. C# values map to JS as:
 * string and char → string; int, long, double, decimal → number; bool → boolean; null → null;
 * byte[] → Uint8Array; arrays and List<T> → JS arrays; JObject/JArray → the classes below (a
 * JValue is the plain JS value it holds); DateTime, TimeSpan, Jwt, Uri → classes below.
 */
import { Buffer } from 'node:buffer';
import { CsRuntimeError, invalidCast } from './cs-error.js';
import type { CaptureHistory, CaptureVm } from '../regex/index.js';
import { XAttribute, XElement } from './cs-xml-model.js';

/** Newtonsoft's JObject: ordered properties; values are JToken (JObject, JArray or a JSON scalar). */
export class JObject {
  readonly props = new Map<string, unknown>();
  static from(v: Record<string, unknown>): JObject {
    const o = new JObject();
    for (const k of Object.keys(v)) o.props.set(k, toToken(v[k]));
    return o;
  }
}

export class JArray {
  constructor(readonly items: unknown[] = []) {}
}

/** A JProperty (name and value), as `new JProperty("a", 1)` and JObject.Properties() give it. */
export class JProperty {
  constructor(readonly name: string, readonly value: unknown) {}
}

/**
 * A C# anonymous object (`new { resource = "...", scopes = new[] { "a" } }`): named values in
 * their written order. Real policies build one to serialize it (JsonConvert.SerializeObject,
 * JObject.FromObject); reading a member back is outside the subset.
 */
export class CsAnonymous {
  readonly csType = 'AnonymousType';
  constructor(readonly props: ReadonlyMap<string, unknown>) {}
}

/** JSON.parse output (or any plain value) as JTokens. */
export function toToken(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof CsAnonymous) { const o = new JObject(); for (const [k, x] of v.props) o.props.set(k, toToken(x)); return o; }
  if (Array.isArray(v)) return new JArray(v.map(toToken));
  // The prototype, not `.constructor`: a JSON key named "constructor" must not change what this is.
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return JObject.from(v as Record<string, unknown>);
  return v;
}

/** A JToken as plain JSON-able data (for JSON.stringify). */
export function toPlain(v: unknown): unknown {
  if (v instanceof JObject) { const o: Record<string, unknown> = {}; for (const [k, x] of v.props) o[k] = toPlain(x); return o; }
  if (v instanceof JArray) return v.items.map(toPlain);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof JProperty) return { [v.name]: toPlain(v.value) };
  if (v instanceof CsAnonymous) { const o: Record<string, unknown> = {}; for (const [k, x] of v.props) o[k] = toPlain(x); return o; }
  if (v instanceof CsDateTime) return v.iso();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64'); // Newtonsoft writes a byte[] as base64
  if (v instanceof Map) { const o: Record<string, unknown> = {}; for (const [k, x] of v) o[String(k)] = toPlain(x); return o; }
  return v;
}

/** Newtonsoft's ToString(): indented with two spaces (Formatting.Indented), or compact. */
export function jsonText(v: unknown, indented: boolean): string {
  return JSON.stringify(toPlain(v), null, indented ? 2 : undefined) ?? 'null';
}

/** A DateTime as UTC milliseconds since the epoch (Outpost's clocks are UTC). */
export class CsDateTime {
  constructor(readonly ms: number) {}
  iso(): string { return new Date(this.ms).toISOString().replace(/\.000Z$/, 'Z'); }
}

export class CsTimeSpan {
  constructor(readonly ms: number) {}
}

export class CsUri {
  constructor(readonly url: URL) {}
}

/** Dictionary<K,V> and ToDictionary's result. */
export class CsDict {
  constructor(readonly map = new Map<unknown, unknown>()) {}
}

/** A dictionary of string[] whose GetValueOrDefault joins the values with "," (APIM's headers, query, JWT claims). */
export class JoinedDict extends CsDict {
  joined(key: unknown): string | null {
    const v = this.map.get(key);
    return v === undefined ? null : Array.isArray(v) ? v.join(',') : String(v);
  }
}

export class KeyValue {
  constructor(readonly key: unknown, readonly value: unknown) {}
}

/** A decoded (not validated) JWT, as APIM's AsJwt() gives it. */
export class Jwt {
  constructor(readonly header: Record<string, unknown>, readonly claims: Record<string, unknown>, readonly raw: string) {}
}

export class BasicCredentials {
  constructor(readonly userId: string, readonly password: string) {}
}

/**
 * Regex.Match's result: the capture slots of the match (null: no match) and the history of its
 * group captures, from the capturing VM (members in cs-regex.ts).
 */
export class RegexMatch {
  constructor(readonly input: string, readonly caps: Int32Array | null, readonly history: CaptureHistory | null, readonly vm: CaptureVm | null) {}
  get success(): boolean { return this.caps !== null; }
  get value(): string { return this.caps === null ? '' : this.input.slice(this.caps[0], this.caps[1]); }
}

/** The .NET type name of a value, for casts, `is` and error messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return Number.isInteger(v) ? 'int' : 'double';
    case 'boolean': return 'bool';
  }
  if (v instanceof JObject) return 'JObject';
  if (v instanceof JArray) return 'JArray';
  if (v instanceof JProperty) return 'JProperty';
  if (v instanceof CsDateTime) return 'DateTime';
  if (v instanceof CsTimeSpan) return 'TimeSpan';
  if (v instanceof Uint8Array) return 'byte[]';
  if (Array.isArray(v)) return 'List';
  if (v instanceof CsDict) return 'Dictionary';
  if (v instanceof Jwt) return 'Jwt';
  if (v instanceof CsUri) return 'Uri';
  if (v instanceof KeyValue) return 'KeyValuePair';
  if (v instanceof BasicCredentials) return 'BasicAuthCredentials';
  if (v instanceof RegexMatch) return 'Match';
  const named = (v as { csType?: string }).csType;
  return typeof named === 'string' ? named : 'object';
}

/** Whether `v` is of the C# type `type` (as `is` tests it). */
export function isOfType(v: unknown, type: string): boolean {
  if (v === null || v === undefined) return false;
  const base = type.replace(/\?$/, '').replace(/<.*$/, '');
  switch (base) {
    case 'object': return true;
    case 'string': return typeof v === 'string';
    case 'char': return typeof v === 'string' && v.length === 1;
    case 'int': case 'long': return typeof v === 'number' && Number.isInteger(v);
    case 'double': return typeof v === 'number';
    case 'bool': return typeof v === 'boolean';
    case 'JToken': return v instanceof JObject || v instanceof JArray || v instanceof JProperty || typeof v !== 'object';
    case 'IEnumerable': case 'List': return Array.isArray(v) || v instanceof JArray || v instanceof CsDict || v instanceof Uint8Array;
    case 'byte[]': return v instanceof Uint8Array;
    default:
      if (base.endsWith('[]')) return Array.isArray(v);
      return typeName(v) === base;
  }
}

/**
 * C#'s unchecked conversion of an integer to a narrower integer type: the low bits, sign-extended
 * for the signed ones ((byte)300 is 44, (short)0x18000 is -32768). A long beyond 2^53 has lost
 * its low bits already (numbers are doubles here); BigInt keeps what is left exact.
 */
export function wrapInt(v: number, type: string): number {
  const n = Number.isSafeInteger(v) || !Number.isFinite(v) ? Math.trunc(v) || 0 : Number(BigInt.asIntN(64, BigInt(Math.trunc(v))) & 0xffffffffn);
  switch (type) {
    case 'byte': return n & 0xff;
    case 'sbyte': return (n << 24) >> 24;
    case 'short': return (n << 16) >> 16;
    case 'ushort': return n & 0xffff;
    default: return n >>> 0;
  }
}

/** A value stored into a byte[] (C# needs a byte there; an int literal in range is one). */
export function toByte(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (v < 0 || v > 255) throw new CsRuntimeError('OverflowException', 'Value was either too large or too small for an unsigned byte.');
    return v;
  }
  throw invalidCast(typeName(v), 'byte');
}

/** `(T)x` for the types a cast may name. Newtonsoft's explicit conversions from JValue included. */
export function castTo(v: unknown, type: string): unknown {
  const base = type.replace(/\?$/, '');
  if (v === null || v === undefined) {
    if (type.endsWith('?') || ['string', 'object', 'JObject', 'JArray', 'JToken', 'Authorization'].includes(base) || base.includes('<') || base.endsWith('[]')) return null;
    throw invalidCast('null', base);
  }
  switch (base) {
    case 'int': case 'long':
      if (typeof v === 'number') return Math.trunc(v);
      if (typeof v === 'string' && v.length === 1) return v.charCodeAt(0);
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v); // JValue string → int, as Newtonsoft converts
      break;
    case 'byte': case 'sbyte': case 'short': case 'ushort': case 'uint': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.length === 1 ? v.charCodeAt(0) : null;
      if (n !== null) return wrapInt(n, base);
      break;
    }
    case 'double': if (typeof v === 'number') return v; if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v); break;
    case 'char': if (typeof v === 'number') return String.fromCharCode(v); if (typeof v === 'string' && v.length === 1) return v; break;
    case 'string':
      if (typeof v === 'string') return v;
      if (v instanceof XElement) return v.value(); // LINQ to XML's explicit conversions
      if (v instanceof XAttribute) return v.value;
      if (typeof v === 'number') return String(v); // a JValue to string, as Newtonsoft converts
      if (typeof v === 'boolean') return v ? 'True' : 'False';
      break;
    case 'bool': if (typeof v === 'boolean') return v; break;
    default: if (isOfType(v, base)) return v;
  }
  throw invalidCast(typeName(v), base);
}
