/**
 * One request handed to the pool: queued, then on a connection, then done. It owns the two
 * functions the exchange keeps (`abort`, `resume`), so a stale call from an exchange that has
 * moved on (a late onWritable, a drain cut-off after the end) can never touch the connection's
 * next request.
 */
import { Buffer } from 'node:buffer';
import type { UpstreamHandler, UpstreamRequest } from './upstream-types.js';
import type { UpstreamConnection } from './upstream-connection.js';

export const D_QUEUED = 0;
export const D_ACTIVE = 1;
export const D_DONE = 2;

export interface DispatchOwner {
  /** Takes an aborted dispatch out of the queue or off its connection. */
  aborted(d: Dispatch): void;
}

export class Dispatch {
  state = D_QUEUED;
  conn: UpstreamConnection | null = null;
  /** Sent again once already, after a reused connection failed before any response byte. */
  retried = false;
  /** Pool clock when it reached the pool (`start`, every request): a queued request waits at most its headers timeout from then. */
  queuedAt = 0;

  constructor(readonly owner: DispatchOwner, readonly req: UpstreamRequest, readonly handler: UpstreamHandler) {}

  readonly abort = (err?: Error): void => {
    if (this.state === D_DONE) return;
    this.owner.aborted(this);
    this.fail(err ?? new Error('request aborted'));
  };

  readonly resume = (): void => {
    if (this.state === D_ACTIVE && this.conn !== null) this.conn.resumeReading(this);
  };

  /** Ends the dispatch with an error, once. */
  fail(err: Error): void {
    if (this.state === D_DONE) return;
    this.state = D_DONE;
    this.conn = null;
    this.handler.onError(err);
  }

  /** May be sent again on a fresh connection: nothing or a Buffer to send, and idempotent or bodiless. */
  get replayable(): boolean {
    const { body, method } = this.req;
    if (body === null) return true;
    if (!Buffer.isBuffer(body)) return false;
    return body.length === 0 || method === 'GET' || method === 'HEAD' || method === 'PUT' || method === 'DELETE' || method === 'OPTIONS' || method === 'TRACE';
  }
}
