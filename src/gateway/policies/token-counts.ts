/**
 * Where llm-token-limit's counts live, by `scope` (fleet-options.ts): node scope in the node-wide
 * shared counters (synchronous: no promise, no closure), fleet scope in Redis (the same sliding
 * and fixed windows as rate-limit and quota, with weighted hits; a read is a hit of weight 0),
 * with the fail mode applied through countHit: fail-open reads and charges node-wide while Redis
 * is unreachable, fail-closed answers FAIL_CLOSED to a read (the policy answers 503) and drops a
 * charge.
 */
import type { WorkerServices } from '../pipeline/worker-services.js';
import type { FleetOptions } from './fleet-options.js';
import { countHit } from './fleet-counter.js';
import { slidingNodeCount, slidingNodePeek } from './sliding-window.js';
import { quotaPeriodEnd, type QuotaPeriod } from './token-quota-period.js';

const MINUTE_SEC = 60;
const MINUTE_MS = MINUTE_SEC * 1000;
/** After the caller's key: which of the declaration's two counts (the sliding window appends its own parity after this). */
const MINUTE_SUFFIX = '\u0002m';
const QUOTA_SUFFIX = '\u0002q';

const ignore = (): void => undefined;

export class TokenCounts {
  constructor(private readonly fleet: FleetOptions, private readonly period: QuotaPeriod | null, private readonly services: WorkerServices) {}

  /** Tokens the key used in the sliding minute before `nowMs`. */
  minuteUsed(key: string, nowMs: number): number | Promise<number> {
    const k = key + MINUTE_SUFFIX;
    const counters = this.services.counters;
    if (this.fleet.scope === 'node') return slidingNodePeek(counters, k, nowMs, MINUTE_SEC);
    return countHit(this.fleet, this.services, { node: () => slidingNodePeek(counters, k, nowMs, MINUTE_SEC), fleet: (link) => link.hit(k, MINUTE_MS, nowMs, 0) });
  }

  /** Tokens the key used in the quota period holding `nowMs`. */
  quotaUsed(key: string, nowMs: number): number | Promise<number> {
    const k = key + QUOTA_SUFFIX;
    const counters = this.services.counters;
    const end = quotaPeriodEnd(this.period!, nowMs / 1000);
    if (this.fleet.scope === 'node') return counters.peek(k, end);
    return countHit(this.fleet, this.services, { node: () => counters.peek(k, end), fleet: (link) => link.hitFixed(k, end * 1000, 0) });
  }

  /** Adds `tokens` (> 0) to the per-minute count (`minute`) and/or the quota (`quota`). Nothing waits for it. */
  charge(key: string, tokens: number, minute: boolean, quota: boolean): void {
    const nowMs = this.services.now();
    const counters = this.services.counters;
    if (minute) {
      const k = key + MINUTE_SUFFIX;
      if (this.fleet.scope === 'node') slidingNodeCount(counters, k, nowMs, MINUTE_SEC, tokens);
      else settle(countHit(this.fleet, this.services, { node: () => slidingNodeCount(counters, k, nowMs, MINUTE_SEC, tokens), fleet: (link) => link.hit(k, MINUTE_MS, nowMs, tokens) }));
    }
    if (quota) {
      const k = key + QUOTA_SUFFIX;
      const end = quotaPeriodEnd(this.period!, nowMs / 1000);
      if (this.fleet.scope === 'node') counters.hit(k, end, tokens);
      else settle(countHit(this.fleet, this.services, { node: () => counters.hit(k, end, tokens), fleet: (link) => link.hitFixed(k, end * 1000, tokens) }));
    }
  }
}

/** A charge nobody waits for: its outcome is only ever counted (countHit's stats), never thrown. */
function settle(result: number | Promise<number>): void {
  if (typeof result !== 'number') result.catch(ignore);
}
