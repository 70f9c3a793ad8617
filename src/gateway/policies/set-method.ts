/**
 * set-method: the method the backend receives, from the element's text (`<set-method>POST
 * </set-method>`, `- set-method: POST`). Any RFC 9110 method token; standard methods are
 * uppercased (methods are case-sensitive, and `post` is not POST to most backends).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly } from './attributes.js';
import { isToken } from '../../shared/http-syntax.js';
import type { RequestContext } from '../pipeline/context.js';

const STANDARD = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']);

interface Config { method: string }

export const setMethod: PolicyFactory<Config> = {
  name: 'set-method',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, []);
    const text = el.text.trim();
    if (text === '') throw new PolicyCompileError(at, null, 'needs the method as its text, e.g. <set-method>POST</set-method>');
    if (!isToken(text)) throw new PolicyCompileError(at, null, `${JSON.stringify(text)} is not a valid HTTP method`);
    if (text.toUpperCase() === 'CONNECT') throw new PolicyCompileError(at, null, 'CONNECT cannot be forwarded');
    return { method: STANDARD.has(text.toUpperCase()) ? text.toUpperCase() : text };
  },
  create(config) {
    return {
      run(ctx: RequestContext): Outcome {
        ctx.method = config.method;
        return CONTINUE;
      },
    };
  },
};
