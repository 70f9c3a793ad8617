/**
 * Fail-fast for a backend origin that accepts no connections (gateway.upstream.connectBackoffMs).
 *
 * Without it every request to a dead origin opened a socket of its own: a net.Socket, a connect,
 * an error with its stack trace, a 502. `npm run bench:dead-backend` (one worker on one core, a
 * refused loopback port, 15,000 requests/s open-loop): 107-110 µs of CPU a request, and the worker
 * answered only ~9,200 a second (p50 2.5 s); V8 copied ~10 MB of sockets and errors at each
 * scavenge (the sockets' native handles keep them alive until a full GC), a full GC every ~0.8 s.
 * One dead backend slowed every API of the worker. With the backoff: all 15,000, p50 142 µs,
 * 41-42 µs a request.
 *
 * So: when a connect fails (refused, unreachable, DNS, connect timeout) while the worker has no
 * open connection to the origin, the origin is "down" for one period. Its requests then fail at
 * once with the same error code (502, or 504 after a connect timeout); the first request after
 * the period tries one connection, which starts the next period; a connection that opens ends
 * it. A dead origin costs one connect attempt a period. TLS failures are left alone: each request
 * keeps its own precise error, and a pool with an open connection never goes down (one refused
 * connect among working ones is the backend's backlog, not an outage).
 */
import { OutpostError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { backendErrorCode } from './backend-errors.js';

/** An origin going down is logged at most this often per worker (and its coming back only after a logged one): a flapping backend does not flood the log. */
const LOG_EVERY_MS = 10_000;

export class ConnectBackoff {
  /** Date.now() until which the origin's requests fail at once; 0: up (always 0 when the period is 0). */
  until = 0;
  /**
   * What the requests get while down: one error for them all, made when the origin went down (an
   * Error per request spent ~8 µs capturing a stack trace nobody reads; nothing mutates it).
   */
  private downError: OutpostError | null = null;  // set by failed(), the only way `until` leaves 0
  private lastLog = -Infinity;
  /** The last going-down was logged: its coming back is logged too. */
  private loggedDown = false;

  constructor(private readonly origin: string, readonly periodMs: number) {}

  /**
   * While down: true when the period is over (the caller tries one connection, and the next
   * period starts now, so the other requests keep failing while it connects), else false.
   */
  tryNow(): boolean {
    const now = Date.now();
    if (now < this.until) return false;
    this.until = now + this.periodMs;
    return true;
  }

  /** What a request gets while the origin is down (`until` not 0): the last connect failure's code and cause. */
  error(): OutpostError {
    return this.downError!;
  }

  /**
   * A connect failed and the pool has no open connection. True when the origin is now down (the
   * caller fails the requests waiting for a connection); false for a failure this does not cover.
   */
  failed(err: Error): boolean {
    if (this.periodMs === 0) return false;
    const code = backendErrorCode(err);
    if (code !== 'OUTPOST_ERR_BACKEND_UNREACHABLE' && code !== 'OUTPOST_ERR_BACKEND_TIMEOUT') return false;
    const wasUp = this.until === 0;
    const now = Date.now();
    this.until = now + this.periodMs;
    const cause = (err as { code?: string }).code ?? err.message.slice(0, 200);
    this.downError = new OutpostError(code, `${cause}; the origin is tried again at most every ${this.periodMs} ms`);
    if (wasUp && now - this.lastLog >= LOG_EVERY_MS) {
      this.lastLog = now;
      this.loggedDown = true;
      log('warn', 'backend origin accepts no connections; its requests fail at once between connect attempts', {
        errorCode: code, origin: this.origin, cause, connectBackoffMs: this.periodMs,
      });
    }
    return true;
  }

  /** A connection to the origin opened. */
  connected(): void {
    if (this.until === 0) return;
    this.until = 0;
    if (!this.loggedDown) return;
    this.loggedDown = false;
    log('info', 'backend origin accepts connections again', { origin: this.origin });
  }
}
