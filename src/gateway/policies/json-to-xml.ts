/**
 * json-to-xml (APIM): converts the message body from JSON to XML (the request's in inbound, the
 * response's in outbound and on-error) and sets Content-Type: application/xml. Conversion rules
 * are in json-xml-convert.ts.
 *
 * - apply="always" converts any body; "content-type-json" only a body whose Content-Type names JSON.
 * - consider-accept-header="true" (the default) converts only when the client's Accept header asks
 *   for XML; no Accept header, or `*\/*`, counts as asking (message-body.ts acceptAsksFor).
 * - namespace-separator, namespace-prefix, attribute-block-name: as APIM (see the converter).
 *
 * Deviations from APIM: apply, consider-accept-header and the naming attributes take literal
 * values only (a policy expression there is a compile error); parse-date is accepted, but date
 * strings are always copied as written (APIM with parse-date="true" may reformat them); the
 * namespace separator applies only when the attribute is given (APIM's default is "_", which
 * would turn every snake_case name into a prefixed one). Bodies: a request body must have been
 * buffered (Content-Length up to 64 KiB; else 413), the result is at most 1 MiB; a body that is
 * not JSON fails with OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE (400, inbound) or
 * OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE (502, outbound).
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { hasExpression } from '../pipeline/expression/index.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, boolAttr, enumAttr } from './attributes.js';
import { MAX_BODY, replaceBody } from './set-body.js';
import { acceptAsksFor, bodyText, contentType, onResponse, setContentType } from './message-body.js';
import { ConversionError, jsonToXml, type JsonToXmlOptions } from './json-xml-convert.js';

interface Config { response: boolean; onlyJson: boolean; considerAccept: boolean; options: JsonToXmlOptions }

const ATTRS = ['apply', 'consider-accept-header', 'parse-date', 'namespace-separator', 'namespace-prefix', 'attribute-block-name'];

export const jsonToXmlPolicy: PolicyFactory<Config> = {
  name: 'json-to-xml',
  sections: ['inbound', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ATTRS);
    literalOnly(el, at, ATTRS);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'json-to-xml holds no text');
    if (el.attrs.apply === undefined) throw new PolicyCompileError(at, 'apply', 'is required (always or content-type-json)');
    const apply = enumAttr(el, at, 'apply', ['always', 'content-type-json'] as const, 'always');
    boolAttr(el, at, 'parse-date', true);
    const separator = el.attrs['namespace-separator'];
    if (separator !== undefined && separator.length !== 1) throw new PolicyCompileError(at, 'namespace-separator', `must be one character, got ${JSON.stringify(separator.slice(0, 20))}`);
    return {
      response: onResponse(at),
      onlyJson: apply === 'content-type-json',
      considerAccept: boolAttr(el, at, 'consider-accept-header', true),
      options: {
        namespaceSeparator: separator ?? null,
        namespacePrefix: shortName(el, at, 'namespace-prefix'),
        attributeBlockName: shortName(el, at, 'attribute-block-name'),
      },
    };
  },
  create(config): PolicyInstance {
    const { response, options } = config;
    const failCode = response ? 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE' : 'OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE';
    return {
      run(ctx: RequestContext): Outcome {
        if (config.onlyJson && !contentType(ctx, response).includes('json')) return CONTINUE;
        if (config.considerAccept && !acceptAsksFor(ctx, 'xml')) return CONTINUE;
        const text = bodyText(ctx, response, 'json-to-xml');
        if (text === null || text.trim() === '') return CONTINUE;
        let xml: string;
        try {
          xml = jsonToXml(text, options);
        } catch (err) {
          if (err instanceof ConversionError) throw new OutpostError(failCode, `json-to-xml: ${err.message}`);
          throw err;
        }
        const out = Buffer.from(xml);
        if (out.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `json-to-xml: the XML is over ${MAX_BODY} bytes`);
        replaceBody(ctx, response, out);
        setContentType(ctx, response, 'application/xml');
        return CONTINUE;
      },
    };
  },
};

/** Attributes APIM allows expressions in, but that Outpost reads as literals: refuse an expression rather than misread it. */
export function literalOnly(el: PolicyElement, at: PolicyLocation, names: readonly string[]): void {
  for (const name of names) {
    const v = el.attrs[name];
    if (v !== undefined && hasExpression(v)) throw new PolicyCompileError(at, name, 'policy expressions are not supported in this attribute; write the value itself');
  }
}

function shortName(el: PolicyElement, at: PolicyLocation, name: string): string | null {
  const v = el.attrs[name];
  if (v === undefined) return null;
  if (v === '' || v.length > 64 || /[\s<>&"']/.test(v)) throw new PolicyCompileError(at, name, 'must be 1 to 64 characters without spaces, quotes, <, > or &');
  return v;
}
