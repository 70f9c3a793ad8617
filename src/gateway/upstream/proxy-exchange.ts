/**
 * One proxied request: an upstream handler (upstream-types.ts: the callback API the pool calls
 * directly with raw header buffers: no promise, no body stream object per request) that writes
 * the backend's answer to the uWS response as it arrives.
 *
 * Backpressure, both directions:
 * - response: when uWS cannot take a chunk, `onData` returns false (the pool stops reading the
 *   backend socket) and `onWritable` resumes it;
 * - request: see request-body.ts.
 * A response with Content-Length is streamed with `tryEnd` (uWS writes the length itself);
 * one without is streamed chunked with `write`.
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { UpstreamHandler, UpstreamRequest } from './upstream-types.js';
import type { UpstreamPool } from './upstream-pool.js';
import type { ClientResponse as HttpResponse, HeadFields } from '../../http1/server/client-response.js';
import type { HeadWriter } from '../../shared/head-writer.js';
import { TRY_END_ACCEPTED, TRY_END_DONE } from '../../http1/server/client-response.js';
import type { ErrorCode } from '../../shared/errors.js';
import type { ResponseHeaders } from './response-headers.js';
import { backendErrorCode } from './backend-errors.js';
import { writeError } from '../worker/respond.js';
import * as fieldCodes from './response-field-codes.js';
/** As this module's own consts, folded into the loop (an imported binding is loaded at every use: see http1/chars.ts). */
const { FIELD_KEEP, FIELD_CONTENT_LENGTH, responseFieldCodes } = fieldCodes;
/** Codes of a head the addon did not classify (the worker is one thread: reused). */
let scratchCodes = new Uint8Array(64);

export interface ExchangeOwner {
  /** True while the worker drains: responses then carry `Connection: close`. */
  readonly draining: boolean;
  exchangeFinished(exchange: ProxyExchange): void;
}

export interface AbortableBody {
  destroy(error?: Error): void;
}

/** The fields code of each of `headers`' fields: the addon's (ResponseHead.fieldCodes), or worked out here by the same rules. */
function codesOf(headers: ResponseHeaders): Uint8Array {
  const codes = headers.codes;
  if (codes !== null) return codes;
  if (scratchCodes.length < headers.count) scratchCodes = new Uint8Array(headers.count);
  responseFieldCodes(headers, scratchCodes);
  return scratchCodes;
}

/**
 * The kept fields of the head an exchange is answering, written as bytes into the client's
 * head (ProxyExchange.writeHead) while the read buffer still holds them. The worker is one thread
 * and one read is parsed at a time (readDone ends it): one object serves every exchange.
 */
class KeptFields implements HeadFields {
  /** The exchange whose head these are, until its head is written or its read ends. */
  exchange: ProxyExchange | null = null;
  headers: ResponseHeaders | null = null;
  codes: Uint8Array = scratchCodes;
  maxBytes = 0;

  writeFields(w: HeadWriter): void {
    this.headers!.writeFieldsCoded(this.codes, FIELD_KEEP, w);
  }
}
const KEPT_FIELDS = new KeptFields();

let corkedExchange: ProxyExchange | null = null;
let corkedChunk: Buffer | null = null;
let corkedOk = true;
function writeCorkedChunk(): void { corkedOk = corkedExchange!.writeChunk(corkedChunk!); }
function writeCorkedHeadOnly(): void { corkedExchange!.writeHeadOnly(); }

const STATUS_LINES = new Map<number, string>();
function statusLineFor(code: number, text: string): string {
  if (code === 200 && text === 'OK') return '200 OK';
  if (text) return `${code} ${text}`;
  let line = STATUS_LINES.get(code);
  if (line === undefined) { line = String(code); STATUS_LINES.set(code, line); }
  return line;
}


export class ClientAbortedError extends Error {
  constructor() { super('client closed the connection'); this.name = 'ClientAbortedError'; }
}

export class ProxyExchange implements UpstreamHandler {
  /**
   * Every exchange writes each chunk out during onData (staged: copied into the staging buffer;
   * through the socket's stream or kept for a retry: copied first) or copies what it keeps (a
   * held answer while a retry's children decide, the body taps of cache-store and the LLM token
   * policies, a buffered answer for outbound: Buffer.from each), so the connection hands it a
   * view of its read buffer instead of a copy (~1,000 instructions and a Buffer a response).
   * test/integration/streaming.test.ts sends large bodies through slow clients on both paths.
   */
  readonly borrowsBody = true;
  /** Set when the client went away: `res` must not be touched after that. */
  aborted = false;
  /** Set when the response is complete (or closed): `res` must not be touched after that. */
  protected ended = false;
  private finishedOnce = false;
  protected headersWritten = false;
  protected abortUpstream: ((err: Error) => void) | null = null;
  protected resumeUpstream: (() => void) | null = null;
  protected status = '';
  protected statusCode = 0;
  /** Intrusive links of the worker's in-flight list (no Set insert/delete per request). */
  prev: ProxyExchange | null = null;
  next: ProxyExchange | null = null;
  /**
   * The backend's fields the client gets, [name, value, …] as latin1 strings: one character per
   * byte, as the client's request headers are, as policies read and set header text (a value
   * above U+00FF is refused where it is configured, http-syntax.ts), and as the client response
   * writes them, so every byte goes out as the backend sent it, through policies or not. A
   * string costs one slice where a Buffer cost a copy of the head and a typed array per name
   * and value.
   *
   * Until something reads them, the fields stay bytes in the read buffer (keepFieldsAsBytes) and
   * the head is written from those bytes: the plain path, and operations whose policies never
   * look at the backend's fields (no outbound section, no retry, no redirects followed, no
   * circuit breaker), make no string of them. Reading this makes them text (fieldsToText);
   * setting it replaces them.
   */
  protected get outHeaders(): string[] {
    if (KEPT_FIELDS.exchange === this) this.fieldsToText();
    return this.fieldText;
  }

