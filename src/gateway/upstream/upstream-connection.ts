/**
 * One keep-alive connection to a backend origin: a socket, a response parser, and at most one
 * request at a time (no pipelining). Reused only after a complete exchange: the response read
 * to its end with nothing after it, the request sent to its end, no `Connection: close`, HTTP/1.1.
 * Anything malformed destroys it.
 *
 * Timeouts are checked by the pool's sweep against a coarse clock (`pool.now`), so the
 * per-request path reads no clock and arms no timer.
 */
import { Buffer } from 'node:buffer';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Readable } from 'node:stream';
import { ResponseParser, type ResponseSink } from '../../http1/response-parser.js';
import { OutpostError } from '../../shared/errors.js';
import { backendErrorCode } from './backend-errors.js';
import { Dispatch, D_ACTIVE, D_DONE } from './dispatch.js';
import { requestHeadBound, writeRequestHead, BODY_BUFFER, BODY_STREAM_CHUNKED, BODY_STREAM_LENGTH } from './request-writer.js';
import { headWriter, sendWritten, stageableFd } from '../../shared/iteration-writes.js';
import { StreamedRequestBody } from './streamed-request-body.js';
import type { UpstreamPool } from './upstream-pool.js';
import type { UpstreamRequest } from './upstream-types.js';
import { connectAnswer, connectRequest, type ProxyRoute } from './proxy-route.js';
import { copyOf } from '../../shared/buffer-natives.js';
import { ResponseHeaders } from './response-headers.js';
import { registerNativeBuffer } from '../../shared/native-buffers.js';

/**
 * Plain sockets read into one buffer per worker (the `onread` option): no buffer is allocated
 * per read. Everything is parsed synchronously in the callback; what must outlive it is copied:
 * the response head (the exchange writes it later), body bytes (a client socket may queue them)
 * and the unread rest of a paused read.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
// Response heads that arrive in one read are scanned in place by the addon (head-fields.ts, shared/native-buffers.ts).
registerNativeBuffer(READ_BUFFER);
/** One per worker: a handler reads it only during onHeaders. */
const RESPONSE_HEADERS = new ResponseHeaders();

/** What the connection is waiting for; the sweep applies the matching timeout. */
export const P_CONNECT = 0;
export const P_SEND = 1;
export const P_HEAD = 2;
export const P_BODY = 3;
export const P_IDLE = 4;

const PARSE_ERRORS: Record<number, string> = {
  [-1]: 'malformed response head', [-2]: 'response head too large', [-3]: 'unexpected 101 Switching Protocols',
  [-4]: 'malformed chunked body', [-5]: 'more bytes than the response declared', [-6]: 'connection closed before the end of the response',
};

export class UpstreamConnection implements ResponseSink {
  /** The socket requests go on: for https through a proxy, replaced by the TLS socket once the tunnel is open. */
  socket: Socket;
  private readonly parser = new ResponseParser(this);
  current: Dispatch | null = null;
  /** Complete exchanges so far: a failure on a reused connection may be the backend's idle close. */
  exchanges = 0;
  private connected = false;
  /** Where staged writes go once connected (iteration-writes.ts); -1: through the socket's stream. */
  private fd = -1;
  closed = false;
  phase = P_CONNECT;
  /** Pool clock when the current phase started or last saw progress. */
  phaseAt: number;
  /** Backpressure from the exchange: no timeout runs while it holds the body. */
  paused = false;
  /** Unparsed rest of a read the exchange paused on (a copy: the read buffer is shared). */
  private pendingBuf: Buffer | null = null;
  private requestSent = false;
  private streamed: StreamedRequestBody | null = null;
  /** Idle lifetime: the pool's keep-alive timeout, shortened by the backend's Keep-Alive hint. */
  keepAliveMs: number;

