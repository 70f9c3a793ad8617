/**
 * One backend's circuit breaker in one worker (as APIM's: per gateway instance, not fleet-wide).
 * It opens when `count` failures (a status in the rule's ranges, or a counted connection
 * failure) happen within `interval`, stays open for `tripDuration` (or the backend's Retry-After
 * when the rule accepts it), then closes again with its history cleared.
 *
 * Failures are kept as a ring of the last `count` failure times: the breaker trips when the ring
 * is full and its oldest entry is within the interval. Memory is bounded by `count` (≤ 10,000).
 */
import type { CompiledBreakerRule } from './compiled-backend.js';
import { BREAKER_ERROR_REASONS } from '../../shared/backend-schema.js';

/** Retry-After is trusted up to a day, like tripDuration. */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;
const DEFAULT_REASONS: readonly string[] = BREAKER_ERROR_REASONS;

export class CircuitBreaker {
  private readonly times: number[] = [];
  /** Next slot of the ring to write once it is full. */
  private next = 0;
  private openUntil = 0;

  constructor(readonly rule: CompiledBreakerRule) {}

  isOpen(now: number): boolean {
    if (this.openUntil === 0) return false;
    if (now < this.openUntil) return true;
    this.openUntil = 0; // the trip is over: start counting afresh
    return false;
  }

  /** isOpen, reading the clock only when the breaker has tripped (the common closed case reads none). */
  isOpenBy(clock: () => number): boolean {
    return this.openUntil !== 0 && this.isOpen(clock());
  }

  /** Whether a backend status is a failure for this rule. */
  isFailure(status: number): boolean {
    for (const [min, max] of this.rule.statusRanges) if (status >= min && status <= max) return true;
    return false;
  }

  /** A backend answer: counts when its status is in a failure range. */
  recordStatus(status: number, retryAfter: string | null, now: number): void {
    if (this.isFailure(status)) this.failure(now, retryAfter);
  }

  /** A failure with no answer (connection refused, timeout...): counts when the rule lists its code. */
  recordError(code: string, now: number): void {
    if ((this.rule.errorReasons ?? DEFAULT_REASONS).includes(code)) this.failure(now, null);
  }

  private failure(now: number, retryAfter: string | null): void {
    if (this.isOpen(now)) return;
    const { count, intervalMs } = this.rule;
    const times = this.times;
    if (times.length < count) times.push(now);
    else { times[this.next] = now; this.next = (this.next + 1) % count; }
    if (times.length < count) return;
    const oldest = times[this.next]; // the ring is full: the next slot to overwrite holds the oldest
    if (now - oldest > intervalMs) return;
    const fromHeader = this.rule.acceptRetryAfter ? retryAfterMs(retryAfter, now) : null;
    this.openUntil = now + (fromHeader ?? this.rule.tripMs);
    times.length = 0;
    this.next = 0;
  }
}

/** Retry-After as seconds or an HTTP date, in ms from now; null when absent, invalid or in the past. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  const ms = /^\d{1,9}$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
