/**
 * An incremental HTTP/1.1 response parser written for proxying (RFC 9112): the head is parsed in
 * place (response-head.ts) once its terminating empty line is in the buffer, body bytes are handed
 * to the sink as ranges of the caller's buffer (no copy), and framing is decided the way a proxy
 * must: Content-Length, chunked (chunked-decoder.ts) or until close; no body after a HEAD request
 * or for 1xx, 204 and 304. Interim responses are skipped (100 Continue is the client leg's own
 * business; 103 and the like carry nothing a proxy must forward); 101 is refused (the gateway
 * never asks to switch protocols). Trailers are checked and dropped.
 *
 * A head split across reads is copied into a bounded buffer; one that arrives whole (the usual
 * case) is never copied. The sink can pause the body (backpressure): `execute` then returns the
 * index it reached and the caller feeds the rest after resuming.
 */
import { Buffer } from 'node:buffer';
import { ResponseHead, HEAD_OK } from './response-head.js';
import { ChunkedDecoder, type ChunkSink } from './chunked-decoder.js';
import * as chars from './chars.js';
import { nativeAddon } from '../gateway/native.js';
import { NATIVE_IO, nativeBufferIndex } from '../shared/native-buffers.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { CR, LF } = chars;

export const PARSE_ERR_HEAD = -1;
export const PARSE_ERR_HEAD_TOO_LARGE = -2;
export const PARSE_ERR_UPGRADE = -3;
export const PARSE_ERR_CHUNKED = -4;
/** More bytes after the end of a response than it declared (never a next response: we do not pipeline). */
export const PARSE_ERR_EXTRA_BYTES = -5;
/** The connection closed before the declared end of the response. */
export const PARSE_ERR_TRUNCATED = -6;

export interface ResponseLimits {
  /** Largest head (status line + fields), each interim head counted on its own. */
  readonly maxHeadBytes: number;
  readonly maxFields: number;
}
export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = { maxHeadBytes: 64 * 1024, maxFields: 256 };

export interface ResponseSink {
  /** The final head is parsed (`parser.head`, fields in `buf`). False stops parsing (the exchange went away). */
  onResponseHead(parser: ResponseParser, buf: Buffer): boolean;
  /** Body bytes buf[start, end). False pauses: feed the rest after resuming. */
  onResponseBody(buf: Buffer, start: number, end: number): boolean;
  /** The response is complete; `keepAlive` says whether the connection may carry another. */
  onResponseEnd(keepAlive: boolean): void;
}

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNKED = 2;
const S_CLOSE = 3;
/** The body is complete but the sink paused on its last bytes: the end is reported on the next call. */
const S_END_PENDING = 4;
const S_IDLE = 5;
const S_ERROR = 6;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** The addon's search (native/src/head_end.c findBlankLine), or null without it. */
const nativeBlankLine = nativeAddon()?.findBlankLine ?? null;

/**
 * The index of the first CR LF CR LF wholly inside buf[from, to), or -1. In a registered buffer
 * (the upstream read buffer: nearly every response head) the addon searches; Node's indexOf
 * costs ~620 instructions a call, and looks past `to` into whatever the buffer held before.
 */
export function findBlankLine(buf: Buffer, from: number, to: number): number {
  const id = nativeBlankLine === null ? -1 : nativeBufferIndex(buf);
  if (id >= 0) {
    const io = NATIVE_IO!;
    io[0] = id; io[1] = from; io[2] = to;
    const answer = nativeBlankLine!();
    if (answer !== -100) return answer;
  }
  const found = buf.indexOf(CRLFCRLF, from);
  return found >= 0 && found + 4 <= to ? found : -1;
}

export class ResponseParser {
  readonly head: ResponseHead;
  private state: number = S_IDLE;
  private remaining = 0;
  private keepAlive = false;
  private noBody = false;
  /** Bytes of a head that did not arrive in one read. */
  private partial: Buffer | null = null;
  private partialLength = 0;
  private readonly decoder = new ChunkedDecoder();
  private currentBuf: Buffer | null = null;
  /** Bound once: the decoder's sink, forwarding ranges of the current buffer. */
  private readonly chunkSink: ChunkSink = (_b, start, end) => this.sink.onResponseBody(this.currentBuf!, start, end);
  /** The last error (a PARSE_ERR_* code), for logs. */
  error = 0;

  constructor(private readonly sink: ResponseSink, private readonly limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS) {
    this.head = new ResponseHead(limits.maxFields);
  }

  /** True between `begin` and the end of the response. */
  get active(): boolean { return this.state !== S_IDLE && this.state !== S_ERROR; }
  /** True once any byte of the current response arrived. */
  received = false;

  /** Expect a response to a request just sent; `isHead` for a HEAD request (no body follows). */
  begin(isHead: boolean): void {
    this.state = S_HEAD;
    this.noBody = isHead;
    this.partialLength = 0;
    this.error = 0;
    this.received = false;
  }

