/**
 * set-status: sets the status code (and reason) of the response being built: the backend's in
 * outbound, the error response in on-error. In inbound and backend it has nothing to change
 * yet, so (unlike APIM, which allows it there as a no-op) it is a compile error.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { allowOnly, intAttr, reasonAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { status: number; reason: string }

export const setStatus: PolicyFactory<Config> = {
  name: 'set-status',
  sections: ['outbound', 'on-error'],
  compile(el, at) {
    allowOnly(el, at, ['code', 'reason']);
    return { status: intAttr(el, at, 'code', { min: 100, max: 599 }), reason: reasonAttr(el, at) };
  },
  create(config) {
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
