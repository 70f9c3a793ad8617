/**
 * IEnumerable and its LINQ extensions, eager (each returns an array) and counted against the
 * budget, over anything enumerable: arrays and lists, JArray, JObject (its properties),
 * dictionaries (key/value pairs), strings (chars), byte[], and headers views. List and dictionary
 * methods (Add, Remove, ContainsKey...) are here too.
 */
import { declareMembers } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { NO_MEMBER, View } from './cs-view.js';
import { CsDict, JArray, JObject, JProperty, KeyValue, castTo } from './cs-values.js';
import { csCompare, csEquals } from './cs-convert.js';
import { CsRuntimeError, argumentError } from './cs-error.js';
import { HeadersView } from './cs-context.js';
import { writeOut } from './cs-out.js';
import { allGroups, GroupCollection } from './cs-regex.js';

declareMembers(['Select', 'Where', 'Any', 'All', 'First', 'FirstOrDefault', 'Last', 'LastOrDefault', 'Single', 'SingleOrDefault', 'Count',
  'Sum', 'Max', 'Min', 'Average', 'ToArray', 'ToList', 'ToDictionary', 'OrderBy', 'OrderByDescending', 'Contains', 'Concat', 'Skip', 'Take',
  'Distinct', 'Reverse', 'SelectMany', 'ElementAt', 'ElementAtOrDefault', 'Cast', 'OfType', 'Add', 'Remove', 'Clear', 'Insert', 'IndexOf',
  'ContainsKey', 'ContainsValue', 'TryGetValue', 'GetValueOrDefault', 'Keys', 'Values', 'Key', 'Value', 'Length', 'AddRange', 'RemoveAt']);

export type Fn = (...args: unknown[]) => unknown;

/** The items of an enumerable value, or null when it is not one. */
export function enumerate(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (v instanceof JArray) return v.items;
  if (v instanceof JObject) return [...v.props].map(([k, x]) => new JProperty(k, x));
  if (v instanceof CsDict) return [...v.map].map(([k, x]) => new KeyValue(k, x));
  if (typeof v === 'string') return [...v];
  if (v instanceof Uint8Array) return [...v];
  if (v instanceof GroupCollection) return allGroups(v);
  if (v instanceof HeadersView) {
    const names = [...new Set(v.list.filter((_, i) => i % 2 === 0))];
    return names.map((n) => new KeyValue(n, v.values(n)));
  }
  return null;
}

function fnArg(f: unknown, name: string): Fn {
  if (typeof f !== 'function') throw argumentError(`${name} needs a lambda (x => ...).`);
  return f as Fn;
}

const noElements = () => new CsRuntimeError('InvalidOperationException', 'Sequence contains no elements');

