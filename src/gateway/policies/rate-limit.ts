/**
 * rate-limit and rate-limit-by-key: at most `calls` per `renewal-period` seconds (1..300, as
 * APIM: longer periods are quota's job). Every request counts, rejected ones too (as APIM). Over
 * the limit: 429 with Retry-After and APIM's message, through the respond outcome.
 *
 * The window SLIDES, as APIM documents: the count is the current epoch-aligned window's plus the
 * previous window's weighted by its overlap with the last `renewal-period` seconds, rounded up, so
 * a burst straddling a boundary is held to `calls` (fixed windows let 6 calls through in 1 s
 * against 3 per 10 s). It assumes the previous window's calls were spread evenly: after a burst
 * early in the previous window it is stricter than an exact log; it never lets more than `calls`
 * through in a period. Where the counts live depends on `scope` (fleet-options.ts): scope="node"
 * (default) in the node-wide shared counters (sliding-window.ts), scope="fleet" in Redis
 * (RedisLink.hit, the same estimate in a Lua script); with fail-mode="open" and Redis unreachable a
 * fleet limit counts node-wide.
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
import { compileFleetOptions, FLEET_ATTRIBUTES, FLEET_MARK, type FleetOptions } from './fleet-options.js';
import { countHit, FAIL_CLOSED, respondRedisUnavailable, type CounterHit } from './fleet-counter.js';
import { slidingNodeCount } from './sliding-window.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';

/** APIM's maximum renewal-period for rate-limit and rate-limit-by-key. */
export const MAX_RATE_LIMIT_PERIOD_SEC = 300;

interface Config {
  /** Identifies this policy declaration: counters survive reloads while it stays the same. */
  id: string;
  calls: number;
  periodSec: number;
  key: CounterKey;
  remainingHeader: string | null;
  retryAfterHeader: string | null;
  totalHeader: string | null;
  fleet: FleetOptions;
  [FLEET_MARK]: boolean;
  remainingVariable: string | null;
}

function compileLimit(byKey: boolean) {
  return (el: Parameters<PolicyFactory<Config>['compile']>[0], at: Parameters<PolicyFactory<Config>['compile']>[1]): Config => {
    const attrs = ['calls', 'renewal-period', 'remaining-calls-header-name', 'retry-after-header-name', 'total-calls-header-name', 'remaining-calls-variable-name', ...FLEET_ATTRIBUTES];
    allowOnly(el, at, byKey ? [...attrs, 'counter-key'] : attrs);
    const key: CounterKey = byKey ? compileCounterKey(el, at, 'counter-key') : { kind: 'subscription', name: '' };
    const calls = intAttr(el, at, 'calls', { min: 1, max: 1_000_000_000 });
    const periodSec = intAttr(el, at, 'renewal-period', { min: 1, max: MAX_RATE_LIMIT_PERIOD_SEC });
    const fleet = compileFleetOptions(el, at);
    return {
      // Fleet scope is part of the identity (node ids are unchanged): node and fleet counts never mix.
      id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${calls}|${periodSec}|${describeCounterKey(key)}${fleet.scope === 'fleet' ? '|fleet' : ''}`),
      calls, periodSec, key,
      remainingHeader: optionalHeaderName(el, at, 'remaining-calls-header-name'),
      retryAfterHeader: optionalHeaderName(el, at, 'retry-after-header-name'),
      totalHeader: optionalHeaderName(el, at, 'total-calls-header-name'),
      fleet,
      [FLEET_MARK]: fleet.scope === 'fleet',
      remainingVariable: optionalVariableName(el, at, 'remaining-calls-variable-name'),
    };
  };
}

function createLimit(config: Config, services: WorkerServices) {
  const keyOf = bindCounterKey(config.key);
  const prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
  const total = String(config.calls);
  const periodMs = config.periodSec * 1000;

  const decide = (ctx: RequestContext, count: number, nowMs: number): Outcome => {
    if (count === FAIL_CLOSED) {
      respondRedisUnavailable(ctx);
      return RESPOND;
    }
    if (config.remainingVariable !== null) ctx.setVariable(config.remainingVariable, Math.max(0, config.calls - count));
    if (count <= config.calls) {
      if (config.remainingHeader) ctx.addResponseHeader(config.remainingHeader, String(config.calls - count));
      if (config.totalHeader) ctx.addResponseHeader(config.totalHeader, total);
      return CONTINUE;
    }
    // Until the current fixed window ends: by then the sliding window has shed the previous
    // window's share (rejected calls count too, so it may take longer under a steady flood).
    const retryAfter = Math.max(1, Math.ceil((periodMs - (nowMs % periodMs)) / 1000));
    const headers = ['content-type', 'application/json', 'retry-after', String(retryAfter), 'x-outpost-error', 'OUTPOST_ERR_RATE_LIMITED'];
    if (config.retryAfterHeader) headers.push(config.retryAfterHeader, String(retryAfter));
    if (config.remainingHeader) headers.push(config.remainingHeader, '0');
    if (config.totalHeader) headers.push(config.totalHeader, total);
    ctx.respond(429, 'Too Many Requests', headers, JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }));
    return RESPOND;
  };

  return {
    run(ctx: RequestContext): Outcome | Promise<Outcome> {
      const nowMs = services.now();
      const key = prefix + keyOf(ctx);
      // Node scope stays synchronous: no closure, no promise, no microtask.
      if (config.fleet.scope === 'node') return decide(ctx, slidingNodeCount(services.counters, key, nowMs, config.periodSec), nowMs);
      const hit: CounterHit = { node: () => slidingNodeCount(services.counters, key, nowMs, config.periodSec), fleet: (link) => link.hit(key, periodMs, nowMs) };
      const count = countHit(config.fleet, services, hit);
      return typeof count === 'number' ? decide(ctx, count, nowMs) : count.then((n) => decide(ctx, n, nowMs));
    },
  };
}

export const rateLimit: PolicyFactory<Config> = { name: 'rate-limit', sections: ['inbound'], compile: compileLimit(false), create: createLimit };
export const rateLimitByKey: PolicyFactory<Config> = { name: 'rate-limit-by-key', sections: ['inbound'], compile: compileLimit(true), create: createLimit };
