/**
 * validate-content's body checks: JSON against a JSON schema (ajv, compiled once per schema and
 * override per worker generation), XML and SOAP for well-formedness (and, for SOAP, an Envelope
 * holding a Body). Outpost has no XSD validator: an XML body is not checked against a schema
 * (README, validate-content).
 */
import { fastXml, lazyXmlParser } from '../../shared/lazy-xml.js';
import { compileJsonSchema, type AdditionalPropertiesOverride, type JsonValidator } from '../../shared/json-schema.js';

/**
 * Validators by schema document. Documents are decoded per generation, so entries go with their
 * generation; a document compiles once per override (null, true, false) per worker.
 */
const compiled = new WeakMap<object, Map<AdditionalPropertiesOverride, JsonValidator>>();

export function validatorFor(document: Record<string, unknown>, override: AdditionalPropertiesOverride): JsonValidator {
  let byOverride = compiled.get(document);
  if (byOverride === undefined) { byOverride = new Map(); compiled.set(document, byOverride); }
  let v = byOverride.get(override);
  if (v === undefined) { v = compileJsonSchema(document, override); byOverride.set(override, v); }
  return v;
}

/** Null when the body is JSON that conforms (to `validator` when given); else why not. */
export function checkJsonBody(body: Buffer, validator: JsonValidator | null): string | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return `The body is not valid JSON: ${(err as Error).message}`;
  }
  return validator === null ? null : validator(value);
}

const soapParser = lazyXmlParser({ ignoreAttributes: true, removeNSPrefix: true, processEntities: false });

/** Null when the body is well-formed XML (a SOAP envelope with a Body, for soap); else why not. */
export function checkXmlBody(body: Buffer, soap: boolean): string | null {
  const text = body.toString('utf8');
  const valid = fastXml().XMLValidator.validate(text);
  if (valid !== true) return `The body is not well-formed XML: ${valid.err.msg} Line: ${valid.err.line}, Position: ${valid.err.col}`;
  if (!soap) return null;
  const doc = soapParser().parse(text) as Record<string, unknown>;
  const envelope = doc.Envelope;
  if (envelope === undefined || envelope === null || typeof envelope !== 'object') return 'The body is not a SOAP envelope (no Envelope root element).';
  if (!('Body' in (envelope as Record<string, unknown>))) return 'The SOAP envelope has no Body element.';
  return null;
}

/** The media type of a Content-Type value: before any parameter, trimmed, lowercased ('' when none). */
export function mediaType(contentType: string | null): string {
  if (contentType === null) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** A JSON pointer (`#/components/schemas/address`) inside a schema document, or null when it leads nowhere. */
export function resolveLocalRef(document: Record<string, unknown>, ref: string): Record<string, unknown> | null {
  if (!ref.startsWith('#')) return null;
  let node: unknown = document;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return null;
    node = (node as Record<string, unknown>)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? node as Record<string, unknown> : null;
}
