/**
 * The circuit breaker in front of a Redis connection. Closed: every call goes to Redis.
 * After `threshold` consecutive failures it opens: calls are answered "unavailable" at once,
 * without asking (a dead Redis must not cost every request its command budget). After a
 * backoff it goes half-open: one probe (a PING, sent by the link) decides: success closes it,
 * failure opens it again with the backoff doubled (up to MAX_OPEN_MS).
 */
import type { BreakerState } from './redis-stats.js';

const MAX_OPEN_MS = 30_000;

export class CircuitBreaker {
  state: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openUntil = 0;
  private backoffMs: number;

  constructor(
    private readonly threshold: number,
    private readonly baseOpenMs: number,
    private readonly onChange: (state: BreakerState) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.backoffMs = baseOpenMs;
  }

  /** Whether a call may go to Redis now (closed). Open past its backoff: time for a probe. */
  allows(): boolean {
    return this.state === 'closed';
  }

  /** Open and the backoff has passed: the caller should send one probe (and mark it started). */
  probeDue(): boolean {
    return this.state === 'open' && this.now() >= this.openUntil;
  }

  probeStarted(): void {
    this.set('half-open');
  }

  success(): void {
    this.consecutiveFailures = 0;
    if (this.state !== 'closed') {
      this.backoffMs = this.baseOpenMs;
      this.set('closed');
    }
  }

  failure(): void {
    if (this.state === 'half-open') {
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_OPEN_MS);
      this.open();
      return;
    }
    if (this.state === 'open') return;
    if (++this.consecutiveFailures >= this.threshold) this.open();
  }

  private open(): void {
    this.consecutiveFailures = 0;
    this.openUntil = this.now() + this.backoffMs;
    this.set('open');
  }

  private set(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state);
  }
}
