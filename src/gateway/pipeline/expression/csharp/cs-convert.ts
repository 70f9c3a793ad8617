/**
 * .NET's ToString, equality and ordering over run-time values (cs-values.ts), and DateTime and
 * number formats (the standard ones real policies use, and custom yyyy-MM-dd HH:mm:ss.fff).
 */
import { BasicCredentials, CsAnonymous, CsDateTime, CsDict, CsTimeSpan, CsUri, JArray, JObject, JProperty, jsonText, Jwt, KeyValue, RegexMatch, typeName } from './cs-values.js';
import { View } from './cs-view.js';
import { RegexCapture } from './cs-regex.js';
import { XAttribute, XDocument, XElement, XName, xmlText } from './cs-xml-model.js';
import { formatError } from './cs-error.js';

/** What `x.ToString()` (and string concatenation, and interpolation) gives in .NET. */
export function csString(v: unknown, format: string | null = null): string {
  if (v === null || v === undefined) return '';
  switch (typeof v) {
    case 'string': return v;
    case 'boolean': return v ? 'True' : 'False';
    case 'number': return format === null ? numberText(v) : formatNumber(v, format);
  }
  if (v instanceof CsDateTime) return formatDate(v, format ?? 'G');
  if (v instanceof CsTimeSpan) return timeSpanText(v.ms);
  if (v instanceof JObject || v instanceof JArray) return jsonText(v, true);
  if (v instanceof JProperty) return `"${v.name}": ${jsonText(v.value, true)}`;
  if (v instanceof CsUri) return v.url.toString();
  if (v instanceof KeyValue) return `[${csString(v.key)}, ${csString(v.value)}]`;
  // C#'s anonymous type ToString: `{ a = 1, b = x }`.
  if (v instanceof CsAnonymous) return v.props.size === 0 ? '{ }' : `{ ${[...v.props].map(([k, x]) => `${k} = ${csString(x)}`).join(', ')} }`;
  if (v instanceof RegexMatch) return v.value;
  if (v instanceof RegexCapture) return v.value;
  if (v instanceof XElement) return xmlText(v);
  if (v instanceof XDocument) return xmlText(v.root);
  if (v instanceof XName) return v.text();
  if (v instanceof XAttribute) return `${v.qualified}="${v.value}"`;
  if (v instanceof Jwt) return v.raw;
  if (v instanceof Uint8Array) return 'System.Byte[]';
  if (v instanceof View) { const s = v.call('ToString', [], null as never, []); return typeof s === 'string' ? s : v.csType; }
  if (Array.isArray(v)) return 'System.Collections.Generic.List`1[System.Object]';
  if (v instanceof CsDict || v instanceof BasicCredentials) return typeName(v);
  return String(v);
}

function numberText(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return Number.isFinite(n) ? String(n) : n > 0 ? '∞' : n < 0 ? '-∞' : 'NaN';
  return String(n).replace(/e([+-])(\d)$/, 'E$10$2');
}

