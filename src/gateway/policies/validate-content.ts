/**
 * validate-content (APIM): checks the size and content of the request body (inbound) or the
 * response body (outbound, on-error) against the content types the operation declares
 * (`request.representations`, `responses[].representations`: media type and JSON schema) or a
 * `schemas` entity named by schema-id.
 *
 * In order, as APIM: the size against max-size (size-exceeded-action); the content type, mapped
 * by `<content-type-map>` (`<type from|when to>` first, then missing-content-type-value for no
 * or an empty Content-Type, then any-content-type-value), must be one the operation declares or
 * a `<content>` names with a schema-id, else unspecified-content-type-action; then the `<content>`
 * for that type (or one with no type) validates the body as json (ajv; allow-additional-properties
 * overrides the schema's additionalProperties), xml or soap, with its action. Errors use APIM's
 * records and words (validation-report.ts); prevent answers 400 with the public words on a
 * request, 502 on a response.
 *
 * A schema-id the config does not have compiles (APIM resolves schemas at run time) and is
 * APIM's run-time ApiSchema error, "API's schema does not exist or it could not be resolved.",
 * under the content's action.
 *
 * Deviations (README): XML and SOAP bodies are checked for well-formedness only (no XSD
 * validator), so schema-id on them is refused; a request body without Content-Length (chunked)
 * cannot be held within max-size and counts as over it; a body is checked only when one is sent.
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import type { Section } from '../pipeline/phases.js';
import { childLocation, collectInto, PolicyCompileError, throwCollected, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindConditionProgram, type Program } from '../pipeline/expression/index.js';
import { compileEnv } from '../pipeline/compile-env.js';
import type { RepresentationSpec } from '../../shared/operation-contract.js';
import { allowOnly, boolAttr, conditionAttr, enumAttr, intAttr, optionalVariableName, stringAttr } from './attributes.js';
import { actionAttr, addError, finishReport, type ValidationReport, type Action } from './validation-report.js';
import { checkJsonBody, checkXmlBody, mediaType, resolveLocalRef, validatorFor } from './content-body-check.js';

/** APIM's largest max-size (100 KB). */
export const MAX_VALIDATED_BODY = 102_400;
const MAX_CONTENTS = 50;
const MAX_TYPE_MAPS = 50;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const INTERNAL = 'The request could not be processed due to an internal error. Contact the API owner.';

interface TypeMapping { from: string | null; when: Program | null; to: string }

interface ContentRule {
  /** Lowercased media type; '' applies to every declared content type. */
  type: string;
  validateAs: 'json' | 'xml' | 'soap';
  action: Action;
  /** schema-id as written, or null for the operation's own schema. */
  schemaId: string | null;
  /** The schema-id's document (with schema-ref applied), or null when the config does not have it. */
  schema: Record<string, unknown> | null;
  additionalProperties: boolean | null;
}

interface Config {
  unspecified: Action;
  maxSize: number;
  sizeExceeded: Action;
  variable: string | null;
  anyType: string | null;
  missingType: string | null;
  mappings: TypeMapping[];
  contents: ContentRule[];
  section: Section;
}

function mediaTypeAttr(el: PolicyElement, at: PolicyLocation, name: string): string | null {
  const raw = el.attrs[name];
  if (raw === undefined) return null;
  const t = raw.trim().toLowerCase();
  if (!MEDIA_TYPE.test(t)) throw new PolicyCompileError(at, name, `must be a media type such as application/json, got "${raw.slice(0, 100)}"`);
  return t;
}

function typeMap(el: PolicyElement, at: PolicyLocation): { anyType: string | null; missingType: string | null; mappings: TypeMapping[] } {
  allowOnly(el, at, ['any-content-type-value', 'missing-content-type-value'], ['type']);
  if (el.children.length > MAX_TYPE_MAPS) throw new PolicyCompileError(at, null, `at most ${MAX_TYPE_MAPS} <type> elements`);
  const sink: PolicyCompileError[] = [];
  const mappings: TypeMapping[] = [];
  el.children.forEach((child, i) => collectInto(sink, () => {
    const where = childLocation(at, 'type', i);
    allowOnly(child, where, ['from', 'when', 'to']);
    const hasFrom = child.attrs.from !== undefined;
    if (hasFrom === (child.attrs.when !== undefined)) throw new PolicyCompileError(where, null, 'give exactly one of from and when');
    mappings.push({
      from: hasFrom ? mediaTypeAttr(child, where, 'from') : null,
      when: hasFrom ? null : conditionAttr(child, where, 'when'),
      to: mediaTypeAttr(child, where, 'to') ?? (() => { throw new PolicyCompileError(where, 'to', 'is required'); })(),
    });
  }));
  throwCollected(sink);
  return { anyType: mediaTypeAttr(el, at, 'any-content-type-value'), missingType: mediaTypeAttr(el, at, 'missing-content-type-value'), mappings };
}

