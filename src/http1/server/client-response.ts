/**
 * One response on a client connection, with the method names the request path already calls
 * (they were uWS's: writeStatus, writeHeader, write, tryEnd, end, endWithoutBody, cork,
 * onAborted, onData, onWritable, getWriteOffset, close, pause, resume), so ProxyExchange,
 * PolicyExchange and every policy work unchanged on top of Outpost's own server.
 *
 * Framing is the server's: the status line and headers go out as one buffer (with the first
 * body bytes when they are small), with `Date`, `Content-Length` when the length is known,
 * chunked otherwise (close-delimited for HTTP/1.0), and no body for HEAD, 1xx, 204 and 304.
 * Callers never write Content-Length, Transfer-Encoding or Date themselves.
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { dateLine } from './date-header.js';
import { headWriter, sendWritten, writeOut } from '../../shared/iteration-writes.js';
import type { HeadWriter } from '../../shared/head-writer.js';
import { bufferNatives } from '../../shared/buffer-natives.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;
const toLowerCase = String.prototype.toLowerCase;
const latin1Slice = bufferNatives.latin1Slice;

/** What the response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** stageableFd(socket): writes are staged and sent at the iteration's end; -1 for TLS (corked). */
  readonly fd: number;
  /** The worker is draining: every response asks the client to close. */
  readonly draining: boolean;
  responseFinished(res: ClientResponse, closeConnection: boolean): void;
  /** Once per response, when it is complete or its connection is gone (telemetry, request logs). */
  requestEnded(res: ClientResponse): void;
  requestBodyWanted(res: ClientResponse): void;
  pauseBody(paused: boolean): void;
}

/**
 * Header lines a caller writes as bytes into the head (writeFields): the proxy exchanges' backend
 * fields, copied from the read buffer they were parsed in, with no string made.
 */
export interface HeadFields {
  /** The most bytes writeFields() writes. */
  readonly maxBytes: number;
  /** Writes complete lines ("Name: value" CRLF each), every byte already checked as a field's. */
  writeFields(w: HeadWriter): void;
}

/** Body bytes: views of receive buffers that are never reused, so they may be kept without a copy. */
type DataHandler = (chunk: Buffer, isLast: boolean) => void;
type WritableHandler = (offset: number) => boolean;
/** Told when the client goes away before the response completes (the proxy exchanges). */
export interface AbortListener { clientAborted(): void }

const LAST_CHUNK_TEXT = '0\r\n\r\n';

/** tryEnd's answer, bits: the socket's buffer took the chunk without going over its mark; the response is complete. */
export const TRY_END_ACCEPTED = 1;
export const TRY_END_DONE = 2;

/** The Content-Length line of the last length written: responses of one API are often the same size, and the line is then not made again. */
let lastLength = -1;
let lastLengthLine = '';
function contentLengthLine(length: number): string {
  if (length !== lastLength) {
    lastLengthLine = `Content-Length: ${length}\r\n`;
    lastLength = length;
  }
  return lastLengthLine;
}

/** "HTTP/1.1 <status>" CR LF of the last status written (most responses repeat it), and whether all of it is latin1. */
let lastStatus = '';
let lastStatusLine = '';
let lastStatusLatin1 = true;
function statusLineOf(status: string): string {
  if (status !== lastStatus) {
    lastStatusLine = `HTTP/1.1 ${status}\r\n`;
    lastStatusLatin1 = /^[\x00-\xff]*$/.test(lastStatusLine);
    lastStatus = status;
  }
  return lastStatusLine;
}

export class ClientResponse {
  // What the gateway notes about the request for telemetry and request logs (src/gateway/telemetry):
  // the server only carries these (and fills the byte counts and the start time). Plain fields on
  // an object that exists anyway, so noting a request allocates nothing. They were a base class
  // once: constructing a derived class cost a builtin call per request
  // (FindNonDefaultConstructorOrConstruct, 0.44-1.13% of a worker's perf samples).

