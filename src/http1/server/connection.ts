/**
 * One client connection: a state machine over the socket's data events.
 *
 *   HEAD ──head parsed──▶ BODY ──body complete──▶ WAIT ──response complete──▶ HEAD (keep-alive)
 *     │ any framing error: coded 4xx/5xx with Connection: close, nothing after it is parsed │
 *
 * Requests on one connection are answered strictly in order, one at a time: bytes of the next
 * request are only buffered while a response is pending (and the socket is paused beyond a
 * bound), and parsed once that response is complete. A response sent before its request's body
 * was read, a framing error, or a chunked request that was cut short closes the connection after
 * the response: nothing after such a request is ever parsed.
 */
import { Buffer } from 'node:buffer';
import { clientAddressText } from './peer-address.js';
import { attachUserBufferRead } from './user-buffer-read.js';
import { endAfterStaged, iterationNow, stageableFd, writeOut } from '../../shared/iteration-writes.js';
import { copyOf } from '../../shared/buffer-natives.js';
import type { Socket } from 'node:net';
import { HeadEndFinder, HEAD_INCOMPLETE, HEAD_TOO_LARGE, HEAD_LINE_TOO_LONG, HEAD_BAD_FIELD_LINE_ENDING } from '../head-end.js';
import { ParsedRequest, parseRequestHead } from '../request-parser.js';
import { ChunkedDecoder } from '../chunked-decoder.js';
import { ClientResponse, type ResponseOwner } from './client-response.js';
import { ERRORS, errorBody, statusLine, type ErrorCode } from '../../shared/errors.js';
import type { ServerShared } from './server-shared.js';

const PHASE_HEAD = 0;
const PHASE_BODY = 1;
const PHASE_WAIT = 2;
const PHASE_CLOSED = 3;

/** Bytes of pipelined requests kept while a response is pending; past this the socket pauses. */
const MAX_EARLY_BYTES = 64 * 1024;
/** After a closing response, unread input is discarded this long before the socket is destroyed. */
const LINGER_MS = 2_000;

const EMPTY = Buffer.alloc(0);
const CONTINUE_100 = 'HTTP/1.1 100 Continue\r\n\r\n';

export class Connection implements ResponseOwner {
  private phase = PHASE_HEAD;
  /**
   * Unconsumed input: buf[start, end). `end` rather than `buf.length`: a read into the shared
   * buffer is parsed in place, without a view of its first `nread` bytes per read.
   */
  private buf: Buffer = EMPTY;
  private end = 0;
  /** `buf` is a view of the worker's shared read buffer (only during onRead): what outlives the call is copied. */
  private bufShared = false;
  private start = 0;
  private readonly finder: HeadEndFinder;
  private readonly req: ParsedRequest;
  private readonly decoder = new ChunkedDecoder();
  private res: ClientResponse | null = null;
  private bodyRemaining = 0;
  private bodyChunked = false;
  private bodyDone = true;
  private pausedForBody = false;
  private pausedForPipeline = false;
  private continueSent = false;
  private headStarted = false;
  /** Epoch ms after which the timer tick acts on this connection; 0 for none. */
  deadline = 0;
  readonly remoteAddress: string;
  /** Where staged writes go (iteration-writes.ts); -1: this socket's writes go through its stream. */
  readonly fd: number;
  prev: Connection | null = null;
  next: Connection | null = null;

