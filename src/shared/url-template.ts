/**
 * Operation URL templates: `/items/{id}/parts/*`. A parameter is a whole segment; `*` may only be
 * the last segment and matches zero or more remaining segments. Shared by validation, the
 * compiler and the reference matcher so all three read templates the same way.
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