  /** performance.now() when the head was parsed. */
  readonly startedAt = performance.now();
  /** Head bytes + body bytes received for this request (set by the connection; chunk framing included). */
  requestBytes = 0;
  /** Head bytes + body bytes written (chunk framing excluded). */
  responseBytes = 0;
  /** Telemetry series of the matched operation (0: no API matched). */
  series = 0;
  /** OUTPOST_ERR_* code of a gateway-made answer, or null. */
  errorCode: string | null = null;
  /** performance.now() at the first backend dispatch and at the backend's end (0: no backend). */
  backendStartedAt = 0;
  backendEndedAt = 0;
  /** The backend's status (before outbound policies), 0 when none answered. */
  backendStatus = 0;
  /** Correlation id (client's X-Request-Id or generated): written on the response head when set. */
  requestId = '';
  /** Request-log facts: the client's method, the path and the query without the subscription key. */
  method = '';
  path = '';
  query = '';
  subscriptionId = '';
  productId = '';
  /** The policy context of an operation with policies (its cache result is read when the request ends). */
  policyContext: { readonly cacheResult: 'hit' | 'miss' | null } | null = null;
  /** false when the matched API opted out of request logs (or for probe paths). */
  logged = true;

  /** What a cache policy found, or null when none ran. */
  get cacheResult(): 'hit' | 'miss' | null { return this.policyContext === null ? null : this.policyContext.cacheResult; }

  // The response itself.
  private status = '200 OK';
  private head = '';
  private fields: HeadFields | null = null;
  private headWritten = false;
  private closeAfter = false;
  /** Set once the response is complete or the connection is gone: further calls do nothing. */
  done = false;
  aborted = false;
  private chunked = false;
  private offset = 0;
  private abortListener: AbortListener | null = null;
  dataHandler: DataHandler | null = null;
  private writableHandler: WritableHandler | null = null;
  private reported = false;

  constructor(
    private readonly owner: ResponseOwner,
    readonly isHead: boolean,
    readonly http10: boolean,
    readonly keepAlive: boolean,
    readonly remoteAddress: string,
  ) {}

  cork(cb: () => void): this { cb(); return this; }

  writeStatus(status: string): this { this.status = status; return this; }

  /**
   * Header lines written as bytes right after the status line (before writeHeader's), when the
   * head goes out: `fields` must stay valid until then, so the caller gives them just before the
   * write that sends the head (the proxy exchanges' writeHead).
   */
  writeFields(fields: HeadFields): this { this.fields = fields; return this; }

  writeHeader(name: string | Buffer, value: string | Buffer): this {
    const n = typeof name === 'string' ? name : latin1Slice.call(name, 0, name.length);
    const v = typeof value === 'string' ? value : latin1Slice.call(value, 0, value.length);
    // The connection's fate is the server's: a caller's `Connection: close` becomes the server's own.
    if (n.length === 10 && toLowerCase.call(n) === 'connection') {
      if (toLowerCase.call(v).includes('close')) this.closeAfter = true;
      return this;
    }
    this.head += `${n}: ${v}\r\n`;
    return this;
  }

  /** Who is told when the client goes away first: an object, not a callback, so the request path makes no closure per request. */
  onAborted(listener: AbortListener): this { this.abortListener = listener; return this; }

  /** Registering the body reader is what "reading the body" means: 100 Continue goes out now. */
  onData(cb: DataHandler): this {
    this.dataHandler = cb;
    this.owner.requestBodyWanted(this);
    return this;
  }

  onWritable(cb: WritableHandler): this { this.writableHandler = cb; return this; }

  getWriteOffset(): number { return this.offset; }

  /** The connection's socket (a TLSSocket on the HTTPS listener): for what the peer presented, never to write. */
  peerSocket(): Socket { return this.owner.socket; }

  pause(): void { this.owner.pauseBody(true); }
  resume(): void { this.owner.pauseBody(false); }

