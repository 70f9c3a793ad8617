/**
 * Operation URL templates: `/items/{id}/parts/*`. A parameter is a whole segment; `*` may only be
 * the last segment and matches zero or more remaining segments. Shared by validation, the
 * compiler and the reference matcher so all three read templates the same way.
 *
 * A template may end in a query part, as APIM's do: `/items?id={id}&view={mode}`. Each pair names
 * a query parameter the request must carry (APIM: template query parameters are required; a
 * request without one matches no operation) and the template parameter its value is bound to, so
 * policies (rewrite-uri's `{mode}`) read it like a path parameter. The path part alone is routed.
 */
export type TemplateSegment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' };

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
    } else if (seg.startsWith('{') || seg.endsWith('}')) {
      const m = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/.exec(seg);
      if (!m) return `segment "${seg}" must be a whole parameter such as {id}`;
      if (names.has(m[1])) return `parameter {${m[1]}} appears twice`;
      names.add(m[1]);
      out.push({ kind: 'param', name: m[1] });
    } else {
      const decoded = decodeSegment(seg);
      if (typeof decoded !== 'string') return decoded.problem;
      out.push({ kind: 'static', value: decoded });
    }
  }
  return out;
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
export function checkTemplate(template: string): { path: TemplateSegment[]; query: TemplateQueryParam[] } | string {
  const path = splitTemplate(template);
  if (typeof path === 'string') return path;
  const query = splitTemplateQuery(template);
  if (typeof query === 'string') return query;
  for (const q of query) {
    if (path.some((s) => s.kind === 'param' && s.name === q.param)) return `parameter {${q.param}} appears twice`;
  }
  return { path, query };
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
