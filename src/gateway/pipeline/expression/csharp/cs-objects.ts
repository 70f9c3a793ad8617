/**
 * Members of the .NET objects expressions meet: Newtonsoft's JObject/JArray/JProperty and JValue
 * (a plain JS value), DateTime, TimeSpan, APIM's Jwt and BasicAuthCredentials, Uri, Regex and
 * Match, Encoding, StringBuilder.
 */
import { Buffer } from 'node:buffer';
import { declareMembers } from './cs-names.js';
import type { EvalState } from './cs-state.js';
import { NO_MEMBER } from './cs-view.js';
import { BasicCredentials, castTo, JoinedDict, CsDateTime, CsDict, CsTimeSpan, CsUri, JArray, JObject, JProperty, jsonText, Jwt, RegexMatch, toToken } from './cs-values.js';
import { csString, formatDate } from './cs-convert.js';
import { argumentError } from './cs-error.js';
import { writeOut } from './cs-out.js';
import { compileCaptureRegex, RegexSyntaxError, type CaptureVm, type PikeVm } from '../regex/index.js';
import { GroupCollection, RegexCapture, regexMethod, regexProp, runMatch, runMatches } from './cs-regex.js';
import { MAX_MATCH_INPUT } from '../ast.js';
import { CsRandom, randomMethod } from './cs-random.js';
import { CsHash, CsSymmetric, cryptoMethod, cryptoProp, symmetricMethod, symmetricProp } from './cs-crypto.js';
import { xmlMethod, xmlProp } from './cs-xml.js';

declareMembers(['Value', 'HasValue', 'Values', 'Property', 'Properties', 'SelectToken', 'ToObject', 'Name', 'HasValues', 'Type', 'Parent', 'Children',
  'GetValue', 'Year', 'Month', 'Day', 'Hour', 'Minute', 'Second', 'Millisecond', 'Ticks', 'Date', 'DayOfWeek', 'Kind', 'AddSeconds',
  'AddMinutes', 'AddHours', 'AddDays', 'AddMonths', 'AddYears', 'AddMilliseconds', 'AddTicks', 'Subtract', 'ToUniversalTime', 'ToLocalTime',
  'ToUnixTimeSeconds', 'ToUnixTimeMilliseconds', 'UtcDateTime', 'TotalSeconds', 'TotalMilliseconds', 'TotalMinutes', 'TotalHours', 'TotalDays',
  'Seconds', 'Minutes', 'Hours', 'Days', 'Milliseconds', 'Claims', 'Header', 'Algorithm', 'Audiences', 'ExpirationTime', 'Id', 'Issuer',
  'IssuedAt', 'NotBefore', 'Subject', 'UserId', 'Password', 'AbsolutePath', 'AbsoluteUri', 'PathAndQuery', 'Success', 'IsMatch', 'Match',
  'GetBytes', 'GetString', 'Append', 'AppendLine', 'Host', 'Port', 'Scheme', 'Query']);

/** A Regex made by `new Regex(pattern)`: the pattern was compiled (Pike VM) when the expression was bound. */
export class CsRegex {
  private captureVm: CaptureVm | null = null;
  constructor(readonly vm: PikeVm, readonly pattern: string, readonly flags: string) {}
  /** The capturing program, compiled on first Match (IsMatch never needs it). */
  capturing(): CaptureVm {
    if (this.captureVm === null) {
      try { this.captureVm = compileCaptureRegex(this.pattern, this.flags); } catch (err) {
        if (err instanceof RegexSyntaxError) throw argumentError(`Invalid pattern '${this.pattern}': ${err.message}`);
        throw err;
      }
    }
    return this.captureVm;
  }
}

export class CsEncoding {
  constructor(readonly name: 'utf8' | 'ascii' | 'utf16le') {}
}

export class CsStringBuilder {
  text = '';
}

export function objectProp(recv: unknown, name: string): unknown {
  if (recv instanceof JObject) return name === 'Count' ? recv.props.size : name === 'HasValues' ? recv.props.size > 0 : name === 'Type' ? 'Object' : NO_MEMBER;
  if (recv instanceof JArray) return name === 'Count' ? recv.items.length : name === 'HasValues' ? recv.items.length > 0 : name === 'Type' ? 'Array' : NO_MEMBER;
  if (recv instanceof JProperty) return name === 'Name' ? recv.name : name === 'Value' ? recv.value : NO_MEMBER;
  if (recv instanceof CsDateTime) return dateProp(recv, name);
  if (recv instanceof CsTimeSpan) return spanProp(recv.ms, name);
  if (recv instanceof Jwt) return jwtProp(recv, name);
  if (recv instanceof BasicCredentials) return name === 'UserId' ? recv.userId : name === 'Password' ? recv.password : NO_MEMBER;
  if (recv instanceof CsUri) return uriProp(recv.url, name);
  if (recv instanceof RegexMatch || recv instanceof RegexCapture || recv instanceof GroupCollection) return regexProp(recv, name);
  if (recv instanceof CsStringBuilder) return name === 'Length' ? recv.text.length : NO_MEMBER;
  if (recv instanceof CsHash) return cryptoProp(recv, name);
  if (recv instanceof CsSymmetric) return symmetricProp(recv, name);
  return xmlProp(recv, name);
}