  protected set outHeaders(fields: string[]) {
    if (KEPT_FIELDS.exchange === this) KEPT_FIELDS.exchange = null;
    this.fieldText = fields;
  }

  /** outHeaders' own store. */
  private fieldText: string[] = [];
  /** Work that still writes to `res` later (an asynchronous on-error, a retry's wait): finish waits for it. */
  protected holds = 0;
  /** Response Content-Length, or -1 for a chunked (or close-delimited) response. */
  protected total = -1;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  body: AbortableBody | null = null;

  constructor(
    protected readonly res: HttpResponse,
    protected readonly owner: ExchangeOwner,
    private readonly isHead: boolean,
  ) {
  }

  /**
   * Hooks for PolicyExchange (policy-exchange.ts); the plain proxy path keeps these no-ops, so it
   * carries no policy checks at all.
   * `headReceived`: after the backend's head is read; false when the hook answered (or retried).
   */
  protected headReceived(_statusText: string): boolean { return true; }
  /** A backend failure before anything was written: true when the hook took care of it. */
  protected backendFailed(_err: Error): boolean { return false; }
  /** Answers a backend failure when nothing was written yet. */
  protected answerBackendError(code: ErrorCode, _err: Error): void { writeError(this.res, code, this.owner.draining); }
  /** Headers added to every response head (inbound policies' remaining-calls and the like). */
  protected extraHeaders(): string[] | null { return null; }
  protected finished(): void { /* nothing to release on the plain path */ }

  /** Sends the request to the backend; telemetry's backend time starts at the first dispatch. */
  dispatchTo(pool: UpstreamPool, request: UpstreamRequest): void {
    if (this.res.backendStartedAt === 0) this.res.backendStartedAt = performance.now();
    pool.dispatch(request, this);
  }

  /** uWS onAborted: the client is gone; stop the backend side too. */
  clientAborted(): void {
    if (this.aborted) return;
    this.aborted = true;
    const err = new ClientAbortedError();
    this.body?.destroy(err);
    this.abortUpstream?.(err);
    if (!this.abortUpstream) this.finish();
  }

  /** Fails the exchange from the gateway's side (body too large, drain cut-off). */
  fail(code: ErrorCode, err: Error): void {
    // Answer first: aborting upstream may call onError synchronously, which must find us ended.
    if (!this.aborted && !this.ended) {
      this.ended = true;
      if (!this.headersWritten) writeError(this.res, code, true);
      else this.res.close();
    }
    this.body?.destroy(err);
    if (this.abortUpstream) this.abortUpstream(err);
    else this.finish();
  }

  onConnect(abort: (err?: Error) => void): void {
    // Queued in the pool while the client left or the gateway failed the request: never send it.
    if (this.aborted || this.ended) abort(new ClientAbortedError());
    else this.abortUpstream = abort as (err: Error) => void;
  }

  onHeaders(statusCode: number, headers: ResponseHeaders, resume: () => void, statusText: string): boolean {
    if (this.aborted || this.ended) return true;
    this.resumeUpstream = resume;
    this.statusCode = statusCode;
    this.res.backendStatus = statusCode;
    this.status = statusLineFor(statusCode, statusText);
    this.keepFieldsAsBytes(headers);
    if (this.headReceived(statusText)) this.headAccepted();
    return true;
  }

  /** The head goes to the client (headReceived let it through, now or after a wait): a head-only answer is written now. */
  protected headAccepted(): void {
    if (this.isHead || this.statusCode === 204 || this.statusCode === 304) {
      // No body follows: answer now.
      corkedExchange = this;
      this.res.backendEndedAt = performance.now();
      this.res.cork(writeCorkedHeadOnly);
      this.ended = true;
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.aborted || this.ended) return true; // discard what a gone client can no longer use
    // cork() takes a callback; passing state through module variables instead of a closure
    // keeps the per-chunk path allocation-free.
    corkedExchange = this;
    corkedChunk = chunk;
    this.res.cork(writeCorkedChunk);
    corkedChunk = null;
    return corkedOk;
  }

