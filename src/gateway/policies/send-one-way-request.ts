/**
 * send-one-way-request (APIM): calls a URL and does not wait (fire and forget). The request goes
 * on at once; the call's answer and failures are dropped. At most MAX_ONE_WAY_IN_FLIGHT calls per
 * worker are in flight: past that a call is dropped and counted (on /metrics as
 * `outpost_custom_metric_count{namespace="outpost",name="send_one_way_dropped"}`, and a warning
 * log line on the first drop and every 1000th), so a slow target can never pile up memory or sockets.
 */
import type { PolicyFactory, PolicyInstance } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import type { RequestContext } from '../pipeline/context.js';
import { log } from '../../shared/log.js';
import { bindSendSpec, compileSendSpec, type SendSpec } from './send-request-spec.js';
import { policyPoolsOf } from '../upstream/policy-pools.js';
import { callBuffered } from '../upstream/buffered-call.js';

export const MAX_ONE_WAY_IN_FLIGHT = 256;
/** The answer is read and dropped; a small bound keeps a chatty target from costing memory. */
const MAX_ONE_WAY_ANSWER = 64 * 1024;

/** Per worker thread (module state is per thread): calls in flight and calls dropped. */
export const oneWayStats = { inFlight: 0, dropped: 0, sent: 0, failed: 0 };

interface Config { spec: SendSpec }

export const sendOneWayRequest: PolicyFactory<Config> = {
  name: 'send-one-way-request',
  sections: ['inbound', 'backend', 'outbound', 'on-error'],
  compile(el, at) {
    return { spec: compileSendSpec(el, at, []) };
  },
  create(config, services): PolicyInstance {
    const build = bindSendSpec(config.spec);
    const pools = policyPoolsOf(services);
    const metrics = services.metrics;
    const timeoutMs = config.spec.timeoutMs;
    const done = (): void => { oneWayStats.inFlight--; };
    const fail = (): void => { oneWayStats.inFlight--; oneWayStats.failed++; };
    return {
      run(ctx: RequestContext): Outcome {
        if (oneWayStats.inFlight >= MAX_ONE_WAY_IN_FLIGHT) {
          oneWayStats.dropped++;
          metrics?.add('outpost', 'send_one_way_dropped', [], 1);
          if (oneWayStats.dropped % 1000 === 1) log('warn', 'send-one-way-request dropped: too many calls in flight', { inFlight: oneWayStats.inFlight, dropped: oneWayStats.dropped });
          return CONTINUE;
        }
        // A bad computed URL or header is the policy's failure (on-error), as in send-request.
        const built = build(ctx);
        oneWayStats.inFlight++;
        oneWayStats.sent++;
        callBuffered(pools.get(built.origin), built.request, timeoutMs, MAX_ONE_WAY_ANSWER).then(done, fail);
        return CONTINUE;
      },
    };
  },
};
