/**
 * Operation URL templates: `/items/{id}/parts/*`. A parameter is a whole segment, or part of one
 * (a pattern segment, as OpenAPI documents write them: `/{Sid}.json`, `/v{major}.{minor}`); `*` may
 * only be the last segment and matches zero or more remaining segments. Shared by validation, the
 * compiler and the reference matcher so all three read templates the same way.
 *
 * A pattern segment matches a request segment that starts with its first literal and ends with its
 * last (ASCII case-insensitive, as static segments), each parameter taking at least one character,
 * the first fitting split winning (shortest first parameter, then shortest second, …: the regex
 * `^lit(.+?)lit(.+?)lit$`). Two parameters side by side (`{a}{b}`) have no split and are refused.
 * Precedence at one position: static, then pattern (more literal characters first, then by
 * shape), then `{param}`, then `*`.
 *
 * A template may end in a query part, as APIM's do: `/items?id={id}&view={mode}`. Each pair names
 * a query parameter the request must carry (APIM: template query parameters are required; a
 * request without one matches no operation) and the template parameter its value is bound to, so
 * policies (rewrite-uri's `{mode}`) read it like a path parameter. The path part alone is routed.
 */
import { foldAscii } from './table-layout.js';

export type TemplateSegment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | PatternSegment
  | { kind: 'wildcard' };

/** `{Sid}.json` → literals ['', '.json'] (decoded, ASCII-lowercased), names ['Sid']. */
export interface PatternSegment { kind: 'pattern'; literals: string[]; names: string[] }

/** Parameters one segment may hold: enough for `{a}.{b}.{c}`, and a bound on backtracking. */
export const MAX_PATTERN_PARAMS = 4;

/** Returns the segments, or a string saying what is wrong with the template. */
export function splitTemplate(template: string): TemplateSegment[] | string {
  const raw = template.split('?')[0].split('/').filter((s) => s !== '');
  const out: TemplateSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i];
    if (seg === '*') {
      if (i !== raw.length - 1) return '"*" may only be the last segment';
      out.push({ kind: 'wildcard' });
    } else if (/^\{[^{}]*\}$/.test(seg)) {
      const m = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/.exec(seg);
      if (!m) return `segment "${seg}": "${seg.slice(1, -1)}" is not a parameter name`;
      if (names.has(m[1])) return `parameter {${m[1]}} appears twice`;
      names.add(m[1]);
      out.push({ kind: 'param', name: m[1] });
    } else if (seg.includes('{') || seg.includes('}')) {
      const pattern = splitPattern(seg);
      if (typeof pattern === 'string') return pattern;
      for (const name of pattern.names) {
        if (names.has(name)) return `parameter {${name}} appears twice`;
        names.add(name);
      }
      out.push(pattern);
    } else {
      const decoded = decodeSegment(seg);
      if (typeof decoded !== 'string') return decoded.problem;
      out.push({ kind: 'static', value: decoded });
    }
  }
  return out;
}

function splitPattern(seg: string): PatternSegment | string {
  const literals: string[] = [];
  const names: string[] = [];
  let rest = seg;
  for (;;) {
    const open = rest.indexOf('{');
    const literal = open < 0 ? rest : rest.slice(0, open);
    if (literal.includes('}')) return `segment "${seg}" has a "}" without its "{"`;
    if (literals.length > 0 && literal === '' && open >= 0) return `segment "${seg}": parameters side by side cannot be told apart; put a literal between them`;
    let decoded: string;
    try { decoded = decodeURIComponent(literal); } catch { return `segment "${seg}" has invalid percent-encoding`; }
    literals.push(foldAscii(decoded));
    if (open < 0) break;
    const close = rest.indexOf('}', open);
    const name = close < 0 ? '' : rest.slice(open + 1, close);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) return `segment "${seg}": "{${name}${close < 0 ? '' : '}'}" is not a parameter`;
    names.push(name);
    rest = rest.slice(close + 1);
  }
  if (names.length > MAX_PATTERN_PARAMS) return `segment "${seg}" has more than ${MAX_PATTERN_PARAMS} parameters`;
  return { kind: 'pattern', literals, names };
}

/** A pattern's shape: the same for `{a}.json` and `{b}.JSON` (one trie edge, one precedence). */
export function patternShape(p: PatternSegment): string {
  return p.literals.join('\u0001');
}

/** Literal characters of a pattern: more of them is more specific. */
export function patternLiteralLength(p: PatternSegment): number {
  return p.literals.reduce((n, l) => n + l.length, 0);
}

/**
 * The parameter values of `segment` against a pattern's literals (ASCII-lowercased), or null.
 * Backtracking, shortest parameter first; at most MAX_PATTERN_PARAMS levels deep.
 */
