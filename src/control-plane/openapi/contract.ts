/**
 * What an OpenAPI operation declares, as the operation's contract (api-contract-schema.ts), for
 * the validation policies: parameters (query, path, header; cookies are not checked), the
 * request's content types with their schemas, and the responses by status code with headers and
 * content types. As APIM's import keeps the schemas in the API definition, each schema here is
 * inlined: local `$ref`s are resolved into it (a reference cycle becomes an unconstrained `{}`).
 * A schema the validator cannot compile is dropped (its content type stays declared), so an
 * import is never refused for a schema it could skip. Only what fits the contract's bounds is
 * kept (counts, a 4 MB schema).
 */
import type { Doc } from '../store.js';
import { isObject, type Json } from './servers.js';
import { resolveRef } from './query-template.js';
import { jsonSchemaProblem } from '../../shared/json-schema.js';

const SCALARS = new Set(['string', 'integer', 'number', 'boolean']);
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_DEPTH = 32;

/** The contract fields of one operation (none when it declares nothing). */
export function contractOf(spec: Json, pathItem: Json, op: Json, swagger2: boolean): Doc {
  const out: Doc = {};
  const parameters: Doc[] = [];
  const byKey = new Map<string, Json>();
  for (const list of [pathItem.parameters, op.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = resolveRef(spec, raw);
      if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') byKey.set(`${p.in}\u0000${p.in === 'header' ? p.name.toLowerCase() : p.name}`, p);
    }
  }
  let bodyParam: Json | null = null;
  for (const p of byKey.values()) {
    if (p.in === 'body') { bodyParam = p; continue; }
    if (p.in !== 'query' && p.in !== 'path' && p.in !== 'header') continue;
    const schema = swagger2 ? p : resolveRef(spec, p.schema);
    const type = isObject(schema) && typeof schema.type === 'string' && SCALARS.has(schema.type) ? schema.type : 'string';
    parameters.push({ name: p.name, in: p.in, required: p.required === true || p.in === 'path', type });
  }
  if (parameters.length > 0) out.parameters = parameters.slice(0, 200);

  const request = swagger2 ? swagger2Representations(spec, op.consumes ?? spec.consumes, bodyParam?.schema) : openApi3Representations(spec, isObject(resolveRef(spec, op.requestBody)) ? (resolveRef(spec, op.requestBody) as Json).content : undefined);
  if (request.length > 0) out.request = { representations: request };

  const responses: Doc[] = [];
  const declared = isObject(op.responses) ? op.responses : {};
  for (const [code, raw] of Object.entries(declared)) {
    if (!/^[1-5]\d\d$/.test(code)) continue; // "default" and "2XX" name no one status
    const r = resolveRef(spec, raw);
    if (!isObject(r)) continue;
    const headers: Doc[] = [];
    if (isObject(r.headers)) {
      for (const [name, rawHeader] of Object.entries(r.headers)) {
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || name.toLowerCase() === 'content-type') continue;
        const h = resolveRef(spec, rawHeader);
        const schema = isObject(h) ? (swagger2 ? h : resolveRef(spec, h.schema)) : undefined;
        const type = isObject(schema) && typeof schema.type === 'string' && SCALARS.has(schema.type) ? schema.type : 'string';
        headers.push({ name, required: isObject(h) && h.required === true, type });
      }
    }
    const representations = swagger2 ? swagger2Representations(spec, op.produces ?? spec.produces, r.schema) : openApi3Representations(spec, r.content);
    responses.push({ statusCode: Number(code), headers: headers.slice(0, 100), representations });
  }
  if (responses.length > 0) out.responses = responses.slice(0, 100);
  return out;
}

function representation(spec: Json, mediaType: string, schema: unknown): Doc | null {
  const type = mediaType.split(';')[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(type) || type.length > 256) return null;
  const inlined = schema === undefined ? undefined : inline(spec, schema, 0, []);
  const usable = isObject(inlined) && jsonSchemaProblem(inlined) === null ? inlined : undefined;
  return usable === undefined ? { contentType: type } : { contentType: type, schema: usable };
}

function openApi3Representations(spec: Json, content: unknown): Doc[] {
  if (!isObject(content)) return [];
  const out: Doc[] = [];
  for (const [mediaType, media] of Object.entries(content)) {
    const r = representation(spec, mediaType, isObject(media) ? media.schema : undefined);
    if (r !== null && !out.some((o) => o.contentType === r.contentType)) out.push(r);
  }
  return out.slice(0, 50);
}

function swagger2Representations(spec: Json, mediaTypes: unknown, schema: unknown): Doc[] {
  if (schema === undefined) return [];
  const types = Array.isArray(mediaTypes) && mediaTypes.length > 0 ? mediaTypes.filter((t): t is string => typeof t === 'string') : ['application/json'];
  const out: Doc[] = [];
  for (const t of types) {
    const r = representation(spec, t, schema);
    if (r !== null && !out.some((o) => o.contentType === r.contentType)) out.push(r);
  }
  return out.slice(0, 50);
}

/** The schema with every local `$ref` replaced by its target; a cycle (or a ref too deep) is `{}`. */
function inline(spec: Json, node: unknown, depth: number, stack: string[]): unknown {
  if (depth > MAX_DEPTH) return {};
  if (Array.isArray(node)) return node.map((x) => inline(spec, x, depth + 1, stack));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (stack.includes(ref)) return {};
    const target = resolveRef(spec, node);
    return target === undefined ? {} : inline(spec, target, depth + 1, [...stack, ref]);
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = inline(spec, v, depth + 1, stack);
  return out;
}