function formatNumber(n: number, format: string): string {
  const m = /^([DdFfNnXx])(\d*)$/.exec(format);
  if (!m) return numberText(n);
  const digits = m[2] === '' ? null : Math.min(Number(m[2]), 20);
  switch (m[1]) {
    case 'D': case 'd': return Math.trunc(n).toString().padStart(digits ?? 0, '0');
    case 'F': case 'f': return n.toFixed(digits ?? 2);
    case 'N': case 'n': return n.toLocaleString('en-US', { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
    case 'X': return Math.trunc(n).toString(16).toUpperCase().padStart(digits ?? 0, '0');
    default: return Math.trunc(n).toString(16).padStart(digits ?? 0, '0');
  }
}

export function timeSpanText(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let t = Math.abs(ms);
  const days = Math.floor(t / 86_400_000); t -= days * 86_400_000;
  const h = Math.floor(t / 3_600_000); t -= h * 3_600_000;
  const m = Math.floor(t / 60_000); t -= m * 60_000;
  const s = Math.floor(t / 1000); t -= s * 1000;
  const frac = t > 0 ? `.${String(Math.round(t * 10_000)).padStart(7, '0')}` : '';
  return `${sign}${days > 0 ? `${days}.` : ''}${p2(h)}:${p2(m)}:${p2(s)}${frac}`;
}

const p2 = (n: number) => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** DateTime.ToString(format): standard formats o, O, s, u, r, R, G, d and custom patterns. UTC. */
export function formatDate(d: CsDateTime, format: string): string {
  const t = new Date(d.ms);
  switch (format) {
    case 'o': case 'O': return `${formatDate(d, 'yyyy-MM-ddTHH:mm:ss.fffffff')}Z`;
    case 's': return formatDate(d, 'yyyy-MM-ddTHH:mm:ss');
    case 'u': return formatDate(d, 'yyyy-MM-dd HH:mm:ssZ');
    case 'r': case 'R': return t.toUTCString();
    case 'G': case '': return formatDate(d, 'M/d/yyyy h:mm:ss tt');
    case 'd': return formatDate(d, 'M/d/yyyy');
  }
  if (format.length === 1) throw formatError(`Input string was not in a correct format (date format "${format}").`);
  let out = '';
  const re = /yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|tt|zzz|K|'[^']*'|"[^"]*"|\\.|./g;
  for (const [tok] of format.matchAll(re)) {
    switch (tok) {
      case 'yyyy': out += String(t.getUTCFullYear()).padStart(4, '0'); break;
      case 'yy': out += p2(t.getUTCFullYear() % 100); break;
      case 'MMMM': out += new Intl.DateTimeFormat('en-US', { month: 'long', timeZone: 'UTC' }).format(t); break;
      case 'MMM': out += MONTHS[t.getUTCMonth()]; break;
      case 'MM': out += p2(t.getUTCMonth() + 1); break;
      case 'M': out += String(t.getUTCMonth() + 1); break;
      case 'dddd': out += new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: 'UTC' }).format(t); break;
      case 'ddd': out += DAYS[t.getUTCDay()]; break;
      case 'dd': out += p2(t.getUTCDate()); break;
      case 'd': out += String(t.getUTCDate()); break;
      case 'HH': out += p2(t.getUTCHours()); break;
      case 'H': out += String(t.getUTCHours()); break;
      case 'hh': out += p2(t.getUTCHours() % 12 || 12); break;
      case 'h': out += String(t.getUTCHours() % 12 || 12); break;
      case 'mm': out += p2(t.getUTCMinutes()); break;
      case 'm': out += String(t.getUTCMinutes()); break;
      case 'ss': out += p2(t.getUTCSeconds()); break;
      case 's': out += String(t.getUTCSeconds()); break;
      case 'tt': out += t.getUTCHours() < 12 ? 'AM' : 'PM'; break;
      case 'zzz': out += '+00:00'; break;
      case 'K': out += 'Z'; break;
      default:
        if (/^f+$/.test(tok)) out += String(t.getUTCMilliseconds()).padStart(3, '0').padEnd(tok.length, '0').slice(0, tok.length);
        else if (tok.startsWith("'") || tok.startsWith('"')) out += tok.slice(1, -1);
        else if (tok.startsWith('\\')) out += tok.slice(1);
        else out += tok;
    }
  }
  return out;
}

/** `==` in C#: value equality for strings, numbers, bools, dates; reference equality otherwise. */
export function csEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof CsDateTime && b instanceof CsDateTime) return a.ms === b.ms;
  if (a instanceof CsTimeSpan && b instanceof CsTimeSpan) return a.ms === b.ms;
  return false;
}

/** Ordering for < > <= >=, OrderBy and CompareTo: numbers, strings (ordinal), dates, time spans. */
export function csCompare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof CsDateTime && b instanceof CsDateTime) return Math.sign(a.ms - b.ms);
  if (a instanceof CsTimeSpan && b instanceof CsTimeSpan) return Math.sign(a.ms - b.ms);
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw formatError(`Cannot compare ${typeName(a)} with ${typeName(b)}.`);
}

/** Parses a date as DateTime.Parse does for the ISO 8601 and RFC 1123 forms; null if it cannot. */
export function parseDate(s: string): CsDateTime | null {
  const t = s.trim();
  if (!/^\d{4}-\d{2}-\d{2}|^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4}|^\d{1,2}\/\d{1,2}\/\d{4}/.test(t)) return null;
  const iso = /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(t) ? `${t}${t.includes('T') ? 'Z' : 'T00:00:00Z'}` : t;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new CsDateTime(ms);
}
