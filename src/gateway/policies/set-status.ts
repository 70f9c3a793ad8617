/**
 * set-status: sets the status code (and reason) of the response being built: the backend's in
 * outbound, the error response in on-error. In inbound and backend it has nothing to change
 * yet, so (unlike APIM, which allows it there as a no-op) it is a compile error.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { allowOnly, intAttr, reasonAttr, templateAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';
import { hasExpression, type Template } from '../pipeline/expression/index.js';
import { bindIntValue, bindReasonPhrase } from './dynamic-value.js';

/** Constants, or templates when the code or the reason is a policy expression. */
interface Config { status: number; reason: string; computed: { code: Template; reason: Template } | null }

export const setStatus: PolicyFactory<Config> = {
  name: 'set-status',
  sections: ['outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['code', 'reason']);
    if (hasExpression(el.attrs.code ?? '') || hasExpression(el.attrs.reason ?? '')) {
      return { status: 0, reason: '', computed: { code: templateAttr(el, at, 'code'), reason: templateAttr(el, at, 'reason', '') } };
    }
    return { status: intAttr(el, at, 'code', { min: 100, max: 599 }), reason: reasonAttr(el, at), computed: null };
  },
  create(config) {
    if (config.computed !== null) {
      const code = bindIntValue(config.computed.code, 'status code', 100, 599);
      const reason = bindReasonPhrase(config.computed.reason);
      return {
        run(ctx: RequestContext): Outcome {
          const status = code(ctx);
          const text = reason(ctx);
          ctx.responseHeaders();
          ctx.response!.status = status;
          ctx.response!.reason = text;
          return CONTINUE;
        },
      };
    }
    return {
      run(ctx: RequestContext): Outcome {
        ctx.responseHeaders();
        ctx.response!.status = config.status;
        ctx.response!.reason = config.reason;
        return CONTINUE;
      },
    };
  },
};
