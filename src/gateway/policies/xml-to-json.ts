/**
 * xml-to-json (APIM): converts the message body from XML to JSON (the request's in inbound, the
 * response's in outbound and on-error) and sets Content-Type: application/json. Conversion rules
 * are in json-xml-convert.ts.
 *
 * - kind="direct" keeps the XML's structure (attributes "@name", text beside them "#text", the
 *   declaration "?xml"); "javascript-friendly" drops the declaration and the "@".
 * - apply="always" converts any body; "content-type-xml" only a body whose Content-Type names XML.
 * - consider-accept-header="true" (the default) converts only when the client's Accept header asks
 *   for JSON; no Accept header, or `*\/*`, counts as asking.
 * - always-array-child-elements="true" makes every child element an array, even a single one.
 *
 * Deviations from APIM: the attributes take literal values only (an expression is a compile
 * error); a document with a DOCTYPE is refused (no entity is expanded). Bodies are bounded as for
 * json-to-xml (json-to-xml.ts); a body that is not well-formed XML fails with
 * OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE (400) or OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE (502).
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, boolAttr, enumAttr } from './attributes.js';
import { MAX_BODY, replaceBody } from './set-body.js';
import { acceptAsksFor, bodyText, contentType, onResponse, setContentType } from './message-body.js';
import { ConversionError, xmlToJson, type XmlToJsonOptions } from './json-xml-convert.js';
import { literalOnly } from './json-to-xml.js';

interface Config { response: boolean; onlyXml: boolean; considerAccept: boolean; options: XmlToJsonOptions }

const ATTRS = ['kind', 'apply', 'consider-accept-header', 'always-array-child-elements'];

export const xmlToJsonPolicy: PolicyFactory<Config> = {
  name: 'xml-to-json',
  sections: ['inbound', 'outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ATTRS);
    literalOnly(el, at, ATTRS);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'xml-to-json holds no text');
    if (el.attrs.kind === undefined) throw new PolicyCompileError(at, 'kind', 'is required (javascript-friendly or direct)');
    if (el.attrs.apply === undefined) throw new PolicyCompileError(at, 'apply', 'is required (always or content-type-xml)');
    const kind = enumAttr(el, at, 'kind', ['javascript-friendly', 'direct'] as const, 'direct');
    const apply = enumAttr(el, at, 'apply', ['always', 'content-type-xml'] as const, 'always');
    return {
      response: onResponse(at),
      onlyXml: apply === 'content-type-xml',
      considerAccept: boolAttr(el, at, 'consider-accept-header', true),
      options: { kind, alwaysArrayChildren: boolAttr(el, at, 'always-array-child-elements', false) },
    };
  },
  create(config): PolicyInstance {
    const { response, options } = config;
    const failCode = response ? 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE' : 'OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE';
    return {
      run(ctx: RequestContext): Outcome {
        if (config.onlyXml && !contentType(ctx, response).includes('xml')) return CONTINUE;
        if (config.considerAccept && !acceptAsksFor(ctx, 'json')) return CONTINUE;
        const text = bodyText(ctx, response, 'xml-to-json');
        if (text === null || text.trim() === '') return CONTINUE;
        let json: string;
        try {
          json = xmlToJson(text, options);
        } catch (err) {
          if (err instanceof ConversionError) throw new OutpostError(failCode, `xml-to-json: ${err.message}`);
          throw err;
        }
        const out = Buffer.from(json);
        if (out.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `xml-to-json: the JSON is over ${MAX_BODY} bytes`);
        replaceBody(ctx, response, out);
        setContentType(ctx, response, 'application/json');
        return CONTINUE;
      },
    };
  },
};