export function objectMethod(recv: unknown, name: string, args: unknown[], st: EvalState, targs: string[]): unknown {
  const [a, b] = args;
  if (recv instanceof JObject) {
    switch (name) {
      case 'Property': return recv.props.has(String(a)) ? new JProperty(String(a), recv.props.get(String(a))) : null;
      case 'Properties': return [...recv.props].map(([k, v]) => new JProperty(k, v));
      case 'ContainsKey': return recv.props.has(String(a));
      case 'TryGetValue': { const has = recv.props.has(String(a)); writeOut(b, has ? recv.props.get(String(a)) : null); return has; }
      case 'GetValue': return recv.props.get(String(a)) ?? null;
      case 'Value': return targs.length > 0 ? castTo(recv.props.get(String(a)) ?? null, targs[0]) : recv.props.get(String(a)) ?? null;
      case 'Add': {
        if (a instanceof JProperty) { recv.props.set(a.name, a.value); return null; }
        if (recv.props.has(String(a))) throw argumentError(`Can not add property ${String(a)} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.`);
        recv.props.set(String(a), toToken(b)); return null;
      }
      case 'Remove': return recv.props.delete(String(a));
      case 'SelectToken': return selectToken(recv, String(a));
      case 'ToString': return st.str(jsonText(recv, a !== 0));
      case 'ToObject': return targs[0] === 'string' ? jsonText(recv, false) : recv;
    }
  }
  if (recv instanceof JArray) {
    switch (name) {
      case 'ToString': return st.str(jsonText(recv, a !== 0));
      case 'SelectToken': return selectToken(recv, String(a));
      case 'Value': return targs.length > 0 ? castTo(recv.items[Number(a)] ?? null, targs[0]) : recv.items[Number(a)] ?? null;
      case 'Add': recv.items.push(toToken(a)); return null;
      case 'Values': return targs.length > 0 ? recv.items.map((x) => castTo(x, targs[0])) : recv.items.slice();
      case 'ToObject': return recv.items.slice();
    }
  }
  if (recv instanceof CsDateTime) return dateMethod(recv, name, args);
  if (recv instanceof CsTimeSpan) return name === 'Add' ? new CsTimeSpan(recv.ms + (a as CsTimeSpan).ms) : name === 'Subtract' ? new CsTimeSpan(recv.ms - (a as CsTimeSpan).ms) : NO_MEMBER;
  if (recv instanceof CsRegex) {
    const input = String(a ?? '');
    if (input.length > MAX_MATCH_INPUT) throw argumentError(`Regex input longer than ${MAX_MATCH_INPUT} characters.`);
    if (name === 'IsMatch') { const r = recv.vm.test(input); st.step(recv.vm.lastSteps); return r; }
    if (name === 'Match') return runMatch(recv.capturing(), input, 0, st);
    if (name === 'Matches') return runMatches(recv.capturing(), input, st);
  }
  if (recv instanceof RegexMatch || recv instanceof RegexCapture) return regexMethod(recv, name, st);
  if (recv instanceof CsEncoding) {
    if (name === 'GetBytes') return new Uint8Array(Buffer.from(csString(a), recv.name));
    if (name === 'GetString') return st.str(Buffer.from(a as Uint8Array).toString(recv.name));
  }
  if (recv instanceof CsStringBuilder) {
    if (name === 'Append' || name === 'AppendLine') { recv.text = st.str(recv.text + csString(a) + (name === 'AppendLine' ? '\r\n' : '')); return recv; }
    if (name === 'ToString') return recv.text;
  }
  if (recv instanceof CsRandom) return randomMethod(recv, name, args);
  if (recv instanceof CsHash) return cryptoMethod(recv, name, args);
  if (recv instanceof Uint8Array) return symmetricMethod(recv, name, args);
  if (recv instanceof CsSymmetric && (name === 'Dispose' || name === 'Clear')) return null;
  const xml = xmlMethod(recv, name, args, st);
  if (xml !== NO_MEMBER) return xml;
  if (recv instanceof Jwt && name === 'Claims') return NO_MEMBER;
  // A JValue is a plain value: Value<T>() converts it, ToObject<T>() likewise.
  if ((name === 'Value' || name === 'ToObject') && (typeof recv === 'string' || typeof recv === 'number' || typeof recv === 'boolean')) {
    return targs.length > 0 ? castTo(recv, targs[0]) : recv;
  }
  return NO_MEMBER;
}

/** SelectToken with simple paths: `a.b`, `a[0].b`, `$.a`, `['a b']`. */
function selectToken(root: unknown, path: string): unknown {
  let cur: unknown = root;
  const re = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]/gy;
  let text = path.startsWith('$') ? path.slice(1) : path;
  if (text.startsWith('.')) text = text.slice(1);
  re.lastIndex = 0;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (m === null) throw argumentError(`Unsupported SelectToken path "${path}" (simple paths only: a.b[0]['c']).`);
    const key = m[1] ?? m[3];
    if (key !== undefined) cur = cur instanceof JObject ? cur.props.get(key) ?? null : null;
    else cur = cur instanceof JArray ? cur.items[Number(m[2])] ?? null : null;
    if (cur === null) return null;
  }
  return cur;
}

