/**
 * One proxied request: an undici dispatch handler (the low-level callback API, which undici calls
 * directly with raw header buffers: no promise, no body stream object per request) that writes
 * the backend's answer to the uWS response as it arrives.
 *
 * Backpressure, both directions:
 * - response: when uWS cannot take a chunk, `onData` returns false (undici stops reading the
 *   backend socket) and `onWritable` resumes it;
 * - request: see request-body.ts.
 * A response with Content-Length is streamed with `tryEnd` (uWS writes the length itself);
 * one without is streamed chunked with `write`.
 */
import type { Dispatcher } from 'undici';
import type { HttpResponse } from '../worker/uws-native.js';
import type { ErrorCode } from '../../shared/errors.js';
import { connectionTokens, isHopByHop, mayNeedResponseInspection } from './hop-by-hop.js';
import { backendErrorCode } from './backend-errors.js';
import { errorResponse, writeError, writePolicyResponse } from '../worker/respond.js';
import { statusLine } from '../../shared/errors.js';
import type { LastError, RequestContext, RetryPlan } from '../pipeline/context.js';
import { runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';

export interface ExchangeOwner {
  /** True while the worker drains: responses then carry `Connection: close`. */
  readonly draining: boolean;
  exchangeFinished(exchange: ProxyExchange): void;
}

export interface AbortableBody {
  destroy(error?: Error): void;
}

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

export interface ExchangePipeline {
  ctx: RequestContext;
  chain: RuntimeChain;
}

/** Framing is uWS's job: a policy-edited response never carries its own length or encoding. */
function isFramingHeader(name: string): boolean {
  return name === 'content-length' || name === 'date' || isHopByHop(name);
}

/** Aborts an attempt the retry policy is replacing; its onError is ignored. */
class RetryAbortError extends Error {
  constructor() { super('attempt replaced by a retry'); this.name = 'RetryAbortError'; }
}

export class ClientAbortedError extends Error {
  constructor() { super('client closed the connection'); this.name = 'ClientAbortedError'; }
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  /** Set when the client went away: `res` must not be touched after that. */
  aborted = false;
  /** Set when the response is complete (or closed): `res` must not be touched after that. */
  private ended = false;
  private finishedOnce = false;
  private headersWritten = false;
  private abortUpstream: ((err: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status = '';
  private statusCode = 0;
  /** Intrusive links of the worker's in-flight list (no Set insert/delete per request). */
  prev: ProxyExchange | null = null;
  next: ProxyExchange | null = null;
  private outHeaders: Array<Buffer | string> = [];
  /** Set for operations with policies: outbound and on-error run here, on the backend's answer. */
  pipeline: ExchangePipeline | null = null;
  /** Work that still writes to `res` later (an asynchronous on-error, a retry's wait): finish waits for it. */
  private holds = 0;
  /** Set when the retry policy applies and the request can be sent again. */
  private retryState: { plan: RetryPlan; attempt: number; send: () => void } | null = null;
  /** Response Content-Length, or -1 for a chunked (or close-delimited) response. */
  private total = -1;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  body: AbortableBody | null = null;

  constructor(
    private readonly res: HttpResponse,
    private readonly owner: ExchangeOwner,
    private readonly isHead: boolean,
  ) {}

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

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.aborted || this.ended) return true;
    this.resumeUpstream = resume;
    this.statusCode = statusCode;
    this.status = statusLineFor(statusCode, statusText);
    this.collectHeaders(rawHeaders);
    if (this.retryState !== null && this.wantsRetry(statusCode, null)) {
      // Nothing was written to the client yet: drop this answer and send again after the wait.
      const abort = this.abortUpstream;
      this.scheduleRetry();
      abort?.(new RetryAbortError());
      return true;
    }
    if (this.pipeline !== null && this.pipeline.chain.outbound !== null && !this.applyOutbound(statusText)) return true;
    if (this.isHead || this.statusCode === 204 || this.statusCode === 304) {
      // No body follows: answer now.
      corkedExchange = this;
      this.res.cork(writeCorkedHeadOnly);
      this.ended = true;
    }
    return true;
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
      const [written, done] = res.tryEnd(chunk, this.total);
      if (done) { this.ended = true; return true; }
      if (written) return true;
      // uWS did not take all of it: keep a copy (undici may reuse the buffer) and retry on writable.
      this.pending = Buffer.from(chunk);
      this.pendingOffset = offset;
      res.onWritable((at) => this.retryFixedLength(at));
      return false;
    }
    if (res.write(chunk)) return true;
    res.onWritable(() => this.resumeChunked());
    return false;
  }

  onComplete(): void {
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
    if (err instanceof RetryAbortError) return; // the attempt this exchange gave up on itself
    if (!this.aborted && !this.ended && !this.headersWritten && this.retryState !== null) {
      const code = backendErrorCode(err);
      if (this.wantsRetry(null, { source: 'backend', reason: code, message: err.message, section: 'backend', policy: 'retry', code })) {
        this.scheduleRetry();
        return;
      }
    }
    if (!this.aborted && !this.ended) {
      this.ended = true;
      const code = backendErrorCode(err);
      if (this.headersWritten) this.res.close(); // mid-body failure: cut the connection so the client sees truncation
      else if (this.pipeline !== null) this.runOnError({ source: 'backend', reason: code, message: err.message, section: 'backend', policy: null, code });
      else writeError(this.res, code, this.owner.draining);
    }
    this.finish();
  }

  /** The retry policy applies and the body can be replayed: `send` dispatches this exchange again. */
  enableRetry(plan: RetryPlan, send: () => void): void {
    this.retryState = { plan, attempt: 0, send };
  }

  /** Asks the retry condition about this attempt's status (or failure), with attempts left. */
  private wantsRetry(status: number | null, error: LastError | null): boolean {
    const state = this.retryState!;
    if (state.attempt >= state.plan.count || this.aborted || this.ended) return false;
    const ctx = this.pipeline!.ctx;
    const savedResponse = ctx.response;
    const savedError = ctx.lastError;
    ctx.response = status === null ? null : { status, reason: '', headers: [], body: null };
    ctx.lastError = error;
    try {
      return state.plan.test(ctx);
    } catch {
      return false;
    } finally {
      ctx.response = savedResponse;
      ctx.lastError = savedError;
    }
  }

  /** Forgets the abandoned attempt and sends again after the plan's delay. */
  private scheduleRetry(): void {
    const state = this.retryState!;
    state.attempt++;
    this.abortUpstream = null;
    this.resumeUpstream = null;
    this.outHeaders = [];
    this.total = -1;
    this.holds++;
    setTimeout(() => {
      this.holds--;
      if (this.aborted || this.ended) return this.finish();
      state.send();
    }, state.plan.delayMs(state.attempt));
  }

  /** inbound or backend answered (return-response, mock-response, a limit): write it. */
  respondFromPolicy(): void {
    if (this.aborted || this.ended) return this.finish();
    this.ended = true;
    const ctx = this.pipeline!.ctx;
    writePolicyResponse(this.res, ctx.response!, ctx.extraResponseHeaders, this.owner.draining);
    this.finish();
  }

  /** A section failed (lastError is set): on-error decides the answer. */
  failFromPolicy(): void {
    if (this.aborted || this.ended) return this.finish();
    this.ended = true;
    this.runOnError(this.pipeline!.ctx.lastError!);
    this.finish();
  }

  /** Runs the outbound section on the backend's status and headers; false when it answered itself. */
  private applyOutbound(statusText: string): boolean {
    const { ctx, chain } = this.pipeline!;
    const headers: string[] = [];
    const raw = this.outHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.push(raw[i].toString().toLowerCase(), raw[i + 1].toString());
    ctx.response = { status: this.statusCode, reason: statusText, headers, body: null };
    let outcome = runSection(chain.outbound!, ctx);
    if (typeof outcome !== 'number') {
      // Headers cannot wait while the body streams: outbound policies must answer synchronously.
      outcome.catch(() => undefined);
      ctx.fail({ source: 'policy', reason: 'AsyncOutbound', message: 'an outbound policy did not complete synchronously', section: 'outbound', policy: null, code: 'OUTPOST_ERR_POLICY_FAILED' });
      outcome = FAIL;
    }
    if (outcome === RESPOND) { this.respondFromPolicy(); return false; }
    if (outcome === FAIL) { this.failFromPolicy(); return false; }
    const response = ctx.response!;
    this.statusCode = response.status;
    this.status = response.reason ? `${response.status} ${response.reason}` : statusLine(response.status);
    const kept: string[] = [];
    const edited = response.headers;
    for (let i = 0; i < edited.length; i += 2) if (!isFramingHeader(edited[i])) kept.push(edited[i], edited[i + 1]);
    this.outHeaders = kept;
    return true;
  }

  private runOnError(error: LastError): void {
    const { ctx, chain } = this.pipeline!;
    ctx.lastError = error;
    ctx.response = errorResponse(error.code);
    const section = chain['on-error'];
    const outcome = section === null ? CONTINUE : runSection(section, ctx);
    if (typeof outcome === 'number') return this.writeOnErrorAnswer(outcome);
    this.holds++;
    outcome.then((o) => this.writeOnErrorAnswer(o), () => this.writeOnErrorAnswer(FAIL)).finally(() => { this.holds--; this.finish(); });
  }

  private writeOnErrorAnswer(outcome: Outcome): void {
    if (this.aborted) return;
    const ctx = this.pipeline!.ctx;
    if (outcome === FAIL) writeError(this.res, 'OUTPOST_ERR_POLICY_FAILED', this.owner.draining);
    else writePolicyResponse(this.res, ctx.response!, ctx.extraResponseHeaders, this.owner.draining);
  }

  private retryFixedLength(offset: number): boolean {
    if (this.aborted || this.ended || !this.pending) return true;
    const [written, done] = this.res.tryEnd(this.pending.subarray(offset - this.pendingOffset), this.total);
    if (done) { this.ended = true; this.pending = null; this.resumeUpstream?.(); }
    else if (written) { this.pending = null; this.resumeUpstream?.(); }
    return written;
  }

  private resumeChunked(): boolean {
    this.resumeUpstream?.();
    return true;
  }

  private collectHeaders(raw: Buffer[]): void {
    const out = this.outHeaders;
    let dropped: Set<string> | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === 10 && raw[i].toString('latin1').toLowerCase() === 'connection') {
        dropped = connectionTokens(raw[i + 1].toString('latin1'));
      }
    }
    for (let i = 0; i < raw.length; i += 2) {
      const nameBuf = raw[i];
      if (dropped === null && !mayNeedResponseInspection(nameBuf)) { out.push(nameBuf, raw[i + 1]); continue; }
      const name = nameBuf.toString('latin1').toLowerCase();
      if (name === 'content-length') { this.total = Number(raw[i + 1].toString('latin1')); continue; }
      // uWS writes its own Date; a second one would be a duplicate header.
      if (name === 'date' || isHopByHop(name) || dropped?.has(name)) continue;
      out.push(nameBuf, raw[i + 1]);
    }
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

  private writeHead(): void {
    const res = this.res;
    res.writeStatus(this.status);
    const h = this.outHeaders;
    for (let i = 0; i < h.length; i += 2) res.writeHeader(h[i], h[i + 1]);
    const extra = this.pipeline?.ctx.extraResponseHeaders;
    if (extra) for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i], extra[i + 1]);
    // While draining, ask the client to reconnect elsewhere; uWS closes after such a response.
    if (this.owner.draining) res.writeHeader('Connection', 'close');
    this.headersWritten = true;
  }

  private finish(): void {
    if (this.finishedOnce || this.holds > 0) return;
    this.finishedOnce = true;
    this.pipeline?.ctx.ended();
    this.owner.exchangeFinished(this);
  }
}
