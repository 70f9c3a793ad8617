/**
 * quota and quota-by-key: a call volume and/or a bandwidth per renewal period (APIM: "either
 * calls, bandwidth, or both together"), counted in the node-wide shared counters (scope="node",
 * exact across workers) or in Redis (scope="fleet", exact across every gateway sharing it; fixed
 * windows there too, as a quota renews at a set time). fail-mode: see fleet-options.ts.
 *
 * Windows: fixed, `renewal-period` seconds long, aligned to the unix epoch (a 3600 s quota renews
 * on the hour, UTC), or to `first-period-start` (quota-by-key, ISO 8601) when given, as APIM.
 * renewal-period="0" means never renewed (APIM's "infinite" period).
 *
 * quota counts per subscription (anonymous requests share one counter); quota-by-key per
 * `counter-key` (subscription, ip, header:<name>, claim:<name>, or an expression). Over quota: 403
 * with APIM's body `{"statusCode":403,"message":"Out of call volume quota. Quota will be
 * replenished in 00:59:59."}` ("Out of bandwidth quota." for bandwidth; the wait as a .NET
 * TimeSpan, "d.hh:mm:ss" with the day part only when there is one), a Retry-After header and
 * `x-outpost-error: OUTPOST_ERR_QUOTA_EXCEEDED`.
 *
 * Calls: every request counts, rejected ones too, one call each, or (quota-by-key)
 * `increment-count` calls; `increment-condition` says whether it counts. An increment-condition
 * or an expression increment-count defers the count to the end of the request, as APIM documents
 * (counter-increment.ts): the request passes while the calls so far are under the limit.
 *
 * Bandwidth (kilobytes, as APIM): what the request moved, its request and response bytes as the
 * client connection counted them (heads and bodies), is added when the request ends, rounded up
 * to whole kilobytes; a request passes while the kilobytes so far are under the limit. So the
 * request that crosses the limit completes (its size is known only at its end), and the next one
 * is refused: APIM's bandwidth quota behaves the same way.
 *
 * `<api name|id calls bandwidth renewal-period>` children, each with optional `<operation
 * name|id ...>` children (quota only, as APIM): per-API and per-operation quotas inside the
 * policy's quota, applied independently of it and of each other (a request to that API counts in
 * the policy's quota and in the API's; to that operation, in the operation's too). An API is
 * matched by id, or by name when no id is given (id wins when both are, as APIM); an operation by
 * its id (Outpost's operations have ids only, so `name` is compared with the id). A child's
 * renewal-period defaults to the policy's. Bandwidth and <api>/<operation> quotas count
 * node-wide: scope="fleet" with them is a compile error.
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { childLocation, PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, intAttr } from './attributes.js';
import { declarationId } from './declaration-id.js';
import { bindCounterKey, compileCounterKey, describeCounterKey, type CounterKey } from './counter-key.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { MAX_WINDOW_END_SEC } from '../../shared/counter-layout.js';
import { compileFleetOptions, FLEET_ATTRIBUTES, FLEET_MARK, type FleetOptions } from './fleet-options.js';
import { countHit, FAIL_CLOSED, respondRedisUnavailable } from './fleet-counter.js';
import { bindIncrement, compileIncrement, isDeferred, type IncrementSpec } from './counter-increment.js';

const MAX_CALLS = 2_000_000_000;
/** Kilobytes: about 2 TB per period. */
const MAX_BANDWIDTH_KB = 2_000_000_000;
const MAX_PERIOD_SEC = 315_360_000;
/** <api> and <operation> children together: each is a counter per key per request. */
const MAX_SCOPED = 32;

/** One quota: the policy's own, or an <api>'s or <operation>'s inside it. */
interface QuotaLimit {
  /** Appended to the key: which quota (the policy's own is ''). */
  suffix: string;
  /** null: no call quota (bandwidth only). */
  calls: number | null;
  /** Kilobytes; null: no bandwidth quota. */
  bandwidthKb: number | null;
  /** 0: never renewed. */
  periodSec: number;
  /** The API it applies to (id, or name when byName); null: every request. */
  api: string | null;
  apiByName: boolean;
  /** The operation id it applies to; null: every operation of `api`. */
  operation: string | null;
}

