/**
 * rate-limit's sliding window at node scope, over the fixed-window shared counters: each key
 * counts in two alternating counters (even and odd window indexes), so when a window starts the
 * previous window's count is still there to read. The count is this window's hits plus the
 * previous window's weighted by its overlap with the last `renewal-period`, rounded up: the
 * estimate Redis computes for fleet scope (src/gateway/redis/counter-scripts.ts), so a limit
 * means the same in both scopes and a burst across a window boundary is held to `calls`.
 *
 * Cost: one more key hash and probe (a peek, no write) per request, and two counter slots per key.
 */
import type { CounterStore } from '../pipeline/worker-services.js';

/** Appended to the key: which of the two alternating counters. After the policy prefix, so overflow still groups by policy. */
const PARITY = ['\u0001e', '\u0001o'] as const;

/** Counts a hit of weight `amount` (increment-count; tokens for the LLM token limits) and returns the sliding count including it. */
export function slidingNodeCount(counters: CounterStore, key: string, nowMs: number, periodSec: number, amount = 1): number {
  const periodMs = periodSec * 1000;
  const index = Math.floor(nowMs / periodMs);
  const parity = index & 1;
  const count = counters.hit(key + PARITY[parity], (index + 1) * periodSec, amount);
  return count + previousShare(counters, key, nowMs, periodSec, index, parity);
}

/**
 * The sliding count without counting (a deferred increment: rate-limit-by-key with an
 * increment-condition or an expression increment-count counts when the request ends; the LLM
 * token limits check before they charge).
 */
export function slidingNodePeek(counters: CounterStore, key: string, nowMs: number, periodSec: number): number {
  const index = Math.floor(nowMs / (periodSec * 1000));
  const parity = index & 1;
  return counters.peek(key + PARITY[parity], (index + 1) * periodSec) + previousShare(counters, key, nowMs, periodSec, index, parity);
}

/** The previous window's count weighted by its overlap with the last period, rounded up. */
function previousShare(counters: CounterStore, key: string, nowMs: number, periodSec: number, index: number, parity: number): number {
  const periodMs = periodSec * 1000;
  // The other counter, read only if it holds the window just before this one (else 0).
  const previous = counters.peek(key + PARITY[parity ^ 1], index * periodSec);
  if (previous === 0) return 0;
  return Math.ceil((previous * (periodMs - (nowMs - index * periodMs))) / periodMs);
}
