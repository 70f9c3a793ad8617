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
    } else if (seg === '.' || seg === '..') {
      return 'dot segments are not allowed';
    } else {
      let decoded: string;
      try { decoded = decodeURIComponent(seg); } catch { return `segment "${seg}" has invalid percent-encoding`; }
      out.push({ kind: 'static', value: decoded });
    }
  }
  return out;
}
