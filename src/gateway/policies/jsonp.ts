/**
 * jsonp (APIM, outbound): when the request's query holds the parameter named by
 * callback-parameter-name (`?cb=render`), the response body is wrapped as a call to that function,
 * `render(<body>);`, with Content-Type: application/javascript; without the parameter the body
 * goes as it is. The attribute may be a policy expression (it names the parameter).
 *
 * The callback's value is written into a script, so it must be a JavaScript name or a dotted
 * path of names (`app.cb_1`), at most 128 characters: anything else is refused with
 * OUTPOST_ERR_JSONP_CALLBACK_INVALID (400) rather than written (APIM does not document a check).
 * The response is held whole for this (bounded: buffered-policy-exchange.ts).
 */
import { Buffer } from 'node:buffer';
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import type { RequestContext } from '../pipeline/context.js';
import { bindStringTemplate, type Template } from '../pipeline/expression/index.js';
import { OutpostError } from '../../shared/errors.js';
import { allowOnly, templateAttr } from './attributes.js';
import { MAX_BODY, replaceBody } from './set-body.js';
import { bodyText, setContentType } from './message-body.js';

interface Config { parameter: Template }

const CALLBACK = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const MAX_CALLBACK = 128;

export const jsonp: PolicyFactory<Config> = {
  name: 'jsonp',
  sections: ['outbound'],
  compile(el, at) {
    allowOnly(el, at, ['callback-parameter-name']);
    if (el.text !== '') throw new PolicyCompileError(at, null, 'jsonp holds no text');
    const raw = el.attrs['callback-parameter-name'];
    if (raw !== undefined && raw.length > 256) throw new PolicyCompileError(at, 'callback-parameter-name', 'must be at most 256 characters');
    return { parameter: templateAttr(el, at, 'callback-parameter-name') };
  },
  create(config): PolicyInstance {
    const parameterOf = bindStringTemplate(config.parameter);
    return {
      run(ctx: RequestContext): Outcome {
        const callback = queryValue(ctx.query, parameterOf(ctx));
        if (callback === null || callback === '') return CONTINUE;
        if (callback.length > MAX_CALLBACK || !CALLBACK.test(callback)) throw new OutpostError('OUTPOST_ERR_JSONP_CALLBACK_INVALID', 'jsonp: the callback parameter is not a JavaScript function name');
        const body = bodyText(ctx, true, 'jsonp') ?? '';
        const out = Buffer.from(`${callback}(${body});`);
        if (out.length > MAX_BODY) throw new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `jsonp: the wrapped body is over ${MAX_BODY} bytes`);
        replaceBody(ctx, true, out);
        setContentType(ctx, true, 'application/javascript');
        return CONTINUE;
      },
    };
  },
};

/** The first value of query parameter `name` (decoded), or null. */
function queryValue(query: string, name: string): string | null {
  if (name === '' || query === '') return null;
  return new URLSearchParams(query).get(name);
}
