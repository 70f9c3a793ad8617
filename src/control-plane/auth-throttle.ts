/**
 * Brute-force throttling of credentials, per client address: admin bearer tokens, dashboard
 * logins and gateway tokens with a bad signature all count as failures of the address that sent
 * them. The first FREE_FAILURES cost nothing (a mistyped token, a gateway holding a token of a
 * key just regenerated); after that each failure blocks the address for twice as long as the one
 * before (1 s, 2 s, 4 s ... up to MAX_DELAY_MS), and while blocked, any attempt that carries a
 * credential is answered 429 with Retry-After and never checked. So guessing drops from thousands
 * of attempts a second to one every few minutes, and other addresses are not affected.
 *
 * A good admin token clears its address (its holder needs no throttle); a good gateway token does
 * not, so holding one gateway's token does not buy guesses at another's. The table is bounded:
 * entries quiet for FORGET_AFTER_MS go first, then the oldest.
 */
export const FREE_FAILURES = 10;
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60_000;
const FORGET_AFTER_MS = 15 * 60_000;
const MAX_ADDRESSES = 10_000;

interface Entry { failures: number; lastFailureMs: number; blockedUntilMs: number }

export type ThrottleCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  /** Attempts answered 429 since start (for /metrics). */
  throttled = 0;

  constructor(private readonly maxAddresses = MAX_ADDRESSES) {}

  /** Whether `address` may try a credential now; a refusal is counted. */
  check(address: string, now = Date.now()): ThrottleCheck {
    const e = this.entries.get(address);
    if (!e || e.blockedUntilMs <= now) return { ok: true };
    this.throttled++;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((e.blockedUntilMs - now) / 1000)) };
  }

  failure(address: string, now = Date.now()): void {
    let e = this.entries.get(address);
    if (e && now - e.lastFailureMs > FORGET_AFTER_MS) { this.entries.delete(address); e = undefined; }
    if (!e) {
      if (this.entries.size >= this.maxAddresses) this.prune(now);
      e = { failures: 0, lastFailureMs: now, blockedUntilMs: 0 };
    } else {
      this.entries.delete(address); // re-inserted below: Map order is then least recently failed first
    }
    e.failures++;
    e.lastFailureMs = now;
    if (e.failures > FREE_FAILURES) e.blockedUntilMs = now + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(30, e.failures - FREE_FAILURES - 1));
    this.entries.set(address, e);
  }

  /** A good admin credential: the address starts over. */
  success(address: string): void {
    this.entries.delete(address);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [address, e] of this.entries) if (now - e.lastFailureMs > FORGET_AFTER_MS && e.blockedUntilMs <= now) this.entries.delete(address);
    for (const address of this.entries.keys()) {
      if (this.entries.size < this.maxAddresses) break;
      this.entries.delete(address);
    }
  }
}

/** The peer address as the socket saw it (forwarding headers are not trusted here). */
export function clientAddress(socket: { remoteAddress?: string }): string {
  const a = socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