function dateProp(d: CsDateTime, name: string): unknown {
  const t = new Date(d.ms);
  switch (name) {
    case 'Year': return t.getUTCFullYear();
    case 'Month': return t.getUTCMonth() + 1;
    case 'Day': return t.getUTCDate();
    case 'Hour': return t.getUTCHours();
    case 'Minute': return t.getUTCMinutes();
    case 'Second': return t.getUTCSeconds();
    case 'Millisecond': return t.getUTCMilliseconds();
    case 'Ticks': return d.ms * 10_000 + 621_355_968_000_000_000;
    case 'Date': return new CsDateTime(d.ms - (d.ms % 86_400_000));
    case 'DayOfWeek': return t.getUTCDay();
    case 'Kind': return 1;
    case 'UtcDateTime': return d;
  }
  return NO_MEMBER;
}

function dateMethod(d: CsDateTime, name: string, args: unknown[]): unknown {
  const n = Number(args[0]);
  const add = (ms: number) => new CsDateTime(d.ms + ms);
  switch (name) {
    case 'AddMilliseconds': return add(n);
    case 'AddSeconds': return add(n * 1000);
    case 'AddMinutes': return add(n * 60_000);
    case 'AddHours': return add(n * 3_600_000);
    case 'AddDays': return add(n * 86_400_000);
    case 'AddTicks': return add(n / 10_000);
    case 'AddMonths': case 'AddYears': {
      const t = new Date(d.ms);
      if (name === 'AddMonths') t.setUTCMonth(t.getUTCMonth() + n); else t.setUTCFullYear(t.getUTCFullYear() + n);
      return new CsDateTime(t.getTime());
    }
    case 'Add': return add((args[0] as CsTimeSpan).ms);
    case 'Subtract': return args[0] instanceof CsDateTime ? new CsTimeSpan(d.ms - args[0].ms) : add(-(args[0] as CsTimeSpan).ms);
    case 'ToUniversalTime': case 'ToLocalTime': return d;
    case 'ToString': return formatDate(d, args[0] === undefined ? 'G' : String(args[0]));
    case 'ToUnixTimeSeconds': return Math.floor(d.ms / 1000);
    case 'ToUnixTimeMilliseconds': return d.ms;
  }
  return NO_MEMBER;
}

function spanProp(ms: number, name: string): unknown {
  switch (name) {
    case 'TotalMilliseconds': return ms;
    case 'TotalSeconds': return ms / 1000;
    case 'TotalMinutes': return ms / 60_000;
    case 'TotalHours': return ms / 3_600_000;
    case 'TotalDays': return ms / 86_400_000;
    case 'Milliseconds': return Math.trunc(ms % 1000);
    case 'Seconds': return Math.trunc(ms / 1000) % 60;
    case 'Minutes': return Math.trunc(ms / 60_000) % 60;
    case 'Hours': return Math.trunc(ms / 3_600_000) % 24;
    case 'Days': return Math.trunc(ms / 86_400_000);
    case 'Ticks': return ms * 10_000;
  }
  return NO_MEMBER;
}

/** Jwt as APIM shows it; Claims is a dictionary of string[] (GetValueOrDefault joins with ","). */
function jwtProp(j: Jwt, name: string): unknown {
  const c = j.claims;
  const str = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
  const date = (v: unknown) => (typeof v === 'number' ? new CsDateTime(v * 1000) : null);
  switch (name) {
    case 'Claims': return new ClaimsDict(c);
    case 'Header': return new CsDict(new Map(Object.entries(j.header).map(([k, v]) => [k, str(v)])));
    case 'Algorithm': return str(j.header.alg);
    case 'Type': return str(j.header.typ);
    case 'Audiences': return Array.isArray(c.aud) ? c.aud.map(str) : c.aud === undefined ? [] : [str(c.aud)];
    case 'ExpirationTime': return date(c.exp);
    case 'IssuedAt': return date(c.iat);
    case 'NotBefore': return date(c.nbf);
    case 'Id': return str(c.jti);
    case 'Issuer': return str(c.iss);
    case 'Subject': return str(c.sub);
  }
  return NO_MEMBER;
}

/** Jwt.Claims: IReadOnlyDictionary<string, string[]> whose GetValueOrDefault returns the values joined. */
export class ClaimsDict extends JoinedDict {
  constructor(claims: Record<string, unknown>) {
    super(new Map(Object.entries(claims).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))])));
  }
}

function uriProp(u: URL, name: string): unknown {
  switch (name) {
    case 'Host': return u.hostname;
    case 'Port': return u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    case 'Scheme': return u.protocol.slice(0, -1);
    case 'AbsolutePath': return u.pathname;
    case 'AbsoluteUri': return u.toString();
    case 'PathAndQuery': return u.pathname + u.search;
    case 'Query': return u.search;
  }
  return NO_MEMBER;
}

export { CsDict };
