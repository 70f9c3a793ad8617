/**
 * The exchange of an operation with policies: the plain ProxyExchange plus what policies add on
 * the backend's answer. outbound runs on the backend's status and headers before they are
 * written; on-error shapes failures; retry sends the request again while its condition holds
 * (nothing is written to the client until the attempt that counts); inbound policies' extra
 * response headers go on every answer; atEnd hooks run when the exchange ends.
 */
import type { ClientResponse as HttpResponse } from '../../http1/server/client-response.js';
import { statusLine, type ErrorCode } from '../../shared/errors.js';
import { errorResponse, writeError, writePolicyResponse } from '../worker/respond.js';
import type { LastError, RequestContext, ResponseBodyTap, RetryPlan } from '../pipeline/context.js';
import { runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';
import { isHopByHop } from './hop-by-hop.js';
import { backendErrorCode } from './backend-errors.js';
import { ClientAbortedError, ProxyExchange, type ExchangeOwner } from './proxy-exchange.js';

/** Aborts an attempt the retry policy is replacing; its onError is ignored. */
class RetryAbortError extends Error {
  constructor() { super('attempt replaced by a retry'); this.name = 'RetryAbortError'; }
}

/** Framing is uWS's job: a policy-edited response never carries its own length or encoding. */
function isFramingHeader(name: string): boolean {
  return name === 'content-length' || name === 'date' || isHopByHop(name);
}

export class PolicyExchange extends ProxyExchange {
  /** Set when the retry policy applies and the request can be sent again. */
  private retryState: { plan: RetryPlan; attempt: number; send: () => void } | null = null;
  /** A copy of the body for an outbound policy (cache-store), fed as chunks go to the client. */
  private tap: ResponseBodyTap | null = null;

  constructor(res: HttpResponse, owner: ExchangeOwner, isHead: boolean, readonly ctx: RequestContext, readonly chain: RuntimeChain) {
    super(res, owner, isHead);
  }

  protected override headReceived(statusText: string): boolean {
    this.ctx.backendEntity?.reportStatus(this.statusCode, this.backendRetryAfter());
    if (this.retryState !== null && this.wantsRetry(this.statusCode, null)) {
      // Nothing was written to the client yet: drop this answer and send again after the wait.
      const abort = this.abortUpstream;
      this.scheduleRetry();
      abort?.(new RetryAbortError());
      return false;
    }
    if (this.chain.outbound === null) return true;
    return this.outboundOnHead(statusText);
  }

  /** Outbound on the head, before the body streams (buffered-policy-exchange.ts waits for the body instead). */
  protected outboundOnHead(statusText: string): boolean {
    if (!this.applyOutbound(statusText)) return false;
    if (this.ctx.bodyTap !== null) this.startTap(statusText);
    return true;
  }

  override onData(chunk: Buffer): boolean {
    if (this.tap !== null) {
      if (this.aborted || this.ended) this.stopTap();
      else this.tap.chunk(chunk);
    }
    return super.onData(chunk);
  }

  override onComplete(): void {
    const tap = this.tap;
    if (tap !== null) {
      this.tap = null;
      if (this.aborted) tap.abandon();
      else tap.complete();
    }
    super.onComplete();
  }

  override onError(err: Error): void {
    this.stopTap();
    super.onError(err);
  }

  /** Hands the tap the head the client gets; it copies the body from here on (if it wants it). */
  private startTap(statusText: string): void {
    const tap = this.ctx.bodyTap!;
    this.ctx.bodyTap = null;
    const headers: string[] = [];
    const h = this.outHeaders;
    for (let i = 0; i < h.length; i += 2) headers.push(h[i].toString().toLowerCase(), h[i + 1].toString());
    const reason = this.ctx.response?.reason ?? statusText;
    if (tap.begin(this.statusCode, reason, headers, this.total)) this.tap = tap;
  }

  private stopTap(): void {
    const tap = this.tap;
    this.tap = null;
    tap?.abandon();
  }

  protected override backendFailed(err: Error): boolean {
    if (err instanceof RetryAbortError) return true; // the attempt this exchange gave up on itself
    if (!(err instanceof ClientAbortedError)) this.ctx.backendEntity?.reportError(backendErrorCode(err));
    if (this.retryState === null || this.aborted || this.ended || this.headersWritten) return false;
    const code = backendErrorCode(err);
    if (!this.wantsRetry(null, { source: 'backend', reason: code, message: err.message, section: 'backend', policy: 'retry', code })) return false;
    this.scheduleRetry();
    return true;
  }

  /** The backend's Retry-After, for a circuit breaker that accepts it (read only for backend entities). */
  private backendRetryAfter(): string | null {
    const raw = this.outHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === 11 && raw[i].toString('latin1').toLowerCase() === 'retry-after') return raw[i + 1].toString('latin1');
    }
    return null;
  }

  protected override answerBackendError(code: ErrorCode, err: Error): void {
    this.runOnError({ source: 'backend', reason: code, message: err.message, section: 'backend', policy: null, code });
  }

  protected override extraHeaders(): string[] | null {
    return this.ctx.extraResponseHeaders;
  }

  protected override finished(): void {
    const ctx = this.ctx;
    ctx.transferredBytes = this.res.requestBytes + this.res.responseBytes;
    // With no outbound section the backend's answer streamed through without a ctx.response: the
    // atEnd hooks (a deferred increment-condition reads context.Response.StatusCode) see its status.
    if (ctx.response === null && this.statusCode > 0) ctx.response = { status: this.statusCode, reason: '', headers: [], body: null };
    ctx.ended();
  }

  /** The retry policy applies and the body can be replayed: `send` dispatches this exchange again. */
  enableRetry(plan: RetryPlan, send: () => void): void {
    this.retryState = { plan, attempt: 0, send };
  }

  /** Asks the retry condition about this attempt's status (or failure), with attempts left. */
  private wantsRetry(status: number | null, error: LastError | null): boolean {
    const state = this.retryState!;
    if (state.attempt >= state.plan.count || this.aborted || this.ended) return false;
    const ctx = this.ctx;
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
    const ctx = this.ctx;
    writePolicyResponse(this.res, ctx.response!, ctx.extraResponseHeaders, this.owner.draining);
    this.finish();
  }

  /** A section failed (lastError is set): on-error decides the answer. */
  failFromPolicy(): void {
    if (this.aborted || this.ended) return this.finish();
    this.ended = true;
    this.runOnError(this.ctx.lastError!);
    this.finish();
  }

  /** Runs the outbound section on the backend's status and headers; false when it answered itself. */
  private applyOutbound(statusText: string): boolean {
    const { ctx, chain } = this;
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

  protected runOnError(error: LastError): void {
    const { ctx, chain } = this;
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
    const ctx = this.ctx;
    if (outcome === FAIL) writeError(this.res, 'OUTPOST_ERR_POLICY_FAILED', this.owner.draining);
    else writePolicyResponse(this.res, ctx.response!, ctx.extraResponseHeaders, this.owner.draining);
  }
}