  /** Runs inside cork(): writes the head if still pending, then the chunk. Returns false on backpressure. */
  writeChunk(chunk: Buffer): boolean {
    const res = this.res;
    if (!this.headersWritten) this.writeHead();
    if (this.total >= 0) {
      const offset = res.getWriteOffset();
      const answer = res.tryEnd(chunk, this.total, this.borrowsBody);
      if ((answer & TRY_END_DONE) !== 0) { this.ended = true; return true; }
      if ((answer & TRY_END_ACCEPTED) !== 0) return true;
      // uWS did not take all of it: keep a copy (the chunk is only valid during the call) and retry on writable.
      this.pending = Buffer.from(chunk);
      this.pendingOffset = offset;
      res.onWritable((at) => this.retryFixedLength(at));
      return false;
    }
    if (res.write(chunk, this.borrowsBody)) return true;
    res.onWritable(() => this.resumeChunked());
    return false;
  }

  onComplete(): void {
    this.res.backendEndedAt = performance.now();
    if (!this.aborted && !this.ended) {
      this.ended = true;
      this.res.cork(() => {
        if (!this.headersWritten) this.writeHead();
        if (this.total > 0) this.res.close(); // length promised but not delivered: never pretend it was
        else this.res.end();
      });
    }
    this.finish();
  }

  onError(err: Error): void {
    if (this.backendFailed(err)) return;
    if (this.res.backendEndedAt === 0) this.res.backendEndedAt = performance.now();
    if (!this.aborted && !this.ended) {
      this.ended = true;
      if (this.headersWritten) this.res.close(); // mid-body failure: cut the connection so the client sees truncation
      else this.answerBackendError(backendErrorCode(err), err);
    }
    this.finish();
  }

  private retryFixedLength(offset: number): boolean {
    if (this.aborted || this.ended || !this.pending) return true;
    const answer = this.res.tryEnd(this.pending.subarray(offset - this.pendingOffset), this.total);
    const written = (answer & TRY_END_ACCEPTED) !== 0;
    if ((answer & TRY_END_DONE) !== 0) { this.ended = true; this.pending = null; this.resumeUpstream?.(); }
    else if (written) { this.pending = null; this.resumeUpstream?.(); }
    return written;
  }

  private resumeChunked(): boolean {
    this.resumeUpstream?.();
    return true;
  }

  /**
   * The fields the client gets stay where they were parsed (the rest is checked in place, never
   * copied) until the head goes out, as bytes (writeHead). That is nearly always during this
   * read, with the first body bytes or the end; when it is not, readDone makes them text before
   * the read buffer is reused, and so does anything that reads outHeaders.
   */
  private keepFieldsAsBytes(headers: ResponseHeaders): void {
    const codes = codesOf(headers);
    let bytes = 0;
    for (let i = 0, count = headers.count; i < count; i++) {
      const code = codes[i];
      if (code === FIELD_KEEP) bytes += headers.fieldBytes(i);
      else if (code === FIELD_CONTENT_LENGTH) this.total = headers.valueDecimal(i);
    }
    const kept = KEPT_FIELDS;
    kept.headers = headers;
    kept.codes = codes;
    kept.maxBytes = bytes;
    kept.exchange = this;
  }

  /** The read that carried the head was parsed: kept fields not written yet become text (outHeaders). */
  readDone(): void {
    if (KEPT_FIELDS.exchange === this) this.fieldsToText();
  }

  /** The fields still held as bytes, as text (outHeaders' store): the only strings made of them. */
  private fieldsToText(): void {
    const kept = KEPT_FIELDS;
    kept.exchange = null;
    const headers = kept.headers!;
    const codes = kept.codes;
    const out = this.fieldText;
    for (let i = 0, count = headers.count; i < count; i++) if (codes[i] === FIELD_KEEP) headers.pushField(i, headers.nameIndex(i), out);
  }

  /** Runs inside cork(): the whole answer when no body follows. */
  writeHeadOnly(): void {
    this.writeHead();
    // A HEAD keeps the length the backend reported; a 204 has none. (This uWS build turns an
    // explicit `undefined` length into garbage, so the no-length call passes nothing.)
    const reported = this.statusCode === 204 ? -1 : this.total;
    if (reported >= 0) this.res.endWithoutBody(reported);
    else this.res.endWithoutBody();
  }

  protected writeHead(): void {
    const res = this.res;
    res.writeStatus(this.status);
    // The fields as bytes, still in the read buffer: the head goes out during this call (see keepFieldsAsBytes).
    if (KEPT_FIELDS.exchange === this) { KEPT_FIELDS.exchange = null; res.writeFields(KEPT_FIELDS); }
    const h = this.outHeaders;
    for (let i = 0; i < h.length; i += 2) res.writeHeader(h[i], h[i + 1]);
    const extra = this.extraHeaders();
    if (extra) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i], extra[i + 1]);
    // While draining, ask the client to reconnect elsewhere; uWS closes after such a response.
    if (this.owner.draining) res.writeHeader('Connection', 'close');
    this.headersWritten = true;
  }

  protected finish(): void {
    if (this.finishedOnce || this.holds > 0) return;
    this.finishedOnce = true;
    this.finished();
    this.owner.exchangeFinished(this);
  }
}
