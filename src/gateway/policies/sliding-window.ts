/**
 * rate-limit's sliding window at node scope, over the fixed-window shared counters: each key
 * counts in two alternating counters (even and odd window indexes), so when a window starts the
 * previous window's count is still there to read. The count is this window's hits plus the
 * previous window's weighted by its overlap with the last `renewal-period`, rounded up: the
 * estimate Redis computes for fleet scope (src/gateway/redis/counter-scripts.ts), so a limit
 * means the same in both scopes and a burst across a window boundary is held to `calls`.
 *
 * Cost: one more probe (a peek, no write) per request, and two counter slots per key. The two
 * counters are the key with either of PAIR_SUFFIXES appended (shared/counter-layout.ts); the store
 * hashes both from one pass over the key, without making either string.
 */
import type { CounterStore } from '../pipeline/worker-services.js';

/** Counts a hit of weight `amount` (increment-count; tokens for the LLM token limits) and returns the sliding count including it. */
export function slidingNodeCount(counters: CounterStore, key: string, nowMs: number, periodSec: number, amount = 1): number {
  const periodMs = periodSec * 1000;
  const index = Math.floor(nowMs / periodMs);
  const parity = (index & 1) as 0 | 1;
  const count = counters.hitPaired(key, parity, (index + 1) * periodSec, amount);
  return count + previousShare(counters, key, nowMs, periodSec, index, parity);
}

/**
 * The sliding count without counting (a deferred increment: rate-limit-by-key with an
 * increment-condition or an expression increment-count counts when the request ends; the LLM
 * token limits check before they charge).
 */
export function slidingNodePeek(counters: CounterStore, key: string, nowMs: number, periodSec: number): number {
  const index = Math.floor(nowMs / (periodSec * 1000));
  const parity = (index & 1) as 0 | 1;
  return counters.peekPaired(key, parity, (index + 1) * periodSec) + previousShare(counters, key, nowMs, periodSec, index, parity);
}

/** The previous window's count weighted by its overlap with the last period, rounded up. */
function previousShare(counters: CounterStore, key: string, nowMs: number, periodSec: number, index: number, parity: 0 | 1): number {
  const periodMs = periodSec * 1000;
  // The other counter, read only if it holds the window just before this one (else 0).
  const previous = counters.peekPaired(key, (parity ^ 1) as 0 | 1, index * periodSec);
  if (previous === 0) return 0;
  return Math.ceil((previous * (periodMs - (nowMs - index * periodMs))) / periodMs);
}
