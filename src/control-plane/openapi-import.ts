/**
 * OpenAPI import, as APIM imports: an API's operations from a document's paths. OpenAPI 3.x and
 * Swagger 2.0, JSON or YAML. The backend URL is the document's server (openapi/servers.ts: server
 * variables substituted, the first https server preferred; Swagger's schemes, host and basePath);
 * required query parameters go into each operation's URL template (openapi/query-template.ts);
 * parameters, request and response content types (schemas inlined) and responses become the
 * operation's contract, which the validation policies check (openapi/contract.ts).
 *
 * The result is an ordinary API document; it is validated and stored like any PUT, so a document
 * whose paths do not make valid URL templates is refused with field paths, never half-imported.
 * A document with only webhooks (OpenAPI 3.1: requests the API sends, not ones it serves) has no
 * operation to import and is answered with a message saying so.
 */
import { parse } from 'yaml';
import type { Doc } from './store.js';
import { isObject, openApi3Server, swagger2Server, type Json } from './openapi/servers.js';
import { requiredQueryNames, withQueryTemplate } from './openapi/query-template.js';
import { contractOf } from './openapi/contract.js';

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
  if (!isObject(spec)) return { ok: false, message: 'not an OpenAPI document' };
  const swagger2 = spec.swagger === '2.0';
  if (!swagger2 && !(typeof spec.openapi === 'string' && spec.openapi.startsWith('3.'))) {
    return { ok: false, message: 'only OpenAPI 3.x ("openapi": "3.x") and Swagger 2.0 ("swagger": "2.0") documents are supported' };
  }
  const paths = isObject(spec.paths) ? spec.paths : {};
  if (Object.keys(paths).length === 0) {
    return { ok: false, message: isObject(spec.webhooks) && Object.keys(spec.webhooks).length > 0
      ? 'the document defines only webhooks (requests the API sends to others), no paths: there is no operation to import'
      : 'the document has no paths: there is no operation to import' };
  }
  const server = swagger2 ? swagger2Server(spec) : openApi3Server(spec.servers);
  if (isObject(server)) return { ok: false, message: server.problem };
  const info = isObject(spec.info) ? spec.info : {};
  const doc: Doc = {
    ...existing,
    id,
    name: typeof info.title === 'string' && info.title !== '' ? info.title : id,
    path: overrides.path ?? existing?.path ?? id,
    serviceUrl: overrides.serviceUrl ?? server ?? existing?.serviceUrl,
    operations: operationsOf(spec, paths),
  };
  return { ok: true, doc };
}

function operationsOf(spec: Json, paths: Json): Doc[] {
  const operations: Doc[] = [];
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const wanted = typeof op.operationId === 'string' ? op.operationId : `${method}${path}`;
      let opId = wanted.replace(/[^A-Za-z0-9._~-]+/g, '-').replace(/^-+|-+$/g, '') || method;
      for (let n = 2; ids.has(opId); n++) opId = `${opId.replace(/-\d+$/, '')}-${n}`;
      ids.add(opId);
      // What the operation declares (parameters, content types with schemas, responses), for the validation policies.
      operations.push({ id: opId, method: method.toUpperCase(), urlTemplate: withQueryTemplate(path, requiredQueryNames(spec, item, op)), ...contractOf(spec, item, op, spec.swagger === '2.0') });
    }
  }
  return operations;
}