export function linqMethod(recv: unknown, name: string, args: unknown[], st: EvalState, targs: string[]): unknown {
  const listLike = Array.isArray(recv) ? recv : recv instanceof JArray ? recv.items : null;
  const own = listLike !== null ? listMethod(listLike, name, args) : recv instanceof CsDict ? dictMethod(recv, name, args) : NO_MEMBER;
  if (own !== NO_MEMBER) return own;
  if (recv instanceof View && name === 'Count') return recv.get('Count');
  const items = enumerate(recv);
  if (items === null) return NO_MEMBER;
  st.step(items.length);
  const [a, b] = args;
  const pred = (x: unknown) => (a === undefined ? true : fnArg(a, name)(x) === true);
  switch (name) {
    case 'Select': { const f = fnArg(a, name); return st.items(items.map((x, i) => f(x, i))); }
    case 'SelectMany': { const f = fnArg(a, name); return st.items(items.flatMap((x) => enumerate(f(x)) ?? [])); }
    case 'Where': { const f = fnArg(a, name); return items.filter((x, i) => f(x, i) === true); }
    case 'Any': return a === undefined ? items.length > 0 : items.some(pred);
    case 'All': return items.every(pred);
    case 'Count': return a === undefined ? items.length : items.filter(pred).length;
    case 'First': { const x = items.find(pred); if (x === undefined) throw noElements(); return x; }
    case 'FirstOrDefault': return items.find(pred) ?? (a !== undefined && typeof a !== 'function' ? a : b ?? null);
    case 'Last': { const x = findLast(items, pred); if (x === undefined) throw noElements(); return x; }
    case 'LastOrDefault': return findLast(items, pred) ?? null;
    case 'Single': case 'SingleOrDefault': {
      const found = items.filter(pred);
      if (found.length > 1) throw new CsRuntimeError('InvalidOperationException', 'Sequence contains more than one matching element');
      if (found.length === 0 && name === 'Single') throw noElements();
      return found[0] ?? null;
    }
    case 'Sum': { const f = a === undefined ? (x: unknown) => x : fnArg(a, name); return items.reduce((s: number, x) => s + Number(f(x) ?? 0), 0); }
    case 'Average': { if (items.length === 0) throw noElements(); const f = a === undefined ? (x: unknown) => x : fnArg(a, name); return items.reduce((s: number, x) => s + Number(f(x)), 0) / items.length; }
    case 'Max': case 'Min': {
      if (items.length === 0) throw noElements();
      const f = a === undefined ? (x: unknown) => x : fnArg(a, name);
      const sign = name === 'Max' ? 1 : -1;
      return items.map((x) => f(x)).reduce((m, x) => (csCompare(x, m) * sign > 0 ? x : m));
    }
    case 'ToArray': case 'ToList': return items.slice();
    case 'ToDictionary': {
      const key = fnArg(a, name);
      const value = b === undefined ? (x: unknown) => x : fnArg(b, name);
      const map = new Map<unknown, unknown>();
      for (const x of items) {
        const k = key(x);
        if (map.has(k)) throw argumentError(`An item with the same key has already been added. Key: ${String(k)}`);
        map.set(k, value(x));
      }
      return new CsDict(map);
    }
    case 'OrderBy': case 'OrderByDescending': {
      const f = a === undefined ? (x: unknown) => x : fnArg(a, name);
      const sign = name === 'OrderBy' ? 1 : -1;
      st.step(items.length * Math.ceil(Math.log2(items.length + 1)));
      return items.map((x) => [f(x), x] as const).sort((x, y) => csCompare(x[0], y[0]) * sign).map((p) => p[1]);
    }
    case 'Contains': return items.some((x) => csEquals(x, a));
    case 'Concat': return st.items([...items, ...(enumerate(a) ?? [])]);
    case 'Skip': return items.slice(Math.max(0, Number(a)));
    case 'Take': return items.slice(0, Math.max(0, Number(a)));
    case 'Distinct': { const out: unknown[] = []; for (const x of items) if (!out.some((y) => csEquals(x, y))) out.push(x); return out; }
    case 'Reverse': return items.slice().reverse();
    case 'ElementAt': { const x = items[Number(a)]; if (x === undefined) throw argumentError('Index was out of range.'); return x; }
    case 'ElementAtOrDefault': return items[Number(a)] ?? null;
    case 'Cast': return items.map((x) => castTo(x, targs[0] ?? 'object'));
    case 'OfType': return items.filter((x) => { try { castTo(x, targs[0] ?? 'object'); return x !== null; } catch { return false; } });
  }
  return NO_MEMBER;
}

function findLast(items: unknown[], pred: (x: unknown) => boolean): unknown {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i])) return items[i];
  return undefined;
}

function listMethod(list: unknown[], name: string, args: unknown[]): unknown {
  const [a, b] = args;
  switch (name) {
    case 'Add': if (list.length >= 100_000) throw argumentError('the list is too long'); list.push(a); return null;
    case 'AddRange': list.push(...(enumerate(a) ?? [])); return null;
    case 'Remove': { const i = list.findIndex((x) => csEquals(x, a)); if (i >= 0) list.splice(i, 1); return i >= 0; }
    case 'RemoveAt': list.splice(Number(a), 1); return null;
    case 'Insert': list.splice(Number(a), 0, b); return null;
    case 'Clear': list.length = 0; return null;
    case 'IndexOf': return list.findIndex((x) => csEquals(x, a));
    case 'Contains': return list.some((x) => csEquals(x, a));
  }
  return NO_MEMBER;
}

function dictMethod(d: CsDict, name: string, args: unknown[]): unknown {
  const [a, b] = args;
  switch (name) {
    case 'ContainsKey': return d.map.has(a);
    case 'ContainsValue': return [...d.map.values()].some((x) => csEquals(x, a));
    case 'GetValueOrDefault': return d.map.has(a) ? d.map.get(a) : b ?? null;
    case 'TryGetValue': { const has = d.map.has(a); writeOut(b, has ? d.map.get(a) : null); return has; }
    case 'Add': if (d.map.has(a)) throw argumentError(`An item with the same key has already been added. Key: ${String(a)}`); d.map.set(a, b); return null;
    case 'Remove': return d.map.delete(a);
  }
  return NO_MEMBER;
}

export function collectionProp(recv: unknown, name: string): unknown {
  if (Array.isArray(recv)) return name === 'Count' || name === 'Length' ? recv.length : NO_MEMBER;
  if (recv instanceof Uint8Array) return name === 'Length' ? recv.length : NO_MEMBER;
  if (recv instanceof CsDict) {
    switch (name) {
      case 'Count': return recv.map.size;
      case 'Keys': return [...recv.map.keys()];
      case 'Values': return [...recv.map.values()];
    }
  }
  if (recv instanceof KeyValue) return name === 'Key' ? recv.key : name === 'Value' ? recv.value : NO_MEMBER;
  return NO_MEMBER;
}
