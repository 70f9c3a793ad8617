/**
 * System.Array's statics (Copy, Exists, IndexOf, Find...), BitConverter's integer conversions,
 * Convert.ToByte, and Guid's byte form (ToByteArray, new Guid(byte[]), Guid.Parse/TryParse), as
 * .NET documents them. Arrays are JS arrays, byte[] a Uint8Array (cs-values.ts); a Guid is its
 * lowercase "D" string. Every element visited counts against the step budget.
 */
import type { EvalState } from './cs-state.js';
import { argumentError, CsRuntimeError, formatError } from './cs-error.js';
import { toByte, typeName } from './cs-values.js';
import { csEquals } from './cs-convert.js';
import { writeOut } from './cs-out.js';

type Call = (args: unknown[], st: EvalState, targs: string[]) => unknown;

const outOfRange = (what: string) => new CsRuntimeError('ArgumentOutOfRangeException', `${what} was out of range. Must be non-negative and less than or equal to the size of the collection.`);

function list(v: unknown, what: string): ArrayLike<unknown> & { [i: number]: unknown } {
  if (Array.isArray(v) || v instanceof Uint8Array) return v;
  if (v === null || v === undefined) throw new CsRuntimeError('ArgumentNullException', `Value cannot be null. (Parameter '${what}')`);
  throw argumentError(`${what} must be an array, not ${typeName(v)}.`);
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argumentError(`${what} must be an int.`);
  return v;
}

function predicate(f: unknown): (x: unknown) => boolean {
  if (typeof f !== 'function') throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'match')");
  return (x) => (f as (x: unknown) => unknown)(x) === true;
}

/** Array.Copy(src, dst, length) and Array.Copy(src, srcIndex, dst, dstIndex, length); overlapping ranges copy as if through a temporary, as .NET does. */
function copy(args: unknown[], st: EvalState): null {
  const five = args.length === 5;
  const src = list(args[0], 'sourceArray');
  const dst = list(five ? args[2] : args[1], 'destinationArray');
  const from = five ? int(args[1], 'sourceIndex') : 0;
  const to = five ? int(args[3], 'destinationIndex') : 0;
  const n = int(five ? args[4] : args[2], 'length');
  if (from < 0) throw outOfRange('sourceIndex');
  if (to < 0) throw outOfRange('destinationIndex');
  if (n < 0) throw outOfRange('length');
  if (from + n > src.length) throw argumentError('Source array was not long enough. Check the source index, length, and the array\'s lower bounds.');
  if (to + n > dst.length) throw argumentError('Destination array was not long enough. Check the destination index, length, and the array\'s lower bounds.');
  st.step(n >> 4);
  const items = Array.prototype.slice.call(src, from, from + n) as unknown[];
  const bytes = dst instanceof Uint8Array;
  for (let i = 0; i < n; i++) dst[to + i] = bytes ? toByte(items[i]) : items[i];
  return null;
}

function indexOf(args: unknown[], st: EvalState, last: boolean): number {
  const a = list(args[0], 'array');
  st.step(a.length >> 2);
  if (last) { for (let i = a.length - 1; i >= 0; i--) if (csEquals(a[i], args[1])) return i; return -1; }
  const start = args[2] === undefined ? 0 : int(args[2], 'startIndex');
  if (start < 0 || start > a.length) throw outOfRange('startIndex');
  for (let i = start; i < a.length; i++) if (csEquals(a[i], args[1])) return i;
  return -1;
}

function find(args: unknown[], st: EvalState, mode: 'exists' | 'find' | 'index' | 'all' | 'last' | 'findAll'): unknown {
  const a = list(args[0], 'array');
  const p = predicate(args[1]);
  st.step(a.length >> 2);
  switch (mode) {
    case 'exists': for (let i = 0; i < a.length; i++) if (p(a[i])) return true; return false;
    case 'all': for (let i = 0; i < a.length; i++) if (!p(a[i])) return false; return true;
    case 'index': for (let i = 0; i < a.length; i++) if (p(a[i])) return i; return -1;
    case 'find': for (let i = 0; i < a.length; i++) if (p(a[i])) return a[i]; return a instanceof Uint8Array ? 0 : null;
    case 'last': for (let i = a.length - 1; i >= 0; i--) if (p(a[i])) return a[i]; return a instanceof Uint8Array ? 0 : null;
    default: { const out: unknown[] = []; for (let i = 0; i < a.length; i++) if (p(a[i])) out.push(a[i]); return a instanceof Uint8Array ? Uint8Array.from(out as number[]) : out; }
  }
}

