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
 * `remaining-calls-variable-name` puts the calls left (an int; 0 when refused) in context.Variables;
 * `retry-after-variable-name` the seconds to wait (an int) when refused.
 *
 * rate-limit-by-key takes APIM's expressions (counter-increment.ts): `calls` per request (a whole
 * number from 0, else OUTPOST_ERR_LIMIT_VALUE_INVALID to on-error), `increment-count` (constant or
 * expression) and `increment-condition`. With an increment-condition or an expression
 * increment-count the increment is DEFERRED to the end of the request, as APIM documents: the
 * policy lets the request through while the count so far is under `calls` (and reports
 * `calls - count so far` as remaining), then, when the request ends, evaluates the condition and
 * the count on the final context (the response status, the tokens the backend reported) and
 * counts. Requests in flight together may therefore pass a little beyond `calls` before their
 * counts land (APIM says the same of its own limits).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { allowOnly, intAttr, optionalHeaderName, optionalVariableName } from './attributes.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import { declarationId } from './declaration-id.js';
import { compileFleetOptions, FLEET_ATTRIBUTES, FLEET_MARK, type FleetOptions } from './fleet-options.js';
import { countHit, FAIL_CLOSED, respondRedisUnavailable, type CounterHit } from './fleet-counter.js';
import { slidingNodeCount, slidingNodePeek } from './sliding-window.js';
import { bindIncrement, bindLimitValue, compileIncrement, compileLimitValue, describeLimitValue, isDeferred, type IncrementSpec, type LimitValue } from './counter-increment.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';

/** APIM's maximum renewal-period for rate-limit and rate-limit-by-key. */
export const MAX_RATE_LIMIT_PERIOD_SEC = 300;
const MAX_CALLS = 1_000_000_000;

interface Config {
  /** Identifies this policy declaration: counters survive reloads while it stays the same. */
  id: string;
  calls: LimitValue;
  periodSec: number;
  key: CounterKey;
  increment: IncrementSpec;
  remainingHeader: string | null;
  retryAfterHeader: string | null;
  totalHeader: string | null;
  fleet: FleetOptions;
  [FLEET_MARK]: boolean;
  remainingVariable: string | null;
  retryAfterVariable: string | null;
}

const COMMON = ['calls', 'renewal-period', 'remaining-calls-header-name', 'retry-after-header-name', 'total-calls-header-name', 'remaining-calls-variable-name', 'retry-after-variable-name', ...FLEET_ATTRIBUTES];
const BY_KEY = [...COMMON, 'counter-key', 'increment-count', 'increment-condition'];