  constructor(readonly pool: UpstreamPool) {
    const o = pool.target;
    this.keepAliveMs = pool.settings.keepAliveTimeoutMs;
    this.phaseAt = pool.now;
    const via = pool.via;
    if (via !== null && o.tls) {
      // https through a proxy: CONNECT first; TLS starts on the tunnel (openTunnel moves the handlers).
      this.socket = netConnect({ host: via.host, port: via.port });
      this.openTunnel(this.socket, via);
    } else if (via !== null) {
      // http through a proxy: the proxy is the peer; requests go in absolute form (send()).
      this.socket = netConnect({ host: via.host, port: via.port, onread: { buffer: READ_BUFFER, callback: this.onRead } });
      this.socket.on('connect', this.onConnect);
    } else if (o.tls) {
      const tls = pool.tls;
      this.socket = tlsConnect({
        host: o.host, port: o.port, servername: o.servername, ALPNProtocols: ['http/1.1'],
        ...(tls !== null ? { secureContext: tls.secureContext, rejectUnauthorized: tls.rejectUnauthorized } : {}),
      });
      this.socket.on('secureConnect', this.onConnect);
      this.socket.on('data', this.onData);
    } else {
      this.socket = netConnect({ host: o.host, port: o.port, onread: { buffer: READ_BUFFER, callback: this.onRead } });
      this.socket.on('connect', this.onConnect);
    }
    this.socket.on('end', this.onEnd);
    this.socket.on('error', this.onSocketError);
    this.socket.on('close', this.onClose);
  }

  /** Sends `d` on this connection (now, or once connected). */
  assign(d: Dispatch): void {
    this.current = d;
    d.conn = this;
    d.state = D_ACTIVE;
    this.paused = false;
    this.requestSent = false;
    this.parser.begin(d.req.method === 'HEAD');
    if (this.connected) this.send(d);
  }

  /** Connected (for TLS: the handshake done) and not closed. */
  get isOpen(): boolean { return this.connected && !this.closed; }

  private readonly onConnect = (): void => {
    this.connected = true;
    this.pool.connectionOpened();
    this.fd = stageableFd(this.socket);
    this.socket.setNoDelay(true);
    if (this.current !== null) this.send(this.current);
    else this.pool.release(this, true);
  };

  private send(d: Dispatch): void {
    const req = this.pool.via !== null && !this.pool.target.tls ? absoluteForm(d.req, this.pool.origin, this.pool.via) : d.req;
    const body = req.body;
    const socket = this.socket;
    // The head is written straight into the staging buffer (with a small body behind it: one packet).
    const w = headWriter(socket, this.fd, requestHeadBound(req), body instanceof Uint8Array ? body.length : 0);
    let h;
    try {
      h = writeRequestHead(req, w);
    } catch (err) {
      // Nothing was sent: the connection stays good.
      this.current = null;
      d.fail(err as Error);
      this.pool.release(this, true);
      return;
    }
    this.phase = P_SEND;
    this.phaseAt = this.pool.now;
    sendWritten(socket, this.fd, w, h.framing === BODY_BUFFER ? body as Buffer : null);
    if (h.framing === BODY_STREAM_CHUNKED || h.framing === BODY_STREAM_LENGTH) {
      this.streamed = new StreamedRequestBody(this, body as Readable, h.framing === BODY_STREAM_CHUNKED ? -1 : h.length);
      return;
    }
    this.requestComplete();
  }

