/**
 * retry (backend section): re-sends the request to the backend while `condition` holds and
 * attempts remain, waiting `interval` seconds (growing by `delta` up to `max-interval`; the first
 * retry is immediate with first-fast-retry="true"), as APIM's retry. The condition is Outpost's
 * expression language (see README): `response.status` is the backend's status, `error.reason`
 * the connection error (e.g. OUTPOST_ERR_BACKEND_UNREACHABLE) when there was no response. Example:
 * `condition="response.status >= 500 or error.source == 'backend'"`.
 *
 * Only a replayable request is retried: one without a body, or with a body of known length up to
 * 64 KiB (the gateway then buffers it); a streamed body is sent once. A nested
 * <forward-request timeout="…"/> sets each attempt's timeout. The retry happens before anything
 * is written to the client, so the client sees only the last attempt.
 *
 * A nested <set-backend-service> (APIM's load-balancing pattern: retry over a backend pool) runs
 * before the first attempt and again before each retry, so a pool picks again and skips a member
 * whose circuit breaker opened. If it fails on a retry (every member open), the retry goes to the
 * backend it had.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError } from '../pipeline/policy-element.js';
import { allowOnly, boolAttr, conditionAttr, intAttr } from './attributes.js';
import { bindConditionProgram, type Program } from '../pipeline/expression/index.js';
import { forwardRequest } from './forward-request.js';
import { setBackendService } from './set-backend-service.js';
import { childLocation } from '../pipeline/policy-element.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import type { RequestContext, RetryPlan } from '../pipeline/context.js';

interface Config {
  condition: Program;
  count: number;
  intervalMs: number;
  deltaMs: number;
  maxIntervalMs: number;
  firstFast: boolean;
  timeoutMs: number;
  /** The nested set-backend-service's config, or null. */
  backend: unknown;
}

export const retry: PolicyFactory<Config> = {
  name: 'retry',
  sections: ['backend'],
  compile(el, at) {
    allowOnly(el, at, ['condition', 'count', 'interval', 'max-interval', 'delta', 'first-fast-retry'], ['set-backend-service', 'forward-request']);
    const condition = conditionAttr(el, at, 'condition');
    const forwards = el.children.filter((c) => c.name === 'forward-request');
    if (forwards.length > 1) throw new PolicyCompileError(at, null, 'at most one <forward-request> inside <retry>');
    const backends = el.children.map((c, i) => [c, i] as const).filter(([c]) => c.name === 'set-backend-service');
    if (backends.length > 1) throw new PolicyCompileError(at, null, 'at most one <set-backend-service> inside <retry>');
    const intervalSec = intAttr(el, at, 'interval', { min: 0, max: 300 });
    return {
      condition,
      count: intAttr(el, at, 'count', { min: 1, max: 10 }),
      intervalMs: intervalSec * 1000,
      deltaMs: intAttr(el, at, 'delta', { min: 0, max: 300 }, 0) * 1000,
      maxIntervalMs: intAttr(el, at, 'max-interval', { min: 0, max: 3600 }, 0) * 1000,
      firstFast: boolAttr(el, at, 'first-fast-retry', false),
      timeoutMs: forwards.length === 1 ? forwardRequest.compile(forwards[0], at).timeoutMs : 0,
      backend: backends.length === 1 ? setBackendService.compile(backends[0][0], childLocation(at, 'set-backend-service', backends[0][1])) : null,
    };
  },
  create(config, services: WorkerServices) {
    const test = bindConditionProgram(config.condition);
    const route = config.backend === null ? null : setBackendService.create(config.backend as never, services);
    const reroute = route === null ? null : (ctx: RequestContext): void => { route.run(ctx); };
    const plan: RetryPlan = {
      test, count: config.count, reroute,
      delayMs(attempt: number): number {
        if (attempt === 1 && config.firstFast) return 0;
        const grown = config.intervalMs + config.deltaMs * (attempt - 1);
        return config.maxIntervalMs > 0 ? Math.min(grown, config.maxIntervalMs) : grown;
      },
    };
    return {
      run(ctx: RequestContext): Outcome {
        ctx.retry = plan;
        if (config.timeoutMs > 0) ctx.timeoutMs = config.timeoutMs;
        if (reroute !== null) reroute(ctx); // the first attempt's backend; a throw fails to on-error
        return CONTINUE;
      },
    };
  },
};