function contentRule(el: PolicyElement, at: PolicyLocation): ContentRule {
  allowOnly(el, at, ['type', 'validate-as', 'schema-id', 'schema-ref', 'action', 'allow-additional-properties']);
  const validateAs = enumAttr(el, at, 'validate-as', ['json', 'xml', 'soap'] as const, 'json');
  if (el.attrs['validate-as'] === undefined) throw new PolicyCompileError(at, 'validate-as', 'is required (json, xml or soap)');
  const schemaId = el.attrs['schema-id'] === undefined ? null : stringAttr(el, at, 'schema-id');
  const schemaRef = el.attrs['schema-ref'] ?? null;
  if (validateAs !== 'json' && schemaId !== null) throw new PolicyCompileError(at, 'schema-id', `validate-as="${validateAs}" needs an XML schema, and Outpost validates no XSD (only well-formedness): remove schema-id`);
  if (schemaRef !== null && schemaId === null) throw new PolicyCompileError(at, 'schema-ref', 'needs schema-id (it points inside that schema)');
  if (validateAs !== 'json' && el.attrs['allow-additional-properties'] !== undefined) throw new PolicyCompileError(at, 'allow-additional-properties', 'applies to JSON schemas only');
  let schema: Record<string, unknown> | null = null;
  const document = schemaId === null ? undefined : compileEnv()?.schemas?.get(schemaId);
  if (document !== undefined) {
    if (schemaRef === null) schema = document;
    else {
      if (resolveLocalRef(document, schemaRef) === null) throw new PolicyCompileError(at, 'schema-ref', `"${schemaRef.slice(0, 200)}" is not a local reference inside schema "${schemaId}"`);
      // The reference is resolved inside the whole document, so the target's own $refs still resolve.
      schema = { $ref: schemaRef, ...pick(document, ['definitions', '$defs', 'components']) };
    }
  }
  return {
    type: mediaTypeAttr(el, at, 'type') ?? '',
    validateAs,
    action: actionAttr(el, at, 'action', false) as Action,
    schemaId,
    schema,
    additionalProperties: el.attrs['allow-additional-properties'] === undefined ? null : boolAttr(el, at, 'allow-additional-properties', true),
  };
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export const validateContent: PolicyFactory<Config> = {
  name: 'validate-content',
  sections: ['inbound', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['unspecified-content-type-action', 'max-size', 'size-exceeded-action', 'errors-variable-name'], ['content-type-map', 'content']);
    const sink: PolicyCompileError[] = [];
    const unspecified = collectInto(sink, () => actionAttr(el, at, 'unspecified-content-type-action', false) as Action);
    const maxSize = collectInto(sink, () => intAttr(el, at, 'max-size', { min: 0, max: MAX_VALIDATED_BODY }));
    const sizeExceeded = collectInto(sink, () => actionAttr(el, at, 'size-exceeded-action', false) as Action);
    const variable = collectInto(sink, () => optionalVariableName(el, at, 'errors-variable-name')) ?? null;
    const maps = el.children.filter((c) => c.name === 'content-type-map');
    if (maps.length > 1) sink.push(new PolicyCompileError(at, null, '<content-type-map> may appear once'));
    const map = maps.length === 0 ? { anyType: null, missingType: null, mappings: [] } : collectInto(sink, () => typeMap(maps[0], childLocation(at, 'content-type-map', 0)));
    const contentEls = el.children.filter((c) => c.name === 'content');
    if (contentEls.length > MAX_CONTENTS) sink.push(new PolicyCompileError(at, null, `at most ${MAX_CONTENTS} <content> elements`));
    const contents: ContentRule[] = [];
    contentEls.forEach((c, i) => collectInto(sink, () => {
      const rule = contentRule(c, childLocation(at, 'content', i));
      if (contents.some((r) => r.type === rule.type)) throw new PolicyCompileError(childLocation(at, 'content', i), 'type', `a <content> for "${rule.type || '(every type)'}" is already given`);
      contents.push(rule);
    }));
    throwCollected(sink);
    return {
      unspecified: unspecified!, maxSize: maxSize!, sizeExceeded: sizeExceeded!, variable,
      anyType: map!.anyType, missingType: map!.missingType, mappings: map!.mappings, contents, section: at.section as Section,
    };
  },
  create(config): PolicyInstance {
    const whens = config.mappings.map((m) => (m.when === null ? null : bindConditionProgram(m.when)));
    const target = { policy: 'validate-content', section: config.section, variable: config.variable };
    const onResponse = config.section !== 'inbound';

    const mappedType = (ctx: RequestContext, raw: string): string => {
      for (let i = 0; i < config.mappings.length; i++) {
        const m = config.mappings[i];
        const when = whens[i];
        if (m.from !== null ? m.from === raw : when !== null && when(ctx)) return m.to;
      }
      if (raw === '' && config.missingType !== null) return config.missingType;
      return config.anyType ?? raw;
    };

    return {
      run(ctx: RequestContext) {
        let body: Buffer | null;
        let declaredSize: number;
        let contentType: string | null;
        let declared: readonly RepresentationSpec[];
        const contract = ctx.operationMeta?.contract ?? null;
        if (onResponse) {
          const response = ctx.response;
          if (response === null) return finishReport(null, target, ctx, true);
          body = response.body === null ? null : typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
          declaredSize = body === null ? 0 : body.length;
          contentType = headerIn(response.headers, 'content-type');
          declared = contract?.responses.find((r) => r.status === response.status)?.representations ?? [];
        } else {
          body = ctx.requestBody;
          const length = ctx.header('content-length');
          const chunked = length === null && ctx.header('transfer-encoding') !== null;
          declaredSize = chunked ? Infinity : length === null ? 0 : Number(length);
          contentType = ctx.header('content-type');
          declared = contract?.request ?? [];
        }
        if (declaredSize === 0) return finishReport(null, target, ctx, onResponse);
        const owner = onResponse ? 'Response' : 'Request';
        let report: ValidationReport | null = null;

        if (declaredSize > config.maxSize) {
          const size = declaredSize === Infinity ? 'of unknown length (no Content-Length)' : `${declaredSize} bytes long`;
          report = contentError(report, onResponse, config.sizeExceeded, '', 'SizeLimit', `${owner}'s body is ${size} and it exceeds the configured limit of ${config.maxSize} bytes.`, `${owner}'s body is ${size} and it exceeds the limit of ${config.maxSize} bytes.`);
          // The body was not held (or is not the whole body): nothing more can be checked.
          return finishReport(report, target, ctx, onResponse);
        }

        const type = mappedType(ctx, mediaType(contentType));
        const rule = config.contents.find((r) => r.type === type) ?? null;
        const representation = declared.find((r) => r.contentType === type) ?? null;
        if (representation === null && (rule === null || rule.schemaId === null)) {
          report = contentError(report, onResponse, config.unspecified, type, 'Unspecified', `Unspecified content type ${type || '(none)'} is not allowed.`, `Unspecified content type ${type || '(none)'} is not allowed.`);
          return finishReport(report, target, ctx, onResponse);
        }
        const applied = rule ?? config.contents.find((r) => r.type === '') ?? null;
        if (applied === null || applied.action === 'ignore') return finishReport(report, target, ctx, onResponse);
        if (body === null) {
          // A streamed body (larger than the gateway holds for policies) cannot be read here.
          report = contentError(report, onResponse, applied.action, type, 'ValidationException', `Body of the ${owner.toLowerCase()} cannot be validated for the content type ${type}. It was not held by the gateway.`, INTERNAL);
          return finishReport(report, target, ctx, onResponse);
        }
        const definition = applied.schemaId ?? (representation?.schemaName || type);
        let problem: string | null;
        if (applied.validateAs === 'json') {
          if (applied.schemaId !== null && applied.schema === null) {
            report = contentError(report, onResponse, applied.action, '', 'ApiSchema', `API's schema does not exist or it could not be resolved. (schema-id "${applied.schemaId}")`, INTERNAL);
            return finishReport(report, target, ctx, onResponse);
          }
          const schema = applied.schema ?? representation?.schema ?? null;
          problem = checkJsonBody(body, schema === null ? null : validatorFor(schema, applied.additionalProperties));
        } else {
          problem = checkXmlBody(body, applied.validateAs === 'soap');
        }
        if (problem !== null) {
          const words = `Body of the ${owner.toLowerCase()} does not conform to the definition ${definition}, which is associated with the content type ${type}. ${problem}`;
          report = contentError(report, onResponse, applied.action, type, 'IncorrectMessage', words, words);
        }
        return finishReport(report, target, ctx, onResponse);
      },
    };
  },
};

/** One error of a body: RequestBody or ResponseBody, and on a response APIM's "internal error" words for the client. */
function contentError(report: ValidationReport | null, onResponse: boolean, action: Action, name: string, rule: string, details: string, publicMessage: string): ValidationReport {
  return addError(report, action, name, onResponse ? 'ResponseBody' : 'RequestBody', rule, details, onResponse ? INTERNAL : publicMessage);
}

function headerIn(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return null;
}
