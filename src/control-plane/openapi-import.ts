/**
 * OpenAPI 3 import: an API's operations from a document's paths (JSON or YAML). The result is an
 * ordinary API document; it is validated and stored like any PUT, so a document whose paths do
 * not make valid URL templates is refused with field paths, never half-imported.
 */
import { parse } from 'yaml';
import type { Doc } from './store.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export type ImportResult = { ok: true; doc: Doc } | { ok: false; message: string };

/**
 * `existing` keeps what the document cannot say (path suffix, policies, subscription settings);
 * `overrides` are the query parameters `path` and `serviceUrl`.
 */
export function importOpenApi(id: string, text: string, existing: Doc | undefined, overrides: { path?: string; serviceUrl?: string }): ImportResult {
  let spec: unknown;
  try {
    spec = parse(text); // YAML is a superset of JSON: one parser takes both
  } catch (err) {
    return { ok: false, message: `not JSON or YAML: ${(err as Error).message}` };
  }
  if (typeof spec !== 'object' || spec === null) return { ok: false, message: 'not an OpenAPI document' };
  const s = spec as { openapi?: unknown; info?: { title?: unknown }; servers?: Array<{ url?: unknown }>; paths?: Record<string, Record<string, { operationId?: unknown }>> };
  if (typeof s.openapi !== 'string' || !s.openapi.startsWith('3.')) return { ok: false, message: 'only OpenAPI 3.x documents are supported ("openapi": "3.x")' };
  const operations: Doc[] = [];
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(s.paths ?? {})) {
    if (typeof item !== 'object' || item === null) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (typeof op !== 'object' || op === null) continue;
      const wanted = typeof op.operationId === 'string' ? op.operationId : `${method}${path}`;
      let opId = wanted.replace(/[^A-Za-z0-9._~-]+/g, '-').replace(/^-+|-+$/g, '') || method;
      for (let n = 2; ids.has(opId); n++) opId = `${opId.replace(/-\d+$/, '')}-${n}`;
      ids.add(opId);
      operations.push({ id: opId, method: method.toUpperCase(), urlTemplate: path });
    }
  }
  const server = typeof s.servers?.[0]?.url === 'string' ? s.servers[0].url : undefined;
  const title = typeof s.info?.title === 'string' && s.info.title !== '' ? s.info.title : id;
  const doc: Doc = {
    ...existing,
    id,
    name: title,
    path: overrides.path ?? existing?.path ?? id,
    serviceUrl: overrides.serviceUrl ?? server ?? existing?.serviceUrl,
    operations,
  };
  return { ok: true, doc };
}
