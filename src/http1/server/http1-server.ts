/**
 * Outpost's HTTP/1.1 server on `node:net`: accepts connections, hands each to a Connection, and
 * runs one timer for all of them (a deadline per connection checked once a second: no timer
 * object per request, and slowloris heads, stalled bodies and idle keep-alive connections all
 * expire the same way).
 *
 * The listening server is made by a factory: plain `net` by default, or a `tls.Server` whose
 * TLSSockets (net.Socket subclasses) reach the same Connection, so the parser never knows.
 *
 * Drain: the server keeps listening; requests that arrive get 503 with `Connection: close`,
 * idle keep-alive connections are closed, busy ones close after their response.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection } from './connection.js';
import { acceptPendingOn } from './pending-accepts.js';
import type { ClientResponse } from './client-response.js';
import { DEFAULT_LIMITS, type RequestHandler, type ServerLimits, type ServerShared } from './server-shared.js';

const TICK_MS = 1_000;

/** Makes the listening server; `accept` gets each connection once it can carry HTTP (after a TLS handshake). */
export type ListenerFactory = (accept: (socket: Socket) => void) => Server;

export const plainListener: ListenerFactory = (accept) => createServer({ noDelay: true }, accept);

export class Http1Server implements ServerShared {
  readonly server: Server;
  limits: ServerLimits;
  draining = false;
  requestEnded: ((res: ClientResponse) => void) | null = null;
  /** Live connections as an intrusive list: O(1) add and remove, no Set per connection. */
  private head: Connection | null = null;
  connectionCount = 0;
  private readonly tick: NodeJS.Timeout;

  constructor(readonly handle: RequestHandler, limits: Partial<ServerLimits> = {}, listener: ListenerFactory = plainListener) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.server = listener((socket) => this.accept(socket));
    // A burst of new connections is accepted at once, not one per event-loop iteration (pending-accepts.ts).
    acceptPendingOn(this.server);
    this.tick = setInterval(() => this.expire(), TICK_MS);
    this.tick.unref();
  }

  setLimits(limits: Partial<ServerLimits>): void { this.limits = { ...this.limits, ...limits }; }

  private accept(socket: Socket): void {
    const c = new Connection(socket, this);
    c.next = this.head;
    if (this.head) this.head.prev = c;
    this.head = c;
    this.connectionCount++;
    // While draining, a new connection still gets its answer (503, Connection: close) rather than
    // a reset: it is left to send its request.
  }

  connectionClosed(c: Connection): void {
    if (c.prev === null && this.head !== c) return; // already removed
    if (c.prev) c.prev.next = c.next;
    else this.head = c.next;
    if (c.next) c.next.prev = c.prev;
    c.prev = c.next = null;
    this.connectionCount--;
  }

  private expire(): void {
    const now = Date.now();
    for (let c = this.head; c !== null;) {
      const next = c.next;
      if (c.deadline !== 0 && now > c.deadline) c.expired();
      c = next;
    }
  }

  /** Starts draining: see the file comment. */
  drain(): void {
    this.draining = true;
    for (let c = this.head; c !== null;) { const next = c.next; c.drain(); c = next; }
  }

  /** Stops listening and destroys every connection (the end of a drain, or a failed worker). */
  close(): void {
    clearInterval(this.tick);
    this.server.close();
    for (let c = this.head; c !== null;) { const next = c.next; c.socket.destroy(); c = next; }
  }
}
