/**
 * forward-request: how the request is forwarded (APIM's attributes):
 * - `timeout` (seconds, 1 to 3600) bounds the wait for the backend's response headers and for each
 *   pause in its body; past it the client gets 504 OUTPOST_ERR_BACKEND_TIMEOUT (through on-error).
 *   Without this policy the gateway's upstream settings apply.
 * - `buffer-request-body="true"`: the client's body is read whole before it is sent (bounded by
 *   gateway.maxReplayBodyBytes; over it the client gets 413 OUTPOST_ERR_REPLAY_BODY_TOO_LARGE),
 *   so a retry can send it again, chunked or not. Without it a body is kept for a retry only when
 *   its length is known and at most 64 KiB; any other body streams and is sent once.
 * - `fail-on-error-status-code="true"`: a 400-599 answer goes to on-error (context.LastError.Source
 *   "backend", reason OUTPOST_ERR_BACKEND_ERROR_STATUS); context.Response there is the backend's
 *   status and headers. Inside a retry the condition is asked first, as APIM does. Deviation:
 *   the backend's body is not kept for on-error (what on-error leaves is what the client gets).
 * - `follow-redirects="true"`: the gateway follows the backend's 301, 302, 303, 307 and 308 itself,
 *   at most 10 times (then the last redirect is passed on); 303, and 301/302 to anything but
 *   GET/HEAD, go on as a GET without a body, as .NET's HttpClient does; a redirect that needs the
 *   body again when it streamed, or to a scheme other than http(s), is passed to the client. A
 *   redirect to another origin drops Authorization, Cookie and a backend entity's credentials. Default false: redirects are passed on.
 * - `buffer-response` is accepted either way: responses stream with backpressure (outbound
 *   policies that need the whole body buffer it themselves).
 * - `http-version`: "1", and "2or1" (HTTP/2 preferred, HTTP/1.1 allowed), send HTTP/1.1, the
 *   only version Outpost's upstream client speaks; "2" (HTTP/2 only) is refused.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, intAttr } from './attributes.js';
import type { RequestContext } from '../pipeline/context.js';

export interface ForwardRequestConfig {
  timeoutMs: number;
  failOnErrorStatus: boolean;
  followRedirects: boolean;
  /** Read by the request path before inbound (chainBuffersRequestBody), not at run time. */
  bufferRequestBody: boolean;
}

export const forwardRequest: PolicyFactory<ForwardRequestConfig> = {
  name: 'forward-request',
  sections: ['backend'],
  compile(el, at) {
    if (el.attrs['timeout-ms'] !== undefined) throw new PolicyCompileError(at, 'timeout-ms', 'is not supported (use timeout, in seconds)');
    allowOnly(el, at, ['timeout', 'follow-redirects', 'buffer-response', 'fail-on-error-status-code', 'buffer-request-body', 'http-version']);
    const version = el.attrs['http-version'];
    if (version === '2') throw new PolicyCompileError(at, 'http-version', '"2" is not supported: Outpost speaks HTTP/1.1 to backends (use 1 or 2or1)');
    if (version !== undefined && version !== '1' && version !== '2or1') throw new PolicyCompileError(at, 'http-version', 'must be 1, 2or1 or 2');
    boolAttr(el, at, 'buffer-response', true); // validated only: streaming is always on
    const timeoutSec = intAttr(el, at, 'timeout', { min: 1, max: 3600 }, 0);
    return {
      timeoutMs: timeoutSec * 1000,
      failOnErrorStatus: boolAttr(el, at, 'fail-on-error-status-code', false),
      followRedirects: boolAttr(el, at, 'follow-redirects', false),
      bufferRequestBody: boolAttr(el, at, 'buffer-request-body', false),
    };
  },
  create(config) {
    return {
      run(ctx: RequestContext): Outcome {
        if (config.timeoutMs > 0) ctx.timeoutMs = config.timeoutMs;
        ctx.failOnErrorStatus = config.failOnErrorStatus;
        ctx.followRedirects = config.followRedirects;
        return CONTINUE;
      },
    };
  },
};