  constructor(readonly socket: Socket, private readonly shared: ServerShared) {
    this.finder = new HeadEndFinder(shared.limits.maxHeaderBytes, shared.limits.maxRequestLineBytes);
    this.req = new ParsedRequest(shared.limits.maxHeaderCount);
    this.remoteAddress = clientAddressText(socket.remoteAddress ?? '');
    this.fd = stageableFd(socket);
    // Sockets read into the worker's shared buffer (user-buffer-read.ts), plain and TLS; 'data' events where Node does not offer it.
    if (!attachUserBufferRead(socket, this.onRead)) socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length, false));
    socket.on('drain', () => this.res?.drained());
    socket.on('close', () => this.onClose());
    socket.on('error', () => { /* 'close' follows */ });
    this.deadline = Date.now() + shared.limits.headTimeoutMs;
  }

  get draining(): boolean { return this.shared.draining; }

  /** Idle between requests: nothing buffered, nothing in flight. */
  get idle(): boolean { return this.phase === PHASE_HEAD && this.res === null && this.start >= this.end; }

  /** New input chunk[0, chunkEnd). `shared`: `chunk` is the worker's read buffer (onRead), valid only during this call. */
  private onData(chunk: Buffer, chunkEnd: number, shared: boolean): void {
    if (this.phase === PHASE_CLOSED) return;
    if (this.start >= this.end) { this.buf = chunk; this.end = chunkEnd; this.bufShared = shared; }
    else {
      this.buf = Buffer.concat([this.buf.subarray(this.start, this.end), chunk.subarray(0, chunkEnd)]);
      this.end = this.buf.length;
      this.bufShared = false;
    }
    this.start = 0;
    this.process();
  }

  /**
   * A read into the worker's shared buffer. Heads are parsed (and turned into strings) during the
   * call; what must outlive it is copied: body bytes handed on (bodyView) and unconsumed input.
   */
  private readonly onRead = (nread: number, shared: Buffer): boolean => {
    if (this.phase === PHASE_CLOSED) return true;
    this.onData(shared, nread, true);
    if (this.bufShared && this.start < this.end) {
      this.buf = copyOf(this.buf, this.start, this.end);
      this.end = this.buf.length;
      this.start = 0;
    }
    this.bufShared = false;
    return true;
  };

  /** Body bytes for the request's reader, which may keep them: a copy while `buf` is in the shared read buffer. */
  private bodyView(buf: Buffer, from: number, to: number): Buffer {
    return this.bufShared ? copyOf(buf, from, to) : buf.subarray(from, to);
  }

  /** Consumes buffered input as far as the current phase allows. */
  private process(): void {
    for (;;) {
      if (this.phase === PHASE_HEAD) { if (!this.readHead()) return; }
      else if (this.phase === PHASE_BODY) { if (!this.readBody()) return; }
      else {
        if (this.phase === PHASE_WAIT && this.end - this.start > MAX_EARLY_BYTES && !this.pausedForPipeline) {
          this.pausedForPipeline = true;
          this.socket.pause();
        }
        return;
      }
    }
  }

  private readHead(): boolean {
    const buf = this.buf;
    const bufEnd = this.end;
    // Empty lines before a request line are ignored (RFC 9112 §2.2).
    while (this.start + 1 < bufEnd && buf[this.start] === 0x0d && buf[this.start + 1] === 0x0a) this.start += 2;
    if (this.start >= bufEnd) { this.release(); return false; }
    // The head timeout runs from a head's first byte; before it, the keep-alive timeout applies.
    if (!this.headStarted) { this.headStarted = true; this.deadline = iterationNow() + this.shared.limits.headTimeoutMs; }
    const end = this.finder.find(buf, this.start, bufEnd);
    if (end === HEAD_INCOMPLETE) return false;
    if (end < 0) {
      this.refuse(end === HEAD_TOO_LARGE ? 'OUTPOST_ERR_HEADERS_TOO_LARGE' : end === HEAD_LINE_TOO_LONG ? 'OUTPOST_ERR_REQUEST_TARGET_TOO_LONG'
        : end === HEAD_BAD_FIELD_LINE_ENDING ? 'OUTPOST_ERR_BAD_HEADER' : 'OUTPOST_ERR_BAD_REQUEST_LINE');
      return false;
    }
    const req = this.req;
    const code = parseRequestHead(buf, this.start, end, req);
    if (code !== null) {
      this.refuse(code);
      return false;
    }
    this.headStarted = false;
    const headStart = this.start;
    this.start = end + 2;
    this.bodyChunked = req.chunked;
    this.bodyRemaining = req.chunked ? 0 : Math.max(req.contentLength, 0);
    this.bodyDone = !req.hasBody();
    if (req.chunked) this.decoder.reset();
    this.continueSent = false;
    this.phase = this.bodyDone ? PHASE_WAIT : PHASE_BODY;
    this.deadline = this.bodyDone ? 0 : iterationNow() + this.shared.limits.bodyTimeoutMs;
    const res = new ClientResponse(this, req.method === 'HEAD', req.versionMinor === 0, req.keepAlive, this.remoteAddress);
    res.requestBytes = end + 2 - headStart;
    this.res = res;
    if (this.shared.draining) { this.answer(res, 'OUTPOST_ERR_SHUTTING_DOWN'); return this.phase !== PHASE_CLOSED; }
    this.shared.handle(res, req);
    return this.phase !== PHASE_CLOSED;
  }

  private readBody(): boolean {
    const buf = this.buf;
    const from = this.start;
    const to = this.end;
    if (from >= to) return false;
    this.deadline = iterationNow() + this.shared.limits.bodyTimeoutMs;
    const res = this.res!;
    const sink = res.dataHandler;
    if (!this.bodyChunked) {
      const n = Math.min(this.bodyRemaining, to - from);
      res.requestBytes += n;
      this.bodyRemaining -= n;
      this.start = from + n;
      if (this.bodyRemaining === 0) this.bodyComplete();
      if (sink !== null && !res.done) sink(this.bodyView(buf, from, from + n), this.bodyRemaining === 0);
    } else {
      const consumed = this.decoder.decode(buf, from, to, (b, s, e) => { if (sink !== null && !res.done) sink(this.bodyView(b as Buffer, s, e), false); });
      if (consumed < 0) { this.bodyFailed('OUTPOST_ERR_BAD_REQUEST_FRAMING'); return false; }
      res.requestBytes += consumed - from;
      this.start = consumed;
      if (this.decoder.done) {
        this.bodyComplete();
        if (sink !== null && !res.done) sink(EMPTY, true);
      }
    }
    return this.phase === PHASE_HEAD || this.phase === PHASE_WAIT;
  }

  private bodyComplete(): void {
    this.bodyDone = true;
    this.deadline = 0;
    if (this.phase === PHASE_BODY) this.phase = PHASE_WAIT;
  }

  /** A request body that cannot be framed: answer if nothing was written, else cut. */
  private bodyFailed(code: ErrorCode): void {
    const res = this.res!;
    if (!res.started && !res.done) {
      res.connectionLost();
      this.writeError(code);
    } else {
      res.connectionLost();
    }
    this.closeAfterResponse();
  }

  /** A malformed head: the coded answer, then the connection ends. Nothing after it is parsed. */
  private refuse(code: ErrorCode): void {
    this.writeError(code);
    this.closeAfterResponse();
  }

  private answer(res: ClientResponse, code: ErrorCode): void {
    res.errorCode = code;
    res.writeStatus(statusLine(ERRORS[code].status)).writeHeader('Content-Type', 'application/json').writeHeader('X-Outpost-Error', code).end(errorBody(code), true);
  }

  private writeError(code: ErrorCode): void {
    const res = new ClientResponse(this, false, false, false, this.remoteAddress);
    this.res = res;
    this.answer(res, code);
  }

  // ResponseOwner

  requestBodyWanted(res: ClientResponse): void {
    if (res !== this.res || this.continueSent || res.started || !this.req.expectContinue || this.bodyDone) return;
    this.continueSent = true;
    writeOut(this.socket, this.fd, CONTINUE_100, null);
  }

  requestEnded(res: ClientResponse): void { this.shared.requestEnded?.(res); }

  pauseBody(paused: boolean): void {
    if (this.pausedForBody === paused) return;
    this.pausedForBody = paused;
    if (paused) this.socket.pause();
    else if (!this.pausedForPipeline && this.phase !== PHASE_CLOSED) this.socket.resume();
  }

  responseFinished(res: ClientResponse, closeConnection: boolean): void {
    if (res !== this.res) return;
    this.res = null;
    if (closeConnection || !this.bodyDone || this.phase === PHASE_CLOSED) { this.closeAfterResponse(); return; }
    this.phase = PHASE_HEAD;
    this.deadline = iterationNow() + (this.start < this.end ? this.shared.limits.headTimeoutMs : this.shared.limits.keepAliveTimeoutMs);
    // Only a socket this connection paused needs resuming: Socket#resume on every response cost
    // megamorphic symbol loads (accepted and connected sockets have different shapes).
    if (this.pausedForBody || this.pausedForPipeline) {
      this.pausedForBody = false;
      this.pausedForPipeline = false;
      this.socket.resume();
    }
    // Pipelined bytes already here: parse the next request now (the caller's stack is short:
    // a response finishes from a backend callback, never from inside process()).
    if (this.start < this.end) setImmediate(() => { if (this.phase === PHASE_HEAD && this.res === null) this.process(); });
    else this.release();
  }

  private closeAfterResponse(): void {
    if (this.phase === PHASE_CLOSED) return;
    this.phase = PHASE_CLOSED;
    this.release();
    this.socket.resume(); // keep reading (and discarding) so unread input does not turn our FIN into a RST
    endAfterStaged(this.socket); // the response may still be staged: it goes before the FIN
    this.deadline = Date.now() + LINGER_MS;
  }

  private release(): void { this.buf = EMPTY; this.start = 0; this.end = 0; this.bufShared = false; }

  /** The timer tick found this connection past its deadline. */
  expired(): void {
    if (this.phase === PHASE_CLOSED || this.idle) { this.socket.destroy(); return; }
    const res = this.res;
    if (res === null) { this.refuse('OUTPOST_ERR_REQUEST_TIMEOUT'); return; } // a head that never completed (slowloris)
    if (this.phase === PHASE_BODY) { this.bodyFailed('OUTPOST_ERR_REQUEST_TIMEOUT'); return; } // a stalled body
    this.deadline = 0; // waiting for our own response: the exchange has its own timeouts
  }

  /** Drain: idle connections close now; busy ones close after their response. */
  drain(): void {
    if (this.idle) { this.phase = PHASE_CLOSED; endAfterStaged(this.socket); this.deadline = Date.now() + LINGER_MS; }
  }

  private onClose(): void {
    this.phase = PHASE_CLOSED;
    this.release();
    const res = this.res;
    this.res = null;
    if (res !== null && !res.done) res.connectionLost();
    this.shared.connectionClosed(this);
  }
}
