/**
 * `new T(...)` for the types the subset allows (the parser refused the others): JObject, JArray,
 * JProperty, List<T>, Dictionary<K,V>, Uri, string(char, count), DateTime, TimeSpan, Guid (from
 * a string or 16 bytes), StringBuilder, StringReader, Regex (compiled on the Pike VM),
 * KeyValuePair, Random, the HMAC and SHA*Managed hash types, the AES/TripleDES algorithm types,
 * `new byte[n]`, and anonymous objects. Collection initializers call Add; `[key] = value` the
 * indexer; `Name = value` the settable properties of the crypto types (cs-crypto.ts).
 */
import type { Node } from './cs-ast.js';
import { budgetError, MAX_ITEMS, MAX_STRING, type EvalState } from './cs-state.js';
import { CsAnonymous, CsDateTime, CsDict, CsTimeSpan, CsUri, JArray, JObject, JProperty, KeyValue, toToken } from './cs-values.js';
import { CsStringBuilder } from './cs-objects.js';
import { CsRandom } from './cs-random.js';
import { newCrypto, newSymmetric, setCryptoObjectProp, SYMMETRIC_TYPES } from './cs-crypto.js';
import { regexFor } from './cs-statics.js';
import { guidFromBytes, parseGuid } from './cs-arrays.js';
import { CsStringReader } from './cs-xml.js';
import { callMethod, indexSet } from './cs-members.js';
import { enumerate } from './cs-linq.js';
import { CsRuntimeError, formatError } from './cs-error.js';
import { csString } from './cs-convert.js';

type Ev = (st: EvalState) => unknown;

export function newObject(n: Extract<Node, { k: 'new' }>, expr: (n: Node) => Ev): Ev {
  const args = n.args.map(expr);
  const init = n.init?.map((group) => group.map(expr)) ?? null;
  const index = n.index?.map(([k, v]) => [expr(k), expr(v)] as const) ?? null;
  const props = n.props?.map(([name, v]) => [name, expr(v)] as const) ?? null;
  const make = maker(n.type.replace(/<.*$/, ''));
  return (st) => {
    st.step();
    const obj = make(args.map((a) => a(st)), st);
    if (props !== null) for (const [name, v] of props) setInitProp(obj, name, v(st));
    if (init !== null) for (const group of init) callMethod(obj, 'Add', group.map((g) => g(st)), [], st);
    if (index !== null) for (const [k, v] of index) indexSet(obj, [k(st)], v(st));
    return obj;
  };
}

function maker(type: string): (args: unknown[], st: EvalState) => unknown {
  if (type === 'byte[]') {
    return ([n], st) => {
      const size = Number(n);
      if (!Number.isInteger(size) || size < 0) throw new CsRuntimeError('OverflowException', 'Arithmetic operation resulted in an overflow.');
      if (size > MAX_STRING) throw budgetError(`built a byte[] of more than ${MAX_STRING} bytes`);
      st.step(size >> 10);
      return new Uint8Array(size);
    };
  }
  if (type.endsWith('[]')) {
    const fill = /^(int|long|double)\[\]$/.test(type) ? 0 : type === 'bool[]' ? false : null;
    return ([n], st) => st.items(new Array<unknown>(Math.max(0, Math.min(Number(n), MAX_ITEMS + 1))).fill(fill));
  }
  switch (type) {
    case 'JObject': return (args) => {
      const o = new JObject();
      for (const a of args) {
        if (a instanceof JProperty) o.props.set(a.name, toToken(a.value));
        else if (a instanceof JObject) for (const [k, v] of a.props) o.props.set(k, v);
        else for (const x of enumerate(a) ?? []) if (x instanceof JProperty) o.props.set(x.name, toToken(x.value));
      }
      return o;
    };
    case 'JArray': return (args) => new JArray(args.length === 1 && enumerate(args[0]) !== null && typeof args[0] !== 'string' && !(args[0] instanceof JObject) ? enumerate(args[0])!.map(toToken) : args.map(toToken));
    case 'JProperty': return ([name, value]) => new JProperty(csString(name), toToken(value));
    case 'List': return ([from]) => (from === undefined ? [] : (enumerate(from) ?? []).slice());
    case 'Dictionary': return () => new CsDict();
    case 'KeyValuePair': return ([k, v]) => new KeyValue(k, v);
    case 'Random': return (args) => new CsRandom(...args);
    case 'anonymous': return (args) => {
      const props = new Map<string, unknown>();
      for (let i = 0; i < args.length; i += 2) props.set(args[i] as string, args[i + 1]);
      return new CsAnonymous(props);
    };
    case 'Uri': return ([text]) => { try { return new CsUri(new URL(csString(text))); } catch { throw formatError('Invalid URI: The format of the URI could not be determined.'); } };
    case 'string': return ([c, count], st) => st.str(csString(c).repeat(Math.max(0, Math.min(Number(count), 1 << 20))));
    case 'DateTime': return ([y, mo, d, h, mi, s]) => new CsDateTime(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)));
    case 'TimeSpan': return (a) => {
      const [d, h, m, s] = a.length === 3 ? [0, ...a] : a.length === 1 ? [0, 0, 0, Number(a[0]) / 10_000_000] : a;
      return new CsTimeSpan(((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000);
    };
    case 'Guid': return ([v]) => (v instanceof Uint8Array ? guidFromBytes(v) : parseGuid(v));
    case 'StringReader': return ([text]) => { if (typeof text !== 'string') throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 's')"); return new CsStringReader(text); };
    case 'StringBuilder': return ([text]) => { const b = new CsStringBuilder(); if (text !== undefined) b.text = csString(text); return b; };
    // Shares the bounded cache of compiled patterns with the static Regex.IsMatch.
    case 'Regex': return ([pattern, options]) => regexFor(pattern, options);
  }
  if (/^(HMAC|SHA)/.test(type)) return (args) => newCrypto(type, args);
  if (Object.hasOwn(SYMMETRIC_TYPES, type)) return () => newSymmetric(type);
  throw new Error(`new ${type} is outside the subset`);
}

/** A `Name = value` object initializer on what the parser allowed (cs-crypto.ts isSettable). */
function setInitProp(obj: unknown, name: string, value: unknown): void {
  if (!setCryptoObjectProp(obj, name, value)) throw new Error(`no settable property ${name}`);
}