  /**
   * Parses buf[from, to). Returns the index reached: `to`, or less when the sink paused or
   * stopped; a negative PARSE_ERR_* code when the response is malformed (the connection must
   * then be closed). Bytes that arrive while no response is expected are an error too.
   */
  execute(buf: Buffer, from: number, to: number): number {
    let p = from;
    if (to > from) this.received = true;
    for (;;) {
      switch (this.state) {
        case S_HEAD: {
          // Empty lines before a head are skipped (RFC 9112 §2.2's robustness rule, as llhttp does).
          if (this.partialLength === 0) while (p < to && (buf[p] === CR || buf[p] === LF)) p++;
          if (p === to) return p;
          const next = this.readHead(buf, p, to);
          if (next < 0) return next;
          p = next;
          if ((this.state as number) === S_IDLE) return p; // the sink stopped
          break; // a body, the end, or (after an interim response) the next head

        }
        case S_LENGTH: {
          if (p === to) return p;
          const n = Math.min(this.remaining, to - p);
          this.remaining -= n;
          const more = this.sink.onResponseBody(buf, p, p + n);
          p += n;
          if (this.remaining === 0) this.state = S_END_PENDING;
          if (!more) return p;
          break;
        }
        case S_CHUNKED: {
          if (p === to) return p;
          this.currentBuf = buf;
          const r = this.decoder.decode(buf, p, to, this.chunkSink);
          this.currentBuf = null;
          if (r < 0) return this.fail(PARSE_ERR_CHUNKED);
          if (!this.decoder.done) return r; // `to`, or less when the sink paused
          this.state = S_END_PENDING;
          p = r;
          break;
        }
        case S_CLOSE: {
          if (p === to) return p;
          // All of it is taken even when the sink pauses: the caller stops reading after this.
          this.sink.onResponseBody(buf, p, to);
          return to;
        }
        case S_END_PENDING:
          // We never pipeline: whatever follows the end of a response is the backend's error
          // (but for empty lines, which the robustness rule lets any message start with).
          while (p < to && (buf[p] === CR || buf[p] === LF)) p++;
          if (p < to) return this.fail(PARSE_ERR_EXTRA_BYTES);
          this.state = S_IDLE;
          this.sink.onResponseEnd(this.keepAlive);
          return p;
        case S_IDLE:
          while (p < to && (buf[p] === CR || buf[p] === LF)) p++;
          return p === to ? p : this.fail(PARSE_ERR_EXTRA_BYTES);
        default:
          return this.error;
      }
    }
  }

  /** The connection closed (EOF): ends a close-delimited body; anything else unfinished is an error. */
  finish(): number {
    if (this.state === S_CLOSE) {
      this.state = S_IDLE;
      this.sink.onResponseEnd(false);
      return 0;
    }
    if (this.state === S_END_PENDING) return this.execute(EMPTY, 0, 0);
    if (this.state === S_IDLE) return 0;
    return this.fail(PARSE_ERR_TRUNCATED);
  }

  private fail(code: number): number {
    this.state = S_ERROR;
    this.error = code;
    this.partial = null;
    this.partialLength = 0;
    return code;
  }

  /** Finds the end of the head (copying a split head), parses it and picks the framing. */
  private readHead(buf: Buffer, from: number, to: number): number {
    const max = this.limits.maxHeadBytes;
    let headBuf = buf;
    let headStart = from;
    let headEnd: number; // index of the CRLFCRLF
    let after: number; // index in `buf` just past the head
    if (this.partialLength === 0) {
      const found = findBlankLine(buf, from, to);
      if (found < 0) {
        if (to - from > max) return this.fail(PARSE_ERR_HEAD_TOO_LARGE);
        this.keepPartial(buf, from, to);
        return to;
      }
      if (found + 4 - from > max) return this.fail(PARSE_ERR_HEAD_TOO_LARGE);
      headEnd = found;
      after = found + 4;
    } else {
      const before = this.partialLength;
      const take = Math.min(to - from, max + 4 - before);
      this.keepPartial(buf, from, from + take);
      const found = this.partial!.subarray(0, this.partialLength).indexOf(CRLFCRLF, Math.max(0, before - 3));
      if (found < 0) {
        if (this.partialLength > max) return this.fail(PARSE_ERR_HEAD_TOO_LARGE);
        return from + take;
      }
      headBuf = this.partial!;
      headStart = 0;
      headEnd = found;
      after = from + (found + 4 - before);
      this.partial = null; // the head's fields point into it: the next split head gets a new one
    }
    this.partialLength = 0;
    if (this.head.parse(headBuf, headStart, headEnd + 2) !== HEAD_OK) return this.fail(PARSE_ERR_HEAD);
    const status = this.head.statusCode;
    if (status < 200) {
      if (status === 101) return this.fail(PARSE_ERR_UPGRADE);
      // An interim response that closes the connection leaves no room for the final one (llhttp agrees).
      if (this.head.connectionClose) return this.fail(PARSE_ERR_HEAD);
      return after; // interim response: the final one follows (state stays S_HEAD)
    }
    this.chooseFraming();
    if (!this.sink.onResponseHead(this, headBuf)) { this.state = S_IDLE; return after; }
    return after;
  }

  private chooseFraming(): void {
    const h = this.head;
    // We never reuse an HTTP/1.0 connection (a Keep-Alive extension we do not need to honour).
    this.keepAlive = h.versionMinor === 1 && !h.connectionClose;
    if (this.noBody || h.statusCode === 204 || h.statusCode === 304) { this.state = S_END_PENDING; return; }
    if (h.chunked) { this.decoder.reset(); this.state = S_CHUNKED; return; }
    if (h.contentLength >= 0) {
      this.remaining = h.contentLength;
      this.state = h.contentLength === 0 ? S_END_PENDING : S_LENGTH;
      return;
    }
    this.keepAlive = false;
    this.state = S_CLOSE;
  }

  private keepPartial(buf: Buffer, from: number, to: number): void {
    const need = this.partialLength + (to - from);
    if (this.partial === null || this.partial.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, 1024, this.partial === null ? 0 : this.partial.length * 2));
      if (this.partial !== null) this.partial.copy(grown, 0, 0, this.partialLength);
      this.partial = grown;
    }
    buf.copy(this.partial, this.partialLength, from, to);
    this.partialLength = need;
  }
}

const EMPTY = Buffer.alloc(0);