interface Config {
  /** Identifies this policy declaration: counts survive reloads while it stays the same. */
  id: string;
  limits: QuotaLimit[];
  /** Windows start at firstStartSec + k × periodSec (0: the epoch). */
  firstStartSec: number;
  key: CounterKey;
  increment: IncrementSpec;
  fleet: FleetOptions;
  [FLEET_MARK]: boolean;
}

const CODE = 'OUTPOST_ERR_QUOTA_EXCEEDED';
/** Appended after a limit's key: its bandwidth counter (kilobytes). */
const BANDWIDTH = '\u0001bw';

/** calls and bandwidth of one quota element; at least one (as APIM). */
function amounts(el: PolicyElement, at: PolicyLocation): { calls: number | null; bandwidthKb: number | null } {
  const calls = el.attrs.calls === undefined ? null : intAttr(el, at, 'calls', { min: 1, max: MAX_CALLS });
  const bandwidthKb = el.attrs.bandwidth === undefined ? null : intAttr(el, at, 'bandwidth', { min: 1, max: MAX_BANDWIDTH_KB });
  if (calls === null && bandwidthKb === null) throw new PolicyCompileError(at, 'calls', 'give calls, bandwidth (kilobytes), or both');
  return { calls, bandwidthKb };
}

/** The <api> and <operation> children of quota. */
function scopedLimits(el: PolicyElement, at: PolicyLocation, periodSec: number): QuotaLimit[] {
  const out: QuotaLimit[] = [];
  el.children.forEach((api, i) => {
    const apiAt = childLocation(at, 'api', i);
    allowOnly(api, apiAt, ['name', 'id', 'calls', 'bandwidth', 'renewal-period'], ['operation']);
    const apiRef = reference(api, apiAt);
    const apiPeriod = intAttr(api, apiAt, 'renewal-period', { min: 0, max: MAX_PERIOD_SEC }, periodSec);
    // An <api> may hold only <operation>s, with no quota of its own.
    if (api.attrs.calls !== undefined || api.attrs.bandwidth !== undefined || api.children.length === 0) {
      out.push({ suffix: `\u0001api:${apiRef.value}`, ...amounts(api, apiAt), periodSec: apiPeriod, api: apiRef.value, apiByName: apiRef.byName, operation: null });
    }
    api.children.forEach((op, j) => {
      const opAt = childLocation(apiAt, 'operation', j);
      allowOnly(op, opAt, ['name', 'id', 'calls', 'bandwidth', 'renewal-period']);
      const opRef = reference(op, opAt);
      const opPeriod = intAttr(op, opAt, 'renewal-period', { min: 0, max: MAX_PERIOD_SEC }, apiPeriod);
      out.push({ suffix: `\u0001api:${apiRef.value}\u0001op:${opRef.value}`, ...amounts(op, opAt), periodSec: opPeriod, api: apiRef.value, apiByName: apiRef.byName, operation: opRef.value });
    });
  });
  if (out.length > MAX_SCOPED) throw new PolicyCompileError(at, null, `at most ${MAX_SCOPED} <api> and <operation> quotas`);
  return out;
}

/** name or id (id wins when both are given, as APIM). */
function reference(el: PolicyElement, at: PolicyLocation): { value: string; byName: boolean } {
  const id = el.attrs.id;
  const name = el.attrs.name;
  if (id !== undefined && id !== '') return { value: id, byName: false };
  if (name !== undefined && name !== '') return { value: name, byName: true };
  throw new PolicyCompileError(at, 'name', 'give name or id');
}

