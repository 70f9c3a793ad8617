/**
 * set-method: the method the backend receives, from the element's text (`<set-method>POST
 * </set-method>`, `- set-method: POST`). Any RFC 9110 method token; standard methods are
 * uppercased (methods are case-sensitive, and `post` is not POST to most backends).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, templateValue } from './attributes.js';
import { bindStringTemplate, hasExpression, type Template } from '../pipeline/expression/index.js';
import { CsRuntimeError } from '../pipeline/expression/csharp/cs-error.js';
import { isToken } from '../../shared/http-syntax.js';
import type { RequestContext } from '../pipeline/context.js';

const STANDARD = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']);

/** `computed` when the method is a policy expression (checked per request). */
interface Config { method: string; computed?: Template }

export const setMethod: PolicyFactory<Config> = {
  name: 'set-method',
  sections: ['inbound'],
  compile(el, at) {
    allowOnly(el, at, []);
    const text = el.text.trim();
    if (hasExpression(text)) return { method: '', computed: templateValue(at, 'set-method', text) };
    if (text === '') throw new PolicyCompileError(at, null, 'needs the method as its text, e.g. <set-method>POST</set-method>');
    if (!isToken(text)) throw new PolicyCompileError(at, null, `${JSON.stringify(text)} is not a valid HTTP method`);
    if (text.toUpperCase() === 'CONNECT') throw new PolicyCompileError(at, null, 'CONNECT cannot be forwarded');
    return { method: STANDARD.has(text.toUpperCase()) ? text.toUpperCase() : text };
  },
  create(config) {
    if (config.computed !== undefined) {
      const method = bindStringTemplate(config.computed);
      return {
        run(ctx: RequestContext): Outcome {
          const m = method(ctx).trim();
          if (!isToken(m) || m.toUpperCase() === 'CONNECT') throw new CsRuntimeError('ArgumentException', 'The method computed by set-method is not a method the gateway can forward.');
          ctx.method = STANDARD.has(m.toUpperCase()) ? m.toUpperCase() : m;
          return CONTINUE;
        },
      };
    }
    return {
      run(ctx: RequestContext): Outcome {
        ctx.method = config.method;
        return CONTINUE;
      },
    };
  },
};
