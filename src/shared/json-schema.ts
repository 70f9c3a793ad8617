/**
 * JSON Schema validation with ajv: the one place that knows its options, used by the config check
 * (a schema that does not compile is a config problem, at load) and by validate-content in the
 * workers (each schema compiled once per generation, on first use, never per request).
 *
 * A fresh Ajv per compiled schema: Ajv keeps every schema it compiled in its own cache, and a
 * long-lived instance would hold every generation's schemas for the life of the worker.
 */
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

/**
 * ajv and ajv-formats, required on first use: only configs with JSON schemas (contracts,
 * validate-content) need them, and importing them cost every compiler thread and worker start
 * ~80 ms (both are CommonJS; ajv-formats' function is its `default`).
 */
let ajvModules: { Ajv: typeof Ajv; addFormats: (ajv: Ajv) => unknown } | null = null;
function loadAjv(): { Ajv: typeof Ajv; addFormats: (ajv: Ajv) => unknown } {
  if (ajvModules === null) {
    const require = createRequire(import.meta.url);
    ajvModules = { Ajv: (require('ajv') as typeof import('ajv')).Ajv, addFormats: (require('ajv-formats') as { default: (ajv: Ajv) => unknown }).default };
  }
  return ajvModules;
}

/** APIM's limit on a schema's size. */
const MAX_SCHEMA_CHARS = 4 * 1024 * 1024;
/** Errors reported per validation (APIM stops at the first set of errors). */
const MAX_REPORTED = 5;

function newAjv(): Ajv {
  const { Ajv, addFormats } = loadAjv();
  // strict: false: schemas from OpenAPI documents carry keywords JSON Schema does not know
  // (example, xml, discriminator...), which APIM ignores too.
  const ajv = new Ajv({ strict: false, allErrors: false, logger: false, validateSchema: true });
  addFormats(ajv);
  return ajv;
}

/** Why a schema document cannot be used, or null. */
export function jsonSchemaProblem(document: Record<string, unknown>): string | null {
  let text: string;
  try { text = JSON.stringify(document); } catch { return 'is not a JSON document'; }
  if (text.length > MAX_SCHEMA_CHARS) return `is ${text.length} characters long, over the limit of ${MAX_SCHEMA_CHARS}`;
  try {
    newAjv().compile(document);
    return null;
  } catch (err) {
    return `is not a usable JSON schema: ${(err as Error).message.slice(0, 300)}`;
  }
}

/** allow-additional-properties: null keeps the schema's own additionalProperties. */
export type AdditionalPropertiesOverride = boolean | null;

export type JsonValidator = (value: unknown) => string | null;

/**
 * Compiles `document` (with the additionalProperties override applied) into a function that
 * returns null when a value conforms, else ajv's first errors as one line.
 */
export function compileJsonSchema(document: Record<string, unknown>, override: AdditionalPropertiesOverride): JsonValidator {
  const schema = override === null ? document : withAdditionalProperties(document, override, 0);
  const validate: ValidateFunction = newAjv().compile(schema as Record<string, unknown>);
  return (value) => (validate(value) ? null : describeErrors(validate.errors ?? []));
}

function describeErrors(errors: readonly ErrorObject[]): string {
  return errors.slice(0, MAX_REPORTED).map((e) => {
    const where = e.instancePath === '' ? 'the body' : e.instancePath;
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
    return `${where} ${e.message ?? 'is invalid'}${extra}`;
  }).join('; ');
}

/**
 * A copy of the schema where every object schema allows (true) or refuses (false) properties it
 * does not list, whatever its own additionalProperties says (APIM's runtime override).
 */
function withAdditionalProperties(node: unknown, allow: boolean, depth: number): unknown {
  if (depth > 64 || node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((x) => withAdditionalProperties(x, allow, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    // Property names are data, not schemas: `properties` maps names to schemas.
    if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') {
      const inner: Record<string, unknown> = {};
      if (v !== null && typeof v === 'object') for (const [name, s] of Object.entries(v as Record<string, unknown>)) inner[name] = withAdditionalProperties(s, allow, depth + 1);
      out[k] = inner;
    } else if (k === 'enum' || k === 'const' || k === 'required' || k === 'examples' || k === 'example' || k === 'default') {
      out[k] = v;
    } else {
      out[k] = withAdditionalProperties(v, allow, depth + 1);
    }
  }
  const o = node as Record<string, unknown>;
  if (o.type === 'object' || 'properties' in o) out.additionalProperties = allow ? true : false;
  return out;
}