/** BitConverter.ToInt16/ToInt32/ToInt64/ToUInt16/ToUInt32 (little-endian, as on every .NET platform APIM runs). */
function fromBytes(size: 2 | 4 | 8, signed: boolean): Call {
  return ([raw, start]) => {
    if (!(raw instanceof Uint8Array)) throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'value')");
    const i = int(start ?? 0, 'startIndex');
    if (i < 0 || i >= raw.length) throw outOfRange('startIndex');
    if (i + size > raw.length) throw argumentError('Destination array is not long enough to copy all the items in the collection. Check array index and length.');
    const view = new DataView(raw.buffer, raw.byteOffset + i, size);
    if (size === 2) return signed ? view.getInt16(0, true) : view.getUint16(0, true);
    if (size === 4) return signed ? view.getInt32(0, true) : view.getUint32(0, true);
    return Number(signed ? view.getBigInt64(0, true) : view.getBigUint64(0, true));
  };
}

/** BitConverter.GetBytes(int): 4 little-endian bytes (an int beyond int32 is taken as a long: 8). */
function getBytes([v]: unknown[]): Uint8Array {
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  if (typeof v !== 'number') throw argumentError(`BitConverter.GetBytes needs a number, not ${typeName(v)}.`);
  if (!Number.isInteger(v)) { const out = new Uint8Array(8); new DataView(out.buffer).setFloat64(0, v, true); return out; }
  if (v >= -2_147_483_648 && v <= 2_147_483_647) { const out = new Uint8Array(4); new DataView(out.buffer).setInt32(0, v, true); return out; }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(v)), true);
  return out;
}

const GUID_D = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Guid.Parse: the "N", "D", "B" and "P" forms (surrounding white space allowed); the result is the "D" form. */
export function parseGuid(v: unknown): string {
  if (typeof v !== 'string') throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'input')");
  let t = v.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('(') && t.endsWith(')'))) t = t.slice(1, -1);
  if (/^[0-9a-fA-F]{32}$/.test(t)) t = `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
  if (!GUID_D.test(t)) throw formatError(`Unrecognized Guid format.`);
  return t.toLowerCase();
}

/**
 * Guid.ToByteArray(): .NET's layout, the first three groups little-endian (Data1 as 4 bytes,
 * Data2 and Data3 as 2), the last 8 bytes in order.
 */
export function guidBytes(guid: string): Uint8Array {
  const hex = parseGuid(guid).replace(/-/g, '');
  const b = Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
  return Uint8Array.of(b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.subarray(8));
}

/** new Guid(byte[16]): the inverse of guidBytes. */
export function guidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw argumentError("Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')");
  const b = bytes;
  const hex = (xs: number[]) => xs.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex([b[3], b[2], b[1], b[0]])}-${hex([b[5], b[4]])}-${hex([b[7], b[6]])}-${hex([b[8], b[9]])}-${hex([...b.subarray(10)])}`;
}

function toByteChecked([v]: unknown[]): number {
  if (typeof v === 'string') { const t = v.trim(); if (!/^[+-]?\d+$/.test(t)) throw formatError('Input string was not in a correct format.'); return toByte(Number(t)); }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') {
    // Convert.ToByte(double) rounds half to even first.
    const r = Number.isInteger(v) ? v : Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v);
    return toByte(r);
  }
  throw new CsRuntimeError('InvalidCastException', `Unable to cast object of type '${typeName(v)}' to type 'IConvertible'.`);
}

export const ARRAY_STATICS: Record<string, Call> = {
  'Array.Copy': copy,
  'Array.IndexOf': (args, st) => indexOf(args, st, false),
  'Array.LastIndexOf': (args, st) => indexOf(args, st, true),
  'Array.Exists': (args, st) => find(args, st, 'exists'),
  'Array.TrueForAll': (args, st) => find(args, st, 'all'),
  'Array.Find': (args, st) => find(args, st, 'find'),
  'Array.FindLast': (args, st) => find(args, st, 'last'),
  'Array.FindIndex': (args, st) => find(args, st, 'index'),
  'Array.FindAll': (args, st) => find(args, st, 'findAll'),
  'Array.Reverse': ([a]) => { const l = list(a, 'array'); Array.prototype.reverse.call(l); return null; },
  'Array.Clear': ([a, i, n]) => {
    const l = list(a, 'array');
    const from = i === undefined ? 0 : int(i, 'index');
    const count = n === undefined ? l.length - from : int(n, 'length');
    if (from < 0 || count < 0 || from + count > l.length) throw new CsRuntimeError('IndexOutOfRangeException', 'Index was outside the bounds of the array.');
    for (let k = from; k < from + count; k++) l[k] = l instanceof Uint8Array ? 0 : null;
    return null;
  },
  'Array.Empty': () => [],
  'BitConverter.ToInt16': fromBytes(2, true),
  'BitConverter.ToUInt16': fromBytes(2, false),
  'BitConverter.ToInt32': fromBytes(4, true),
  'BitConverter.ToUInt32': fromBytes(4, false),
  'BitConverter.ToInt64': fromBytes(8, true),
  'BitConverter.GetBytes': getBytes,
  'Convert.ToByte': toByteChecked,
  'Guid.Parse': ([a]) => parseGuid(a),
  'Guid.TryParse': ([a, out]) => {
    try { writeOut(out, parseGuid(a)); return true; } catch { writeOut(out, '00000000-0000-0000-0000-000000000000'); return false; }
  },
};
