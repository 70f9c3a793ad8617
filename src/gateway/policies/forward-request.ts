/**
 * forward-request: how the request is forwarded. `timeout` (seconds, 1 to 3600) bounds the wait
 * for the backend's response headers and for each pause in its body; past it the client gets
 * 504 OUTPOST_ERR_BACKEND_TIMEOUT (through on-error). Without this policy the gateway's upstream
 * settings apply.
 *
 * Other APIM attributes: `follow-redirects="false"`, `buffer-response` and
 * `fail-on-error-status-code="false"` are accepted as what Outpost always does (redirects are
 * passed to the client; responses stream with backpressure either way; an error status is a
 * response, not an error). Their other values, and `buffer-request-body`, `http-version`,
 * `timeout-ms`, are compile errors naming the attribute.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, intAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

interface Config { timeoutMs: number }

const UNSUPPORTED = ['buffer-request-body', 'http-version', 'timeout-ms'];

export const forwardRequest: PolicyFactory<Config> = {
  name: 'forward-request',
  sections: ['backend'],
  compile(el, at) {
    for (const name of UNSUPPORTED) if (el.attrs[name] !== undefined) throw new PolicyCompileError(at, name, 'is not supported');
    allowOnly(el, at, ['timeout', 'follow-redirects', 'buffer-response', 'fail-on-error-status-code']);
    if (boolAttr(el, at, 'follow-redirects', false)) throw new PolicyCompileError(at, 'follow-redirects', '"true" is not supported (redirects are passed to the client)');
    if (boolAttr(el, at, 'fail-on-error-status-code', false)) throw new PolicyCompileError(at, 'fail-on-error-status-code', '"true" is not supported');
    boolAttr(el, at, 'buffer-response', true); // validated only: streaming is always on
    const timeoutSec = intAttr(el, at, 'timeout', { min: 1, max: 3600 }, 0);
    return { timeoutMs: timeoutSec * 1000 };
  },
  create(config) {
    return {
      run(ctx: RequestContext): Outcome {
        if (config.timeoutMs > 0) ctx.timeoutMs = config.timeoutMs;
        return CONTINUE;
      },
    };
  },
};
