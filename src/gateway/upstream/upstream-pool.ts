/**
 * The keep-alive pool of one backend origin in one worker: at most `connections` sockets, a wait
 * queue of at most `queueLimit` requests (beyond it: 503 OUTPOST_ERR_UPSTREAM_BUSY at once, never
 * unbounded memory), idle connections reused most-recent first (the warmest, and the least likely
 * to have hit the backend's idle timeout).
 *
 * One sweep timer per pool, running only while it has connections or waiters, advances a coarse
 * clock (`now`) and applies every timeout: connect, response head, body idle, keep-alive idle,
 * and the wait in the queue. Requests arm no timer and read no clock.
 */
import { isIP } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { OutpostError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { taggedArray } from '../../shared/tagged-array.js';
import { ConnectBackoff } from './connect-backoff.js';
import { Dispatch, D_DONE, D_QUEUED, type DispatchOwner } from './dispatch.js';
import { UpstreamConnection } from './upstream-connection.js';
import type { ProxyRoute } from './proxy-route.js';
import type { Dispatcher, UpstreamHandler, UpstreamRequest } from './upstream-types.js';

export type UpstreamSettings = GatewaySettings['upstream'];

export interface UpstreamTarget {
  tls: boolean;
  host: string;
  port: number;
  /** SNI name: the host when it is a name, undefined for an address. */
  servername: string | undefined;
}

/** How an https pool connects beyond Node's defaults (a backend TLS profile); null = the defaults. */
export interface UpstreamTls {
  profileId: string;
  secureContext: SecureContext;
  /** False only for an API with backendTls.insecureSkipVerify. */
  rejectUnauthorized: boolean;
}

export function parseOrigin(origin: string): UpstreamTarget {
  const url = new URL(origin);
  const tls = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { tls, host, port: url.port ? Number(url.port) : tls ? 443 : 80, servername: isIP(host) === 0 ? host : undefined };
}

/** A client certificate the pool presents to its backend (authentication-certificate), PEM. */
export interface ClientCertificate {
  id: string;
  cert: string;
  key: string;
  /** SHA-256 of cert and key: pools are keyed by it, so a changed file gets new connections. */
  fingerprint: string;
  /** APIM's thumbprint: SHA-1 of the leaf certificate's DER, 40 uppercase hex digits (authentication-certificate thumbprint). */
  thumbprint: string;
}

export class UpstreamPool implements Dispatcher, DispatchOwner {
  readonly target: UpstreamTarget;
  /** Coarse clock in ms, advanced by the sweep. */
  now = Date.now();
  private readonly all = new Set<UpstreamConnection>();
  private readonly idleList = taggedArray<UpstreamConnection>();
  private queue: Dispatch[] = [];
  private queueHead = 0;
  /** Live (not aborted) requests in the queue. */
  private waiting = 0;
  private sweeper: NodeJS.Timeout | null = null;
  private readonly tickMs: number;
  private closing = false;
  private onDrained: (() => void) | null = null;
  private lastTlsLog = -Infinity;
  /** Fail-fast while the origin accepts no connections (connect-backoff.ts). */
  private readonly backoff: ConnectBackoff;

  /** `via`: an HTTP proxy every connection of this pool goes through (proxy-route.ts); null connects directly. */
  constructor(readonly origin: string, readonly settings: UpstreamSettings, readonly tls: UpstreamTls | null = null, readonly via: ProxyRoute | null = null) {
    this.target = parseOrigin(origin);
    this.backoff = new ConnectBackoff(origin, settings.connectBackoffMs);
    const shortest = Math.min(settings.connectTimeoutMs, settings.headersTimeoutMs, settings.bodyTimeoutMs, settings.keepAliveTimeoutMs);
    this.tickMs = Math.max(10, Math.min(250, Math.floor(shortest / 8)));
  }

  get connectionCount(): number { return this.all.size; }
  get queued(): number { return this.waiting; }

  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    const d = new Dispatch(this, req, handler);
    handler.onConnect(d.abort);
    if (d.state === D_DONE) return true;
    if (this.closing) { d.fail(new OutpostError('OUTPOST_ERR_BACKEND_UNREACHABLE', 'the backend pool is closed')); return true; }
    this.start(d);
    return true;
  }

  private start(d: Dispatch): void {
    // Stamped on every request, not only on one that queues: a field first written after
    // construction changes its shape in V8's eyes (from constant to mutable), and a worker's first
    // queued request (under load: the warm-up never fills a pool) threw away every optimized
    // function that makes a Dispatch, the request handler among them, to recompile it then.
    d.queuedAt = this.now;
    let idle = this.idleList.pop();
    while (idle !== undefined && idle.expired) { idle.destroy(); idle = this.idleList.pop(); }
    if (idle !== undefined) { idle.assign(d); return; }
    if (this.backoff.until !== 0 && !this.mayConnect(d)) return;
    if (this.all.size < this.settings.connections) { this.open().assign(d); return; }
    if (this.waiting >= this.settings.queueLimit) {
      d.fail(new OutpostError('OUTPOST_ERR_UPSTREAM_BUSY'));
      return;
    }
    this.queue.push(d);
    this.waiting++;
  }

  /**
   * The client gets only a code (502 OUTPOST_ERR_BACKEND_TLS); the operator needs the cause (an
   * unknown CA, a wrong name, a refused client certificate). Logged at most every 10 s per pool,
   * however many requests fail.
   */
  tlsFailed(err: Error): void {
    if (this.now - this.lastTlsLog < 10_000) return;
    this.lastTlsLog = this.now;
    log('warn', 'TLS connection to a backend failed', { errorCode: 'OUTPOST_ERR_BACKEND_TLS', origin: this.origin, cause: (err as { code?: string }).code, error: err.message.slice(0, 300) });
  }

  /** Again, on a new connection (a reused one failed before any response byte). */
  retryFresh(d: Dispatch): void {
    if (this.closing) { d.fail(new OutpostError('OUTPOST_ERR_BACKEND_UNREACHABLE', 'the backend pool is closed')); return; }
    if (this.all.size >= this.settings.connections) { this.start(d); return; }
    if (this.backoff.until === 0 || this.mayConnect(d)) this.open().assign(d);
  }

  /** While the origin is down: true lets `d` try a connection, else `d` fails at once. */
  private mayConnect(d: Dispatch): boolean {
    if (this.backoff.tryNow()) return true;
    d.fail(this.backoff.error());
    return false;
  }

  /**
   * A connection failed before it opened (called before it leaves the pool, so its slot does not
   * open another connection for a waiter). With no other connection open, the origin is down:
   * the requests waiting for a connection fail now, each with the same error, rather than each
   * trying a connect of its own as slots free.
   */
  connectFailed(err: Error): void {
    if (this.closing) return;
    for (const conn of this.all) if (conn.isOpen) return;
    if (this.backoff.failed(err)) this.failWaiting(this.backoff.error());
  }

  /** A connection opened: the origin is up. */
  connectionOpened(): void { this.backoff.connected(); }

  /** Every request still waiting for a connection fails with `err`. */
  private failWaiting(err: Error): void {
    while (this.queueHead < this.queue.length) {
      const d = this.queue[this.queueHead++];
      if (d.state === D_QUEUED) { this.waiting--; d.fail(err); }
    }
    this.compactQueue();
  }

  private open(): UpstreamConnection {
    if (this.sweeper === null) {
      this.now = Date.now();
      this.sweeper = setInterval(this.sweep, this.tickMs);
      this.sweeper.unref();
    }
    const conn = new UpstreamConnection(this);
    this.all.add(conn);
    return conn;
  }

  /** A connection finished an exchange (or connected with nothing to send). */
  release(conn: UpstreamConnection, reusable: boolean): void {
    if (!reusable || this.closing) { conn.destroy(); return; }
    const next = this.dequeue();
    if (next !== null) { conn.assign(next); return; }
    conn.idle();
    this.idleList.push(conn);
  }

  connectionGone(conn: UpstreamConnection): void {
    if (!this.all.delete(conn)) return;
    const at = this.idleList.lastIndexOf(conn);
    if (at >= 0) this.idleList.splice(at, 1);
    // A slot is free: a waiting request gets a new connection.
    if (!this.closing && this.waiting > 0 && this.all.size < this.settings.connections) {
      const next = this.dequeue();
      if (next !== null) this.open().assign(next);
    }
    this.stopSweepWhenIdle();
  }

  aborted(d: Dispatch): void {
    if (d.state === D_QUEUED) { this.waiting--; return; } // left in the array, skipped by dequeue
    d.conn?.abortCurrent();
  }

  private dequeue(): Dispatch | null {
    while (this.queueHead < this.queue.length) {
      const d = this.queue[this.queueHead++];
      if (d.state !== D_QUEUED) continue;
      this.waiting--;
      this.compactQueue();
      return d;
    }
    this.compactQueue();
    return null;
  }

  private compactQueue(): void {
    if (this.queueHead === this.queue.length) { this.queue = []; this.queueHead = 0; }
    else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) { this.queue = this.queue.slice(this.queueHead); this.queueHead = 0; }
  }

  private readonly sweep = (): void => {
    const now = (this.now = Date.now());
    for (const conn of this.all) conn.checkTimeout(now);
    // Waiters are in arrival order: only the oldest can be past their time.
    while (this.queueHead < this.queue.length) {
      const d = this.queue[this.queueHead];
      if (d.state !== D_QUEUED) { this.queueHead++; continue; }
      if (now - d.queuedAt <= (d.req.headersTimeout ?? this.settings.headersTimeoutMs)) break;
      this.queueHead++;
      this.waiting--;
      d.fail(new OutpostError('OUTPOST_ERR_BACKEND_TIMEOUT', 'no connection to the backend became free in time'));
    }
    this.compactQueue();
    this.stopSweepWhenIdle();
  };

  private stopSweepWhenIdle(): void {
    if (this.all.size > 0 || this.waiting > 0) return;
    if (this.sweeper !== null) { clearInterval(this.sweeper); this.sweeper = null; }
    if (this.onDrained !== null) { const done = this.onDrained; this.onDrained = null; done(); }
  }

  /** Stops taking requests; those in flight finish, idle connections close. */
  close(): Promise<void> {
    this.closing = true;
    for (const conn of [...this.idleList]) conn.destroy();
    if (this.all.size === 0 && this.waiting === 0) { this.stopSweepWhenIdle(); return Promise.resolve(); }
    return new Promise((resolve) => { this.onDrained = resolve; });
  }

  /** Fails everything at once (worker exit). */
  destroy(): Promise<void> {
    this.closing = true;
    const err = new OutpostError('OUTPOST_ERR_BACKEND_UNREACHABLE', 'the backend pool was destroyed');
    this.failWaiting(err);
    for (const conn of [...this.all]) conn.fail(err);
    this.stopSweepWhenIdle();
    return Promise.resolve();
  }
}
