/**
 * What each worker's Redis link and fleet counters report to the primary's /metrics and
 * readiness: one row of Float64 slots per worker index in a SharedArrayBuffer the primary
 * allocates once. Only the worker owning a row writes it (plain stores: a single writer, and
 * aligned 64-bit stores are not torn on the platforms Node supports); the primary only reads.
 */
import { log } from '../../shared/log.js';
import type { RedisState } from './redis-link.js';

/** Slots of a row, each a named constant (DESIGN rule 4). */
export const STAT_STATE = 0; // 0 connecting, 1 up, 2 down
export const STAT_BREAKER = 1; // 0 closed, 1 open, 2 half-open
export const STAT_FAILURES = 2; // commands that failed or timed out
export const STAT_SHORT_CIRCUITS = 3; // calls answered "unavailable" by the open breaker without asking
export const STAT_BREAKER_OPENS = 4;
export const STAT_FAIL_OPEN = 5; // fleet-counter hits counted node-wide instead (fail-mode="open")
export const STAT_FAIL_CLOSED = 6; // fleet-counter hits answered 503 (fail-mode="closed")
const ROW_SLOTS = 8;

export type BreakerState = 'closed' | 'open' | 'half-open';
const STATE_CODE: Record<RedisState, number> = { connecting: 0, up: 1, down: 2 };
const BREAKER_CODE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

export function allocateRedisStats(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, workers) * ROW_SLOTS * 8);
}

/** A worker's row: the link and the fleet policies write through this. */
export class RedisStatsRow {
  private readonly row: Float64Array;
  /** Whether the last fleet-counter decision fell back: logged once per change, not per request. */
  private fallingBack = false;

  constructor(buffer: SharedArrayBuffer | null, index: number) {
    this.row = buffer ? new Float64Array(buffer, index * ROW_SLOTS * 8, ROW_SLOTS) : new Float64Array(ROW_SLOTS);
  }

  state(state: RedisState): void { this.row[STAT_STATE] = STATE_CODE[state]; }
  breaker(state: BreakerState): void {
    if (state === 'open' && this.row[STAT_BREAKER] !== BREAKER_CODE.open) this.row[STAT_BREAKER_OPENS]++;
    this.row[STAT_BREAKER] = BREAKER_CODE[state];
  }
  failure(): void { this.row[STAT_FAILURES]++; }
  shortCircuit(): void { this.row[STAT_SHORT_CIRCUITS]++; }

  /** A fleet counter could not reach Redis and applied its fail mode. */
  fellBack(mode: 'open' | 'closed'): void {
    this.row[mode === 'open' ? STAT_FAIL_OPEN : STAT_FAIL_CLOSED]++;
    if (!this.fallingBack) {
      this.fallingBack = true;
      log('warn', 'fleet counters cannot reach Redis: fail-mode="open" policies count node-wide, fail-mode="closed" ones answer 503', { errorCode: 'OUTPOST_ERR_REDIS_UNAVAILABLE' });
    }
  }

  /** A fleet counter reached Redis again. */
  reached(): void {
    if (!this.fallingBack) return;
    this.fallingBack = false;
    log('info', 'fleet counters reach Redis again: counting fleet-wide');
  }
}

/** The primary's view: sums and per-state counts over every row. */
export interface RedisStatsTotals {
  workersUp: number;
  breakersOpen: number;
  failures: number;
  shortCircuits: number;
  breakerOpens: number;
  failOpen: number;
  failClosed: number;
}

export function readRedisStats(buffer: SharedArrayBuffer): RedisStatsTotals {
  const all = new Float64Array(buffer);
  const totals: RedisStatsTotals = { workersUp: 0, breakersOpen: 0, failures: 0, shortCircuits: 0, breakerOpens: 0, failOpen: 0, failClosed: 0 };
  for (let at = 0; at < all.length; at += ROW_SLOTS) {
    if (all[at + STAT_STATE] === STATE_CODE.up) totals.workersUp++;
    if (all[at + STAT_BREAKER] !== BREAKER_CODE.closed) totals.breakersOpen++;
    totals.failures += all[at + STAT_FAILURES];
    totals.shortCircuits += all[at + STAT_SHORT_CIRCUITS];
    totals.breakerOpens += all[at + STAT_BREAKER_OPENS];
    totals.failOpen += all[at + STAT_FAIL_OPEN];
    totals.failClosed += all[at + STAT_FAIL_CLOSED];
  }
  return totals;
}
