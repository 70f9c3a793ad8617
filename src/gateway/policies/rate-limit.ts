/**
 * rate-limit and rate-limit-by-key: fixed windows of `renewal-period` seconds, counted in the
 * node-wide shared counters (exact across workers). Every request counts, rejected ones too (as
 * APIM). Over the limit: 429 with Retry-After and APIM's message, through the respond outcome.
 *
 * rate-limit counts per subscription (anonymous requests share one counter); rate-limit-by-key
 * counts per `counter-key`: a policy expression (`@(context.Request.IpAddress)`) or a named form,
 * `subscription`, `ip`, `header:<name>` or `claim:<name>` (a validated JWT's claim).
 *
 * `remaining-calls-header-name`, `retry-after-header-name` and `total-calls-header-name` (as APIM)
 * name response headers carrying the calls left, the wait and the limit; each must be an RFC 9110
 * token (checked at compile time: a CR or LF there would split the response).
 * `remaining-calls-variable-name` puts the calls left (an int; 0 when refused) in context.Variables.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { allowOnly, intAttr, optionalHeaderName, optionalVariableName } from './attributes.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import { declarationId } from './declaration-id.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';

interface Config {
  /** Identifies this policy declaration: counters survive reloads while it stays the same. */
  id: string;
  calls: number;
  periodSec: number;
  key: CounterKey;
  remainingHeader: string | null;
  retryAfterHeader: string | null;
  totalHeader: string | null;
  remainingVariable: string | null;
}

function compileLimit(byKey: boolean) {
  return (el: Parameters<PolicyFactory<Config>['compile']>[0], at: Parameters<PolicyFactory<Config>['compile']>[1]): Config => {
    const attrs = ['calls', 'renewal-period', 'remaining-calls-header-name', 'retry-after-header-name', 'total-calls-header-name', 'remaining-calls-variable-name'];
    allowOnly(el, at, byKey ? [...attrs, 'counter-key'] : attrs);
    const key: CounterKey = byKey ? compileCounterKey(el, at, 'counter-key') : { kind: 'subscription', name: '' };
    const calls = intAttr(el, at, 'calls', { min: 1, max: 1_000_000_000 });
    const periodSec = intAttr(el, at, 'renewal-period', { min: 1, max: 31_536_000 });
    return {
      id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${calls}|${periodSec}|${describeCounterKey(key)}`),
      calls, periodSec, key,
      remainingHeader: optionalHeaderName(el, at, 'remaining-calls-header-name'),
      retryAfterHeader: optionalHeaderName(el, at, 'retry-after-header-name'),
      totalHeader: optionalHeaderName(el, at, 'total-calls-header-name'),
      remainingVariable: optionalVariableName(el, at, 'remaining-calls-variable-name'),
    };
  };
}

function createLimit(config: Config, services: WorkerServices) {
  const keyOf = bindCounterKey(config.key);
  const prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
  const total = String(config.calls);
  return {
    run(ctx: RequestContext): Outcome {
      const nowSec = services.now() / 1000;
      const windowEnd = (Math.floor(nowSec / config.periodSec) + 1) * config.periodSec;
      const count = services.counters.hit(prefix + keyOf(ctx), windowEnd);
      const retryAfter = Math.max(1, Math.ceil(windowEnd - nowSec));
      if (config.remainingVariable !== null) ctx.setVariable(config.remainingVariable, Math.max(0, config.calls - count));
      if (count <= config.calls) {
        if (config.remainingHeader) ctx.addResponseHeader(config.remainingHeader, String(config.calls - count));
        if (config.totalHeader) ctx.addResponseHeader(config.totalHeader, total);
        return CONTINUE;
      }
      const headers = ['content-type', 'application/json', 'retry-after', String(retryAfter), 'x-outpost-error', 'OUTPOST_ERR_RATE_LIMITED'];
      if (config.retryAfterHeader) headers.push(config.retryAfterHeader, String(retryAfter));
      if (config.remainingHeader) headers.push(config.remainingHeader, '0');
      if (config.totalHeader) headers.push(config.totalHeader, total);
      ctx.respond(429, 'Too Many Requests', headers, JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }));
      return RESPOND;
    },
  };
}

export const rateLimit: PolicyFactory<Config> = { name: 'rate-limit', sections: ['inbound'], compile: compileLimit(false), create: createLimit };
export const rateLimitByKey: PolicyFactory<Config> = { name: 'rate-limit-by-key', sections: ['inbound'], compile: compileLimit(true), create: createLimit };
