/**
 * send-request (APIM): calls a URL and waits for the answer, which lands in
 * response-variable-name as an IResponse (`((IResponse)context.Variables["r"]).Body.As<JObject>()`,
 * `.StatusCode`, `.Headers`). The call goes through the worker's policy pools (policy-pools.ts:
 * keep-alive, bounded per origin and in the number of origins), within `timeout` seconds
 * (default 60), and keeps at most 1 MiB of the answer's body.
 *
 * A failure (unreachable, timeout, malformed or oversized answer, a bad computed URL): with
 * ignore-error="true" the variable is null and the request goes on; otherwise on-error runs with
 * OUTPOST_ERR_SEND_REQUEST_FAILED (502) or OUTPOST_ERR_SEND_REQUEST_TIMEOUT (504) in context.LastError.
 * Any HTTP status is an answer, not a failure, as in APIM.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { SentResponse } from '../pipeline/expression/csharp/cs-sent-response.js';
import { OutpostError } from '../../shared/errors.js';
import { boolAttr, variableName } from './attributes.js';
import { bindSendSpec, compileSendSpec, MAX_SENT_ANSWER, type SendSpec } from './send-request-spec.js';
import { policyPoolsOf } from '../upstream/policy-pools.js';
import { callBuffered } from '../upstream/buffered-call.js';

interface Config { spec: SendSpec; variable: string; ignoreError: boolean }

export const sendRequest: PolicyFactory<Config> = {
  name: 'send-request',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    const spec = compileSendSpec(el, at, ['response-variable-name', 'ignore-error']);
    const variable = variableName(el, at, 'response-variable-name');
    return { spec, variable, ignoreError: boolAttr(el, at, 'ignore-error', false) };
  },
  create(config, services): PolicyInstance {
    const build = bindSendSpec(config.spec);
    const pools = policyPoolsOf(services);
    const { variable, ignoreError } = config;
    const timeoutMs = config.spec.timeoutMs;
    const failed = (ctx: RequestContext, err: unknown): Outcome => {
      if (!ignoreError) throw err instanceof OutpostError ? err : new OutpostError('OUTPOST_ERR_SEND_REQUEST_FAILED', String(err));
      ctx.setVariable(variable, null);
      return CONTINUE;
    };
    return {
      run(ctx: RequestContext): Promise<Outcome> {
        let built;
        try { built = build(ctx); } catch (err) { return Promise.resolve().then(() => failed(ctx, err)); }
        return callBuffered(pools.get(built.origin), built.request, timeoutMs, MAX_SENT_ANSWER).then(
          (r) => { ctx.setVariable(variable, new SentResponse(r.status, r.reason, r.headers, r.body)); return CONTINUE; },
          (err: unknown) => failed(ctx, err),
        );
      },
    };
  },
};