  /**
   * Streams a chunk of a body of unknown length. False means: wait for onWritable. `borrowed`:
   * the chunk is only valid during the call (a view of a read buffer): copied if it must wait.
   */
  write(chunk: Buffer | string, borrowed = false): boolean {
    if (this.done) return true;
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!this.headWritten) {
      this.chunked = !this.http10 && !this.noBody();
      if (this.http10) this.closeAfter = true; // close-delimited
      return this.flushHead(this.chunked ? 'Transfer-Encoding: chunked\r\n' : '', body.length > 0 ? body : null, borrowed);
    }
    return this.writeBody(body, borrowed);
  }

  /**
   * Writes a chunk of a body of known `total` length (`borrowed`: as for write). Returns TRY_END_ACCEPTED and TRY_END_DONE
   * bits (uWS answered [accepted, done]: an array a chunk): the socket always takes the bytes,
   * not accepted means its buffer is full (wait for onWritable, which reports the offset after
   * everything written, so a retry writes nothing twice).
   */
  tryEnd(chunk: Buffer, total: number, borrowed = false): number {
    if (this.done) return TRY_END_ACCEPTED | TRY_END_DONE;
    let ok: boolean;
    if (!this.headWritten) ok = this.flushHead(contentLengthLine(total), chunk.length > 0 ? chunk : null, borrowed);
    else ok = chunk.length === 0 ? true : this.writeBody(chunk, borrowed);
    if (this.offset >= total) { this.finish(); return TRY_END_ACCEPTED | TRY_END_DONE; }
    return ok ? TRY_END_ACCEPTED : 0;
  }

  end(body?: string | Buffer, closeConnection = false): this {
    if (this.done) return this;
    if (closeConnection) this.closeAfter = true;
    if (!this.headWritten) {
      const bytes = body === undefined ? null : typeof body === 'string' ? Buffer.from(body) : body;
      const length = bytes === null ? 0 : bytes.length;
      this.flushHead(this.noLength() ? '' : contentLengthLine(length), length > 0 ? bytes : null);
    } else {
      if (body !== undefined && body.length > 0) this.writeBody(typeof body === 'string' ? Buffer.from(body) : body);
      if (this.chunked) writeOut(this.owner.socket, this.owner.fd, LAST_CHUNK_TEXT, null);
    }
    this.finish();
    return this;
  }

  /** The head alone: HEAD, 204 and 304 answers. `reportedLength` is the length a GET would have had. */
  endWithoutBody(reportedLength?: number): this {
    if (this.done) return this;
    const length = reportedLength === undefined || this.noLength() ? '' : contentLengthLine(reportedLength);
    if (!this.headWritten) this.flushHead(length, null);
    this.finish();
    return this;
  }

  /** Cuts the connection (a response that cannot be completed must not look complete). */
  close(): this {
    this.fields = null;
    if (!this.done) { this.done = true; this.owner.socket.destroy(); }
    return this;
  }

  /** The connection closed before the response completed. */
  connectionLost(): void {
    if (this.done && this.aborted) return;
    this.done = true;
    this.aborted = true;
    const listener = this.abortListener;
    this.abortListener = null;
    listener?.clientAborted();
    this.report();
  }

  /**
   * The status the client got: the head's status once written; 499 (nginx's "client closed
   * request") when the connection ended before any head.
   */
  get statusSent(): number { return this.headWritten ? this.statusCode() : 499; }

  private report(): void {
    if (this.reported) return;
    this.reported = true;
    if (this.headWritten && !this.noBody()) this.responseBytes += this.offset;
    this.owner.requestEnded(this);
  }

  /** The socket's buffer drained. */
  drained(): void {
    const handler = this.writableHandler;
    if (handler === null || this.done) return;
    this.writableHandler = null;
    if (!handler(this.offset) && !this.done) this.writableHandler ??= handler;
  }

  get started(): boolean { return this.headWritten; }

  statusCode(): number {
    return (charCodeAt.call(this.status, 0) - 48) * 100 + (charCodeAt.call(this.status, 1) - 48) * 10 + (charCodeAt.call(this.status, 2) - 48);
  }

  private noBody(): boolean {
    const code = this.statusCode();
    return this.isHead || code === 204 || code === 304 || code < 200;
  }

  /** 1xx and 204 never carry Content-Length. */
  private noLength(): boolean {
    const code = this.statusCode();
    return code === 204 || code < 200;
  }

  private flushHead(framing: string, body: Buffer | null, borrowed = false): boolean {
    this.headWritten = true;
    const close = this.closeAfter || this.owner.draining || !this.keepAlive;
    if (close) this.closeAfter = true;
    const connection = close ? 'Connection: close\r\n' : this.http10 ? 'Connection: keep-alive\r\n' : '';
    const sendBody = body !== null && !this.noBody();
    const socket = this.owner.socket;
    if (this.fields !== null) return this.flushHeadWithFields(framing, connection, sendBody ? body : null, borrowed);
    const id = this.requestId === '' ? '' : `X-Request-Id: ${this.requestId}\r\n`;
    const text = `HTTP/1.1 ${this.status}\r\n${this.head}${id}${framing}${connection}${dateLine()}\r\n`;
    this.responseBytes += text.length;
    if (!sendBody) return writeOut(socket, this.owner.fd, text, null);
    if (!this.chunked) {
      // Head and body in one write (one packet when small).
      this.offset += body.length;
      return writeOut(socket, this.owner.fd, text, body, borrowed);
    }
    writeOut(socket, this.owner.fd, text, null);
    return this.writeBody(body, borrowed);
  }

  /**
   * flushHead when writeFields gave lines as bytes: the head is written in place (into the
   * staging buffer when it can be staged), never made a string; its text parts go out one byte a
   * character, as flushHead's do.
   */
  private flushHeadWithFields(framing: string, connection: string, body: Buffer | null, borrowed: boolean): boolean {
    const fields = this.fields!;
    this.fields = null;
    const status = this.status;
    const head = this.head;
    const id = this.requestId;
    const date = dateLine();
    const socket = this.owner.socket;
    const fd = this.owner.fd;
    const chunkedBody = body !== null && this.chunked;
    const inline = body !== null && !chunkedBody ? body.length : 0;
    // "HTTP/1.1 " and CRLF, "X-Request-Id: " and CRLF, the empty line.
    const bound = 11 + status.length + fields.maxBytes + head.length + 16 + id.length + framing.length + connection.length + date.length + 2;
    const w = headWriter(socket, fd, bound, inline);
    const start = w.pos;
    // A short cached line: copied here, without a call into C++ (the tail below is one). HeadWriter.text
    // takes latin1 only (a character above U+00FF would spill into the next byte): anything else
    // goes through Node's writer, which keeps each character's low byte, as flushHead's string does.
    const statusLine = statusLineOf(status);
    if (lastStatusLatin1) w.text(statusLine);
    else w.latin1Text(statusLine);
    fields.writeFields(w);
    w.latin1Text(`${head}${id.length > 0 ? `X-Request-Id: ${id}\r\n` : ''}${framing}${connection}${date}\r\n`);
    this.responseBytes += w.pos - start;
    if (body === null) return sendWritten(socket, fd, w, null, false);
    if (!chunkedBody) {
      // Head and body in one write (one packet when small).
      this.offset += body.length;
      return sendWritten(socket, fd, w, body, borrowed);
    }
    sendWritten(socket, fd, w, null, false);
    return this.writeBody(body, borrowed);
  }

  private writeBody(body: Buffer, borrowed = false): boolean {
    if (this.noBody()) { this.offset += body.length; return true; }
    const socket = this.owner.socket;
    this.offset += body.length;
    if (!this.chunked) return writeOut(socket, this.owner.fd, '', body, borrowed);
    if (body.length === 0) return true;
    writeOut(socket, this.owner.fd, `${body.length.toString(16)}\r\n`, body, borrowed);
    return writeOut(socket, this.owner.fd, '\r\n', null);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.abortListener = null;
    this.writableHandler = null;
    this.report();
    this.owner.responseFinished(this, this.closeAfter);
  }
}
