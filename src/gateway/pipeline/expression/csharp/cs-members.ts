/**
 * Run-time member access: property reads, method calls and indexers on any value, dispatched on
 * the receiver's kind. A name the receiver's type lacks raises what .NET would have refused
 * (the parse-time check only knows that some supported type has the name).
 */
import type { EvalState } from './cs-state.js';
import { NO_MEMBER, View } from './cs-view.js';
import { CsRuntimeError, nullReference } from './cs-error.js';
import { csCompare, csEquals, csString } from './cs-convert.js';
import { stringMethod, stringProp } from './cs-strings.js';
import { collectionProp, linqMethod } from './cs-linq.js';
import { objectMethod, objectProp } from './cs-objects.js';
import { CsDateTime, CsDict, CsTimeSpan, JArray, JObject, JoinedDict, toByte, toToken, typeName } from './cs-values.js';
import { HeadersView, VariablesView } from './cs-context.js';
import { declareMembers } from './cs-names.js';
import { guidBytes } from './cs-arrays.js';
import { group, GroupCollection } from './cs-regex.js';

declareMembers(['GetHashCode', 'ToByteArray']);

function missing(recv: unknown, name: string): CsRuntimeError {
  return new CsRuntimeError('RuntimeBinderException', `'${typeName(recv)}' does not contain a definition for '${name}'.`);
}

export function getProp(recv: unknown, name: string): unknown {
  if (recv === null || recv === undefined) throw nullReference(`reading .${name}`);
  let v: unknown;
  if (recv instanceof View) v = recv.get(name);
  else if (typeof recv === 'string') v = stringProp(recv, name);
  else {
    v = objectProp(recv, name);
    if (v === NO_MEMBER) v = collectionProp(recv, name);
  }
  if (v === NO_MEMBER && name === 'Value' && typeof recv !== 'object') return recv; // Nullable<T>.Value
  if (v === NO_MEMBER && name === 'Value' && (recv instanceof CsDateTime || recv instanceof CsTimeSpan)) return recv;
  if (v === NO_MEMBER) throw missing(recv, name);
  return v;
}

export function callMethod(recv: unknown, name: string, args: unknown[], targs: string[], st: EvalState): unknown {
  if (recv === null || recv === undefined) throw nullReference(`calling .${name}()`);
  let v: unknown = NO_MEMBER;
  if (recv instanceof View) v = recv.call(name, args, st, targs);
  else if (typeof recv === 'string') v = name === 'ToByteArray' ? guidBytes(recv) : stringMethod(recv, name, args, st);
  else if (recv instanceof JoinedDict && name === 'GetValueOrDefault') v = recv.joined(args[0]) ?? args[1] ?? null;
  else v = objectMethod(recv, name, args, st, targs);
  if (v === NO_MEMBER) v = linqMethod(recv, name, args, st, targs);
  if (v !== NO_MEMBER) return v;
  switch (name) {
    case 'ToString': return st.str(csString(recv, args[0] === undefined ? null : String(args[0])));
    case 'Equals': return csEquals(recv, args[0]);
    case 'CompareTo': return csCompare(recv, args[0]);
    case 'GetType': return typeName(recv);
    case 'GetHashCode': return hashCode(recv);
  }
  throw missing(recv, name);
}

/**
 * GetHashCode(): an int, stable within the process. .NET randomizes string hashes per process, so
 * no policy can rely on particular values (they seed Random or spread keys); an int is itself and
 * a bool 1 or 0, as in .NET.
 */
function hashCode(recv: unknown): number {
  if (typeof recv === 'number' && Number.isInteger(recv)) return recv | 0;
  if (typeof recv === 'boolean') return recv ? 1 : 0;
  const text = csString(recv);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

export function indexGet(recv: unknown, keys: unknown[]): unknown {
  if (recv === null || recv === undefined) throw nullReference('indexing [...]');
  const k = keys[0];
  if (recv instanceof HeadersView || recv instanceof VariablesView) return recv.index(k);
  if (recv instanceof GroupCollection) return group(recv.match, k);
  if (recv instanceof JObject) return recv.props.get(String(k)) ?? null;
  if (recv instanceof JArray) {
    if (typeof k === 'string') throw new CsRuntimeError('ArgumentException', `Accessed JArray values with invalid key value: "${k}". Int32 array index expected.`);
    return at(recv.items, k);
  }
  if (recv instanceof CsDict) {
    if (!recv.map.has(k)) throw new CsRuntimeError('KeyNotFoundException', `The given key '${String(k)}' was not present in the dictionary.`);
    return recv.map.get(k);
  }
  if (Array.isArray(recv)) return at(recv, k);
  if (typeof recv === 'string') return at([...recv], k);
  if (recv instanceof Uint8Array) return at(recv, k);
  throw new CsRuntimeError('RuntimeBinderException', `Cannot apply indexing with [] to an expression of type '${typeName(recv)}'.`);
}

function at(list: ArrayLike<unknown>, k: unknown): unknown {
  const i = Number(k);
  if (!Number.isInteger(i) || i < 0 || i >= list.length) throw new CsRuntimeError('ArgumentOutOfRangeException', 'Index was out of range. Must be non-negative and less than the size of the collection.');
  return list[i];
}

export function indexSet(recv: unknown, keys: unknown[], value: unknown): void {
  if (recv === null || recv === undefined) throw nullReference('indexing [...]');
  const k = keys[0];
  if (recv instanceof JObject) { recv.props.set(String(k), toToken(value)); return; }
  if (recv instanceof JArray) { at(recv.items, k); recv.items[Number(k)] = toToken(value); return; }
  if (recv instanceof CsDict) { recv.map.set(k, value); return; }
  if (Array.isArray(recv)) { at(recv, k); recv[Number(k)] = value; return; }
  if (recv instanceof Uint8Array) { at(recv, k); recv[Number(k)] = toByte(value); return; }
  throw new CsRuntimeError('RuntimeBinderException', `Cannot assign through [] on '${typeName(recv)}'.`);
}