function compileLimit(byKey: boolean) {
  return (el: Parameters<PolicyFactory<Config>['compile']>[0], at: Parameters<PolicyFactory<Config>['compile']>[1]): Config => {
    allowOnly(el, at, byKey ? BY_KEY : COMMON);
    const key: CounterKey = byKey ? compileCounterKey(el, at, 'counter-key') : { kind: 'subscription', name: '' };
    // APIM takes expressions in rate-limit-by-key's calls; rate-limit's is a constant.
    const calls: LimitValue = byKey ? compileLimitValue(el, at, 'calls', { min: 1, max: MAX_CALLS }) : { k: 'const', v: intAttr(el, at, 'calls', { min: 1, max: MAX_CALLS }) };
    const periodSec = intAttr(el, at, 'renewal-period', { min: 1, max: MAX_RATE_LIMIT_PERIOD_SEC });
    const increment: IncrementSpec = byKey ? compileIncrement(el, at) : { count: { k: 'const', v: 1 }, condition: null };
    const fleet = compileFleetOptions(el, at);
    return {
      // Fleet scope is part of the identity (node ids are unchanged): node and fleet counts never mix.
      id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${describeLimitValue(calls)}|${periodSec}|${describeCounterKey(key)}${fleet.scope === 'fleet' ? '|fleet' : ''}`),
      calls, periodSec, key, increment,
      remainingHeader: optionalHeaderName(el, at, 'remaining-calls-header-name'),
      retryAfterHeader: optionalHeaderName(el, at, 'retry-after-header-name'),
      totalHeader: optionalHeaderName(el, at, 'total-calls-header-name'),
      fleet,
      [FLEET_MARK]: fleet.scope === 'fleet',
      remainingVariable: optionalVariableName(el, at, 'remaining-calls-variable-name'),
      retryAfterVariable: optionalVariableName(el, at, 'retry-after-variable-name'),
    };
  };
}

function createLimit(config: Config, services: WorkerServices) {
  const keyOf = bindCounterKey(config.key);
  const prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
  const callsOf = bindLimitValue(config.calls, 'calls', MAX_CALLS);
  const amountOf = bindIncrement(config.increment);
  const deferred = isDeferred(config.increment);
  const periodMs = config.periodSec * 1000;
  const { periodSec } = config;

  /**
   * `count` is the count including this request's hit, or (deferred) the count so far: the
   * request passes while it is at most `calls`, or (deferred) under it.
   */
  const decide = (ctx: RequestContext, calls: number, count: number, nowMs: number): Outcome => {
    if (count === FAIL_CLOSED) {
      respondRedisUnavailable(ctx);
      return RESPOND;
    }
    const allowed = deferred ? count < calls : count <= calls;
    if (config.remainingVariable !== null) ctx.setVariable(config.remainingVariable, allowed ? calls - count : 0);
    if (allowed) {
      if (config.remainingHeader) ctx.addResponseHeader(config.remainingHeader, String(calls - count));
      if (config.totalHeader) ctx.addResponseHeader(config.totalHeader, String(calls));
      return CONTINUE;
    }
    // Until the current fixed window ends: by then the sliding window has shed the previous
    // window's share (rejected calls count too, so it may take longer under a steady flood).
    const retryAfter = Math.max(1, Math.ceil((periodMs - (nowMs % periodMs)) / 1000));
    if (config.retryAfterVariable !== null) ctx.setVariable(config.retryAfterVariable, retryAfter);
    const headers = ['content-type', 'application/json', 'retry-after', String(retryAfter), 'x-outpost-error', 'OUTPOST_ERR_RATE_LIMITED'];
    if (config.retryAfterHeader) headers.push(config.retryAfterHeader, String(retryAfter));
    if (config.remainingHeader) headers.push(config.remainingHeader, '0');
    if (config.totalHeader) headers.push(config.totalHeader, String(calls));
    ctx.respond(429, 'Too Many Requests', headers, JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.` }));
    return RESPOND;
  };

  /** One hit of `amount` (0: a read) in the configured scope. */
  const nodeCount = (key: string, nowMs: number, amount: number): number =>
    (amount === 0 ? slidingNodePeek(services.counters, key, nowMs, periodSec) : slidingNodeCount(services.counters, key, nowMs, periodSec, amount));
  const count = (key: string, nowMs: number, amount: number): number | Promise<number> => {
    // Node scope stays synchronous: no closure, no promise, no microtask.
    if (config.fleet.scope === 'node') return nodeCount(key, nowMs, amount);
    const hit: CounterHit = { node: () => nodeCount(key, nowMs, amount), fleet: (link) => link.hit(key, periodMs, nowMs, amount) };
    return countHit(config.fleet, services, hit);
  };

  /** Deferred: counts when the request ends, on the final context (errors there count nothing). */
  const countAtEnd = (ctx: RequestContext, key: string): void => {
    ctx.atEnd(() => {
      let amount = 0;
      try { amount = amountOf(ctx); } catch { return; }
      if (amount === 0) return;
      const done = count(key, services.now(), amount);
      if (typeof done !== 'number') done.catch(() => undefined);
    });
  };

  return {
    run(ctx: RequestContext): Outcome | Promise<Outcome> {
      const nowMs = services.now();
      const calls = callsOf(ctx);
      const key = prefix + keyOf(ctx);
      if (deferred) countAtEnd(ctx, key);
      const n = count(key, nowMs, deferred ? 0 : amountOf(ctx));
      return typeof n === 'number' ? decide(ctx, calls, n, nowMs) : n.then((c) => decide(ctx, calls, c, nowMs));
    },
  };
}

export const rateLimit: PolicyFactory<Config> = { name: 'rate-limit', sections: ['inbound'], compile: compileLimit(false), create: createLimit };
export const rateLimitByKey: PolicyFactory<Config> = { name: 'rate-limit-by-key', sections: ['inbound'], compile: compileLimit(true), create: createLimit };