export function matchPattern(literals: readonly string[], segment: string): string[] | null {
  const folded = foldAscii(segment);
  if (!folded.startsWith(literals[0])) return null;
  const values: string[] = [];
  const last = literals.length - 1;
  const step = (k: number, from: number): boolean => {
    const literal = literals[k];
    if (k === last) {
      const end = folded.length - literal.length;
      if (end <= from || !folded.endsWith(literal)) return false;
      values.push(segment.slice(from, end));
      return true;
    }
    for (let at = folded.indexOf(literal, from + 1); at >= 0; at = folded.indexOf(literal, at + 1)) {
      values.push(segment.slice(from, at));
      if (step(k + 1, at + literal.length)) return true;
      values.pop();
    }
    return false;
  };
  return step(1, literals[0].length) ? values : null;
}

/**
 * What each router capture (one per `{param}` or pattern segment, in template order) binds: a
 * whole segment to one name (literals null), or a pattern's values to its names.
 */
export interface CaptureSpec { names: string[]; literals: string[] | null }

export function captureSpecs(template: string): CaptureSpec[] {
  const segments = splitTemplate(template);
  if (typeof segments === 'string') return [];
  const out: CaptureSpec[] = [];
  for (const s of segments) {
    if (s.kind === 'param') out.push({ names: [s.name], literals: null });
    else if (s.kind === 'pattern') out.push({ names: s.names, literals: s.literals });
  }
  return out;
}

/** Binds the captured segments by `specs` into `out`. */
export function bindCaptures(specs: readonly CaptureSpec[], segments: readonly string[], captures: Int32Array, count: number, out: Record<string, string>): void {
  for (let i = 0; i < count && i < specs.length; i++) {
    const { names, literals } = specs[i];
    const segment = segments[captures[i]];
    if (literals === null) { out[names[0]] = segment; continue; }
    const values = matchPattern(literals, segment);
    if (values !== null) names.forEach((name, k) => { out[name] = values[k]; });
  }
}

export interface TemplateQueryParam {
  /** The query parameter's name, decoded, as requests are compared (query-string.ts). */
  query: string;
  /** The template parameter it binds. */
  param: string;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

/** The query part's parameters ([] when there is none), or what is wrong with it. */
export function splitTemplateQuery(template: string): TemplateQueryParam[] | string {
  const q = template.indexOf('?');
  if (q < 0) return [];
  const out: TemplateQueryParam[] = [];
  for (const pair of template.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const m = PARAM.exec(eq < 0 ? '' : pair.slice(eq + 1));
    if (!m) return `query part "${pair}" must be name={parameter}, such as id={id} (APIM template query parameters are required and bound to a parameter)`;
    let query: string;
    try { query = decodeURIComponent(pair.slice(0, eq)); } catch { return `query parameter name "${pair.slice(0, eq)}" has invalid percent-encoding`; }
    if (query === '') return `query part "${pair}" has no parameter name`;
    if (out.some((p) => p.query === query)) return `query parameter "${query}" appears twice`;
    if (out.some((p) => p.param === m[1])) return `parameter {${m[1]}} appears twice`;
    out.push({ query, param: m[1] });
  }
  return out;
}

/** Path and query parameters of a template together, or the first problem (names must not repeat). */
export function checkTemplate(template: string): CheckedTemplate | string {
  const path = splitTemplate(template);
  if (typeof path === 'string') return path;
  const query = splitTemplateQuery(template);
  if (typeof query === 'string') return query;
  for (const q of query) {
    if (path.some((s) => s.kind === 'param' && s.name === q.param)) return `parameter {${q.param}} appears twice`;
  }
  return { path, query };
}

export type CheckedTemplate = { path: TemplateSegment[]; query: TemplateQueryParam[] };

/**
 * checkTemplate once per distinct template. Configs repeat templates (`/{id}`, `/health`, an
 * OpenAPI import per environment): at 500,000 operations, parsing each occurrence again was about
 * a second of validation and another of compiling. Results are shared between the operations
 * that use a template, so callers must not modify them. One memo per validation or compile: it
 * lives as long as that config, never across configs.
 */
export class TemplateMemo {
  private readonly checked = new Map<string, CheckedTemplate | string>();

  check(template: string): CheckedTemplate | string {
    let result = this.checked.get(template);
    if (result === undefined) { result = checkTemplate(template); this.checked.set(template, result); }
    return result;
  }
}

/**
 * Decodes one static path segment as the router will see it, or says why it can never be matched:
 * bad percent-encoding, or a dot segment (requests have those resolved before matching).
 */
export function decodeSegment(seg: string): string | { problem: string } {
  let decoded: string;
  try { decoded = decodeURIComponent(seg); } catch { return { problem: `segment "${seg}" has invalid percent-encoding` }; }
  if (decoded === '.' || decoded === '..') return { problem: `segment "${seg}" is a dot segment, which requests never contain after normalisation` };
  return decoded;
}

/** Decoded segments of an API path suffix ("v1/orders" → ["v1", "orders"]), or the problem. */
export function splitSuffix(path: string): string[] | string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '') continue;
    const decoded = decodeSegment(seg);
    if (typeof decoded !== 'string') return decoded.problem;
    out.push(decoded);
  }
  return out;
}