function compileQuota(byKey: boolean) {
  return (el: PolicyElement, at: PolicyLocation): Config => {
    const attrs = ['calls', 'bandwidth', 'renewal-period', ...FLEET_ATTRIBUTES];
    allowOnly(el, at, byKey ? [...attrs, 'counter-key', 'increment-condition', 'increment-count', 'first-period-start'] : attrs, byKey ? [] : ['api']);
    const periodSec = intAttr(el, at, 'renewal-period', { min: 0, max: MAX_PERIOD_SEC });
    const own: QuotaLimit = { suffix: '', ...amounts(el, at), periodSec, api: null, apiByName: false, operation: null };
    const limits = [own, ...scopedLimits(el, at, periodSec)];
    const key: CounterKey = byKey ? compileCounterKey(el, at, 'counter-key') : { kind: 'subscription', name: '' };
    const increment: IncrementSpec = byKey ? compileIncrement(el, at) : { count: { k: 'const', v: 1 }, condition: null };
    let firstStartSec = 0;
    const start = el.attrs['first-period-start'];
    if (start !== undefined) {
      const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(start) ? Date.parse(start) : NaN;
      if (Number.isNaN(ms) || ms < 0) throw new PolicyCompileError(at, 'first-period-start', `must be an ISO 8601 date-time, got "${start}"`);
      firstStartSec = Math.floor(ms / 1000);
    }
    const fleet = compileFleetOptions(el, at);
    if (fleet.scope === 'fleet' && (limits.length > 1 || own.bandwidthKb !== null)) {
      throw new PolicyCompileError(at, 'scope', 'bandwidth and <api>/<operation> quotas count node-wide; scope="fleet" counts calls only');
    }
    if (fleet.scope === 'fleet' && own.calls === null) throw new PolicyCompileError(at, 'calls', 'is required with scope="fleet"');
    // The id keeps its old form for a calls-only quota, so its counts survive an upgrade.
    const shape = limits.length === 1 && own.bandwidthKb === null ? `${own.calls}|${periodSec}` : JSON.stringify(limits);
    return {
      id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${shape}|${firstStartSec}|${describeCounterKey(key)}${fleet.scope === 'fleet' ? '|fleet' : ''}`),
      limits, firstStartSec, key, increment, fleet, [FLEET_MARK]: fleet.scope === 'fleet',
    };
  };
}

/** The end (unix seconds) of the window holding `nowSec`. */
export function quotaWindowEnd(periodSec: number, firstStartSec: number, nowSec: number): number {
  if (periodSec === 0) return MAX_WINDOW_END_SEC;
  // Before the first period starts, the first period is the one that counts.
  if (nowSec < firstStartSec) return firstStartSec + periodSec;
  return firstStartSec + (Math.floor((nowSec - firstStartSec) / periodSec) + 1) * periodSec;
}

/** Seconds as .NET's TimeSpan prints them (APIM's wording): "hh:mm:ss", or "d.hh:mm:ss". */
export function formatTimeSpan(totalSec: number): string {
  const s = Math.max(0, Math.ceil(totalSec));
  const days = Math.floor(s / 86_400);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  const hms = `${two(Math.floor((s % 86_400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return days > 0 ? `${days}.${hms}` : hms;
}

function applies(limit: QuotaLimit, ctx: RequestContext): boolean {
  if (limit.api === null) return true;
  const api = limit.apiByName ? ctx.apiMeta?.name ?? ctx.apiId : ctx.apiId;
  if (api !== limit.api) return false;
  return limit.operation === null || limit.operation === ctx.operationId;
}

function respondOverQuota(ctx: RequestContext, what: 'call volume' | 'bandwidth', windowEnd: number, nowSec: number): Outcome {
  const wait = windowEnd - nowSec;
  const message = `Out of ${what} quota. Quota will be replenished in ${formatTimeSpan(wait)}.`;
  const retryAfter = String(Math.max(1, Math.ceil(Math.min(wait, 2_147_483_647))));
  ctx.respond(403, 'Forbidden', ['content-type', 'application/json', 'retry-after', retryAfter, 'x-outpost-error', CODE], JSON.stringify({ statusCode: 403, message }));
  return RESPOND;
}

function createQuota(config: Config, services: WorkerServices) {
  const keyOf = bindCounterKey(config.key);
  const prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
  const amountOf = bindIncrement(config.increment);
  const deferred = isDeferred(config.increment);
  const { limits, firstStartSec } = config;
  const own = limits[0];
  const simple = limits.length === 1 && own.bandwidthKb === null && !deferred;
  const countsAtEnd = deferred || limits.some((l) => l.bandwidthKb !== null);

  const decide = (ctx: RequestContext, count: number, windowEnd: number, nowSec: number): Outcome => {
    if (count === FAIL_CLOSED) {
      respondRedisUnavailable(ctx);
      return RESPOND;
    }
    return count <= own.calls! ? CONTINUE : respondOverQuota(ctx, 'call volume', windowEnd, nowSec);
  };

  /** Node scope: every quota that applies, checked (and, unless deferred, its calls counted). */
  const runNode = (ctx: RequestContext, key: string, nowSec: number): Outcome => {
    const amount = deferred ? 0 : amountOf(ctx);
    for (const limit of limits) {
      if (!applies(limit, ctx)) continue;
      const windowEnd = quotaWindowEnd(limit.periodSec, firstStartSec, nowSec);
      const limitKey = key + limit.suffix;
      if (limit.bandwidthKb !== null && services.counters.peek(limitKey + BANDWIDTH, windowEnd) >= limit.bandwidthKb) {
        return respondOverQuota(ctx, 'bandwidth', windowEnd, nowSec);
      }
      if (limit.calls === null) continue;
      const calls = amount === 0 ? services.counters.peek(limitKey, windowEnd) : services.counters.hit(limitKey, windowEnd, amount);
      // Deferred: the calls so far (this one counts at the end) must be under the limit.
      if (deferred ? calls >= limit.calls : calls > limit.calls) return respondOverQuota(ctx, 'call volume', windowEnd, nowSec);
    }
    return CONTINUE;
  };

  /** When the request ends: deferred calls, and the kilobytes it moved. */
  const countAtEnd = (ctx: RequestContext, key: string): void => {
    ctx.atEnd(() => {
      const nowSec = services.now() / 1000;
      let amount = 0;
      if (deferred) { try { amount = amountOf(ctx); } catch { amount = 0; } }
      const kb = Math.ceil(ctx.transferredBytes / 1024);
      for (const limit of limits) {
        if (!applies(limit, ctx)) continue;
        const windowEnd = quotaWindowEnd(limit.periodSec, firstStartSec, nowSec);
        const limitKey = key + limit.suffix;
        if (limit.bandwidthKb !== null && kb > 0) services.counters.hit(limitKey + BANDWIDTH, windowEnd, kb);
        if (deferred && amount > 0 && limit.calls !== null) countDeferredCalls(limitKey, limit, windowEnd, amount);
      }
    });
  };

  const countDeferredCalls = (limitKey: string, limit: QuotaLimit, windowEnd: number, amount: number): void => {
    if (config.fleet.scope === 'node') { services.counters.hit(limitKey, windowEnd, amount); return; }
    const endsMs = limit.periodSec === 0 ? 0 : windowEnd * 1000;
    const done = countHit(config.fleet, services, { node: () => services.counters.hit(limitKey, windowEnd, amount), fleet: (link) => link.hitFixed(limitKey, endsMs, amount) });
    if (typeof done !== 'number') done.catch(() => undefined);
  };

  return {
    run(ctx: RequestContext): Outcome | Promise<Outcome> {
      const nowSec = services.now() / 1000;
      const key = prefix + keyOf(ctx);
      if (countsAtEnd) countAtEnd(ctx, key);
      if (config.fleet.scope === 'node') {
        if (!simple) return runNode(ctx, key, nowSec);
        const windowEnd = quotaWindowEnd(own.periodSec, firstStartSec, nowSec);
        const amount = amountOf(ctx); // increment-count="0": counts nothing, still checks
        return decide(ctx, amount === 0 ? services.counters.peek(key, windowEnd) : services.counters.hit(key, windowEnd, amount), windowEnd, nowSec);
      }
      // Fleet: the policy's own call quota only (compile time refuses the rest).
      const windowEnd = quotaWindowEnd(own.periodSec, firstStartSec, nowSec);
      const amount = deferred ? 0 : amountOf(ctx);
      // A quota that never renews (period 0) never expires in Redis either.
      const endsMs = own.periodSec === 0 ? 0 : windowEnd * 1000;
      const node = () => (amount === 0 ? services.counters.peek(key, windowEnd) : services.counters.hit(key, windowEnd, amount));
      const count = countHit(config.fleet, services, { node, fleet: (link) => link.hitFixed(key, endsMs, amount) });
      // Deferred: the count so far must be under the limit (this request is counted at its end).
      const shift = deferred ? 1 : 0;
      return typeof count === 'number' ? decide(ctx, count === FAIL_CLOSED ? count : count + shift, windowEnd, nowSec)
        : count.then((n) => decide(ctx, n === FAIL_CLOSED ? n : n + shift, windowEnd, nowSec));
    },
  };
}

export const quota: PolicyFactory<Config> = { name: 'quota', sections: ['inbound'], compile: compileQuota(false), create: createQuota };
export const quotaByKey: PolicyFactory<Config> = { name: 'quota-by-key', sections: ['inbound'], compile: compileQuota(true), create: createQuota };
