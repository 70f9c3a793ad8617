/**
 * quota and quota-by-key: a call volume per renewal period, counted like rate-limit (every
 * request counts, rejected ones too) in the node-wide shared counters (scope="node", exact
 * across workers) or in Redis (scope="fleet", exact across every gateway sharing it; fixed
 * windows there too, as a quota renews at a set time). fail-mode: see fleet-options.ts.
 *
 * Windows: fixed, `renewal-period` seconds long, aligned to the unix epoch (a 3600 s quota renews
 * on the hour, UTC), or to `first-period-start` (quota-by-key, ISO 8601) when given, as APIM.
 * renewal-period="0" means never renewed (APIM's "infinite" period).
 *
 * quota counts per subscription (anonymous requests share one counter); quota-by-key per
 * `counter-key` (subscription, ip, header:<name>, claim:<name>). Over quota: 403 with APIM's body
 * `{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:59:59."}`
 * (the wait as a .NET TimeSpan, "d.hh:mm:ss" with the day part only when there is one) and
 * `x-outpost-error: OUTPOST_ERR_QUOTA_EXCEEDED`.
 *
 * Not supported, each a compile error naming the attribute: `bandwidth` (the gateway streams
 * bodies through without counting their bytes, so a byte quota could not be enforced exactly),
 * `increment-condition` (a C# expression), and per-API/operation children (<api>, <operation>).
 */
import type { PolicyFactory } from '../pipeline/policy-contract.js';
import { CONTINUE, RESPOND, type Outcome } from '../pipeline/phases.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';
import { allowOnly, intAttr } from './attributes.js';
import { declarationId } from './declaration-id.js';
import { compileCounterKey, counterKeyOf, describeCounterKey, type CounterKey } from './counter-key.js';
import type { RequestContext } from '../pipeline/context.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { MAX_WINDOW_END_SEC } from '../../shared/counter-layout.js';
import { compileFleetOptions, FLEET_ATTRIBUTES, FLEET_MARK, type FleetOptions } from './fleet-options.js';
import { countHit, FAIL_CLOSED, respondRedisUnavailable } from './fleet-counter.js';

interface Config {
  /** Identifies this policy declaration: counts survive reloads while it stays the same. */
  id: string;
  calls: number;
  /** 0: never renewed. */
  periodSec: number;
  /** Windows start at firstStartSec + k × periodSec (0: the epoch). */
  firstStartSec: number;
  key: CounterKey;
  fleet: FleetOptions;
  [FLEET_MARK]: boolean;
}

const CODE = 'OUTPOST_ERR_QUOTA_EXCEEDED';

function compileQuota(byKey: boolean) {
  return (el: PolicyElement, at: PolicyLocation): Config => {
    const attrs = ['calls', 'bandwidth', 'renewal-period', ...FLEET_ATTRIBUTES];
    allowOnly(el, at, byKey ? [...attrs, 'counter-key', 'increment-condition', 'first-period-start'] : attrs);
    if (el.attrs.bandwidth !== undefined) {
      throw new PolicyCompileError(at, 'bandwidth', 'bandwidth quotas are not supported (bodies stream through the gateway uncounted); use calls');
    }
    if (el.attrs['increment-condition'] !== undefined) throw new PolicyCompileError(at, 'increment-condition', 'is not supported (it needs a policy expression)');
    const calls = intAttr(el, at, 'calls', { min: 1, max: 2_000_000_000 });
    const periodSec = intAttr(el, at, 'renewal-period', { min: 0, max: 315_360_000 });
    const key: CounterKey = byKey ? compileCounterKey(el, at, 'counter-key') : { kind: 'subscription', name: '' };
    let firstStartSec = 0;
    const start = el.attrs['first-period-start'];
    if (start !== undefined) {
      const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(start) ? Date.parse(start) : NaN;
      if (Number.isNaN(ms) || ms < 0) throw new PolicyCompileError(at, 'first-period-start', `must be an ISO 8601 date-time, got "${start}"`);
      firstStartSec = Math.floor(ms / 1000);
    }
    const fleet = compileFleetOptions(el, at);
    return {
      id: declarationId(`${el.name}|${at.scope}|${at.section}|${at.index}|${calls}|${periodSec}|${firstStartSec}|${describeCounterKey(key)}${fleet.scope === 'fleet' ? '|fleet' : ''}`),
      calls, periodSec, firstStartSec, key, fleet, [FLEET_MARK]: fleet.scope === 'fleet',
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

function createQuota(config: Config, services: WorkerServices) {
  const prefix = `${config.id}\u0000`; // '\u0000' ends the policy prefix: overflow groups by policy
  const decide = (ctx: RequestContext, count: number, windowEnd: number, nowSec: number): Outcome => {
    if (count === FAIL_CLOSED) {
      respondRedisUnavailable(ctx);
      return RESPOND;
    }
    if (count <= config.calls) return CONTINUE;
    const message = `Out of call volume quota. Quota will be replenished in ${formatTimeSpan(windowEnd - nowSec)}.`;
    ctx.respond(403, 'Forbidden', ['content-type', 'application/json', 'x-outpost-error', CODE], JSON.stringify({ statusCode: 403, message }));
    return RESPOND;
  };
  return {
    run(ctx: RequestContext): Outcome | Promise<Outcome> {
      const nowSec = services.now() / 1000;
      const windowEnd = quotaWindowEnd(config.periodSec, config.firstStartSec, nowSec);
      const key = prefix + counterKeyOf(config.key, ctx);
      if (config.fleet.scope === 'node') return decide(ctx, services.counters.hit(key, windowEnd), windowEnd, nowSec);
      // A quota that never renews (period 0) never expires in Redis either.
      const endsMs = config.periodSec === 0 ? 0 : windowEnd * 1000;
      const count = countHit(config.fleet, services, { key, nodeWindowEndSec: windowEnd, fleet: (link) => link.hitFixed(key, endsMs) });
      return typeof count === 'number' ? decide(ctx, count, windowEnd, nowSec) : count.then((n) => decide(ctx, n, windowEnd, nowSec));
    },
  };
}

export const quota: PolicyFactory<Config> = { name: 'quota', sections: ['inbound'], compile: compileQuota(false), create: createQuota };
export const quotaByKey: PolicyFactory<Config> = { name: 'quota-by-key', sections: ['inbound'], compile: compileQuota(true), create: createQuota };