  /**
   * https through a proxy: sends CONNECT on `raw`, reads the proxy's answer (bounded), then starts
   * TLS to the backend inside the tunnel and moves the socket handlers to the TLS socket. A refusal
   * (407, 403, 502…) fails the request as OUTPOST_ERR_BACKEND_UNREACHABLE; the connect timeout
   * covers the whole setup (the phase stays P_CONNECT until the TLS handshake is done).
   */
  private openTunnel(raw: Socket, via: ProxyRoute): void {
    const o = this.pool.target;
    let head = '';
    raw.once('connect', () => raw.write(connectRequest(via, o.host, o.port), 'latin1'));
    const onTunnelData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const problem = connectAnswer(head);
      if (problem === null) return;
      raw.removeListener('data', onTunnelData);
      if (problem !== '') {
        this.socketError = new OutpostError('OUTPOST_ERR_BACKEND_UNREACHABLE', `${problem} (proxy ${via.host}:${via.port})`);
        raw.destroy();
        return;
      }
      const tls = this.pool.tls;
      const secure = tlsConnect({
        socket: raw, servername: o.servername, ALPNProtocols: ['http/1.1'],
        ...(tls !== null ? { secureContext: tls.secureContext, rejectUnauthorized: tls.rejectUnauthorized } : {}),
      });
      // From here the TLS socket is the connection: the raw one's end/close come through it.
      raw.removeListener('end', this.onEnd);
      raw.removeListener('error', this.onSocketError);
      raw.removeListener('close', this.onClose);
      this.socket = secure;
      secure.on('secureConnect', this.onConnect);
      secure.on('data', this.onData);
      secure.on('end', this.onEnd);
      secure.on('error', this.onSocketError);
      secure.on('close', this.onClose);
    };
    raw.on('data', onTunnelData);
  }

  /** The whole request is on the wire: the headers timeout runs from here. */
  requestComplete(): void {
    this.requestSent = true;
    this.streamed = null;
    if (this.phase === P_SEND) { this.phase = P_HEAD; this.phaseAt = this.pool.now; }
  }

  /** The streamed body failed (the client side went away, or sent more than it declared). */
  requestBodyFailed(err: Error): void {
    this.fail(err);
  }

  /** TLS sockets: 'data' events. */
  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    if (this.current === null) { this.destroy(); return; } // bytes nobody asked for: never reuse
    if (!this.feed(chunk, 0, chunk.length)) this.socket.pause();
  };

  /** Plain sockets: `onread` into READ_BUFFER; false pauses the socket. */
  private readonly onRead = (nread: number, buf: Buffer): boolean => {
    if (this.closed) return true;
    if (this.current === null) { this.destroy(); return true; }
    return this.feed(buf, 0, nread);
  };

  /** Parses buf[from, to); false when the exchange paused (the rest is kept for resumeReading). */
  private feed(buf: Buffer, from: number, to: number): boolean {
    const d = this.current!;
    if (this.phase === P_BODY) this.phaseAt = this.pool.now;
    const r = this.parser.execute(buf, from, to);
    d.handler.readDone?.();
    if (r < 0) { this.fail(new OutpostError('OUTPOST_ERR_BACKEND_PROTOCOL', PARSE_ERRORS[r] ?? 'malformed response')); return true; }
    if (this.paused && this.current === d && !this.closed) {
      // The exchange cannot take more: keep the rest of this read and stop reading the socket.
      this.pendingBuf = r < to ? Buffer.from(buf.subarray(r, to)) : null;
      return false;
    }
    return true;
  }

  /** The exchange can take more again. */
  resumeReading(d: Dispatch): void {
    if (!this.paused || this.current !== d || this.closed) return;
    this.paused = false;
    this.phaseAt = this.pool.now;
    const buf = this.pendingBuf ?? EMPTY;
    this.pendingBuf = null;
    // Always run the parser, even on nothing: a response whose last bytes were paused ends here.
    if (this.feed(buf, 0, buf.length) && !this.closed) this.socket.resume();
  }

  onResponseHead(parser: ResponseParser, parsed: Buffer): boolean {
    const d = this.current!;
    const head = parser.head;
    const f = head.fields;
    // Ranges of the head, valid during onHeaders; what the exchange keeps it copies out as strings.
    const headers = RESPONSE_HEADERS;
    headers.reset(parsed, f, head.fieldCodes);
    if (head.keepAliveTimeoutSec >= 0) {
      // Close a second before the backend would: its idle close racing our next request is the failure to avoid.
      this.keepAliveMs = Math.min(this.keepAliveMs, head.keepAliveTimeoutSec * 1000 - 1000);
    }
    this.phase = P_BODY;
    this.phaseAt = this.pool.now;
    const text = head.reasonEnd - head.reasonStart === 2 && parsed[head.reasonStart] === 0x4f && parsed[head.reasonStart + 1] === 0x4b
      ? 'OK' : parsed.toString('latin1', head.reasonStart, head.reasonEnd);
    d.handler.onHeaders(head.statusCode, headers, d.resume, text);
    return this.current === d && !this.closed;
  }

  onResponseBody(buf: Buffer, start: number, end: number): boolean {
    const d = this.current!;
    // Body bytes read into the shared buffer are copied before the exchange sees them, unless it
    // borrows them (it copies what it keeps, iteration-writes.ts writeOut): a slow client's socket
    // queues what it cannot send yet by reference, and the next read would overwrite it (a
    // 256 MiB download to a stalling client came out corrupted on Node 22).
    const chunk = buf === READ_BUFFER && !d.handler.borrowsBody ? copyOf(buf, start, end) : buf.subarray(start, end);
    const more = d.handler.onData(chunk);
    if (this.current !== d || this.closed) return false;
    if (!more) this.paused = true;
    return more;
  }

  onResponseEnd(keepAlive: boolean): void {
    const d = this.current!;
    const reusable = keepAlive && this.requestSent && this.keepAliveMs > 0;
    if (!this.requestSent) this.streamed?.stop();
    this.current = null;
    this.exchanges++;
    d.state = D_DONE;
    d.conn = null;
    d.handler.onComplete(null);
    this.pool.release(this, reusable && !this.closed);
  }

  /** Called by the pool's sweep: fails the request or closes an idle connection past its time. */
  checkTimeout(now: number): void {
    const elapsed = now - this.phaseAt;
    const s = this.pool.settings;
    const req = this.current?.req;
    switch (this.phase) {
      case P_CONNECT:
        if (elapsed > s.connectTimeoutMs) this.fail(new OutpostError('OUTPOST_ERR_BACKEND_TIMEOUT', 'connect timeout'));
        return;
      case P_SEND: // a streamed body that made no progress (refreshed on every chunk written)
      case P_HEAD:
        if (elapsed > (req?.headersTimeout ?? s.headersTimeoutMs)) this.fail(new OutpostError('OUTPOST_ERR_BACKEND_TIMEOUT', 'headers timeout'));
        return;
      case P_BODY:
        if (!this.paused && elapsed > (req?.bodyTimeout ?? s.bodyTimeoutMs)) this.fail(new OutpostError('OUTPOST_ERR_BACKEND_TIMEOUT', 'body timeout'));
        return;
      default: // P_IDLE
        if (elapsed > this.keepAliveMs) this.destroy();
    }
  }

  /** Idle past its keep-alive time (the sweep has not closed it yet): not to be reused. */
  get expired(): boolean { return this.pool.now - this.phaseAt > this.keepAliveMs; }

  /** Parked in the pool's idle list. */
  idle(): void {
    this.phase = P_IDLE;
    this.phaseAt = this.pool.now;
  }

  private readonly onEnd = (): void => {
    if (this.closed) return;
    if (this.current === null) { this.destroy(); return; }
    // EOF: ends a close-delimited body; anything else unfinished is a failure.
    const r = this.parser.finish();
    // A TLS alert (the backend wants a client certificate) arrives as an error just before EOF: keep its cause.
    if (r < 0) this.fail(this.closeError(this.socketError));
    else this.destroy();
  };

  private socketError: Error | null = null;
  private readonly onSocketError = (err: Error): void => { this.socketError = err; };

  private readonly onClose = (): void => {
    if (this.current !== null) this.fail(this.closeError(this.socketError));
    else this.destroy();
  };

  private closeError(err: Error | null): Error {
    if (this.parser.received) return new OutpostError('OUTPOST_ERR_BACKEND_PROTOCOL', PARSE_ERRORS[-6]);
    return err ?? new OutpostError('OUTPOST_ERR_BACKEND_UNREACHABLE', 'the backend closed the connection');
  }

  /**
   * Ends the current request with `err` and closes the connection. A request that failed on a
   * reused connection before any response byte (the backend closed it while idle) goes once
   * more, on a fresh connection, when that is safe.
   */
  fail(err: Error): void {
    const d = this.current;
    this.current = null;
    // Before destroy(): a connect that failed may put the origin in its backoff, and the slot
    // destroy() frees must not then open a connection for a waiting request.
    if (!this.connected && !this.closed) this.pool.connectFailed(err);
    this.destroy();
    if (!(err instanceof OutpostError) && backendErrorCode(err) === 'OUTPOST_ERR_BACKEND_TLS') this.pool.tlsFailed(err);
    if (d === null || d.state === D_DONE) return;
    const timedOut = err instanceof OutpostError && err.code === 'OUTPOST_ERR_BACKEND_TIMEOUT';
    if (!timedOut && this.exchanges > 0 && !this.parser.received && !d.retried && d.replayable) {
      d.retried = true;
      d.conn = null;
      this.pool.retryFresh(d);
      return;
    }
    d.fail(err);
  }

  /** Closes the socket and leaves the pool; idempotent. Does not touch the current request. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.streamed?.stop();
    this.streamed = null;
    this.pendingBuf = null;
    this.socket.destroy();
    this.pool.connectionGone(this);
  }

  /** Aborted by the exchange (client gone, retry, drain): the connection cannot be trusted after. */
  abortCurrent(): void {
    this.current = null;
    this.destroy();
  }
}

const EMPTY = Buffer.alloc(0);

/** An http request through a proxy: absolute-form target and the proxy's credentials (a copy; the exchange keeps its own). */
function absoluteForm(req: UpstreamRequest, origin: string, via: ProxyRoute): UpstreamRequest {
  const headers = via.authorization === null ? req.headers : [...req.headers, 'proxy-authorization', via.authorization];
  return { ...req, path: origin + req.path, headers };
}
