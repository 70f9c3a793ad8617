/**
 * The exchange of an operation with policies: the plain ProxyExchange plus what policies add on
 * the backend's answer. outbound runs on the backend's status and headers before they are
 * written; on-error shapes failures; retry sends the request again while its condition holds
 * (nothing is written to the client until the attempt that counts: the retry's children after
 * forward-request run on each answer's head, and when they wait the body is held paused);
 * forward-request's follow-redirects and fail-on-error-status-code act on the head; inbound
 * policies' extra response headers go on every answer; atEnd hooks run when the exchange ends.
 */
import type { ClientResponse as HttpResponse } from '../../http1/server/client-response.js';
import { statusLine, type ErrorCode } from '../../shared/errors.js';
import { errorResponse, writeError, writePolicyResponse } from '../worker/respond.js';
import type { LastError, PolicyResponse, RequestContext, ResponseBodyTap, RetryPlan } from '../pipeline/context.js';
import { runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';
import { isHopByHop } from './hop-by-hop.js';
import { backendErrorCode } from './backend-errors.js';
import { ClientAbortedError, ProxyExchange, type ExchangeOwner } from './proxy-exchange.js';

/** Aborts an attempt the retry policy is replacing; its onError is ignored. */
class RetryAbortError extends Error {
  constructor() { super('attempt replaced by a retry'); this.name = 'RetryAbortError'; }
}

/** A redirect the gateway follows itself (forward-request follow-redirects="true"), at most this many times per request. */
export const MAX_REDIRECTS = 10;

/** Builds the next request for a redirect's Location; null when it cannot be followed (the redirect is then passed on). */
export type RedirectFollower = (location: string, status: number) => (() => void) | null;

/** A round whose children after forward-request wait: the answer's first body bytes, end or failure, kept meanwhile. */
interface PendingDecision { statusText: string; held: Buffer | null; complete: boolean; error: Error | null }

/** What a round decided about an answer: dropped (retried, or a child answered), passed on, or taken by a policy. */
const DROPPED = 0;
const GO_ON = 1;
const TAKEN = 2;
type Decision = typeof DROPPED | typeof GO_ON | typeof TAKEN;

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Framing is uWS's job: a policy-edited response never carries its own length or encoding. */
function isFramingHeader(name: string): boolean {
  return name === 'content-length' || name === 'date' || isHopByHop(name);
}

export class PolicyExchange extends ProxyExchange {
  /** Set when a retry holds forward-request and the request can be sent again. */
  private retryState: { plan: RetryPlan; attempt: number; send: () => void; delayMs: number; replayable: boolean } | null = null;
  /** Set while the retry's children after forward-request wait on an answer. */
  private deciding: PendingDecision | null = null;
  /** forward-request follow-redirects: set by the request path; null when redirects are passed on. */
  private redirectFollower: RedirectFollower | null = null;
  private redirects = 0;
  /** A copy of the body for an outbound policy (cache-store), fed as chunks go to the client. */
  private tap: ResponseBodyTap | null = null;

  constructor(res: HttpResponse, owner: ExchangeOwner, isHead: boolean, readonly ctx: RequestContext, readonly chain: RuntimeChain) {
    super(res, owner, isHead);
  }

  protected override headReceived(statusText: string): boolean {
    const ctx = this.ctx;
    ctx.backendEntity?.reportStatus(this.statusCode, this.backendRetryAfter());
    if (ctx.followRedirects && isRedirect(this.statusCode) && this.followRedirect()) return false;
    if (this.retryState !== null) return this.attemptAnswered(statusText) === GO_ON;
    if (ctx.failOnErrorStatus && this.statusCode >= 400 && this.statusCode <= 599) { this.answerErrorStatus(statusText); return false; }
    return this.afterForward(statusText) === GO_ON;
  }

  /** The answer that counts: outbound runs on its head (or it goes straight to the client). */
  private afterForward(statusText: string): Decision {
    if (this.chain.outbound === null) return GO_ON;
    return this.outboundOnHead(statusText) ? GO_ON : TAKEN;
  }

  /** Outbound on the head, before the body streams (buffered-policy-exchange.ts waits for the body instead). */
  protected outboundOnHead(statusText: string): boolean {
    if (!this.applyOutbound(statusText)) return false;
    if (this.ctx.bodyTap !== null) this.startTap(statusText);
    return true;
  }

  override onData(chunk: Buffer): boolean {
    const pending = this.deciding;
    if (pending !== null) {
      // The chunk is valid only during the call: keep a copy, and pause the backend until the round decides.
      pending.held = pending.held === null ? Buffer.from(chunk) : Buffer.concat([pending.held, chunk]);
      return false;
    }
    if (this.tap !== null) {
      if (this.aborted || this.ended) this.stopTap();
      else this.tap.chunk(chunk);
    }
    return super.onData(chunk);
  }

  override onComplete(): void {
    if (this.deciding !== null) { this.deciding.complete = true; return; }
    const tap = this.tap;
    if (tap !== null) {
      this.tap = null;
      if (this.aborted) tap.abandon();
      else tap.complete();
    }
    super.onComplete();
  }

  override onError(err: Error): void {
    if (this.deciding !== null && !(err instanceof RetryAbortError)) { this.deciding.error ??= err; return; }
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
    const ctx = this.ctx;
    // No answer: the condition sees the failure (context.LastError, error.source), as on-error would.
    ctx.response = null;
    ctx.lastError = { source: 'backend', reason: code, message: err.message, section: 'backend', policy: 'forward-request', code };
    if (!this.wantsRetry()) return false;
    this.scheduleRetry();
    return true;
  }

  /** The backend's Retry-After, for a circuit breaker that accepts it (read only for backend entities). */
  private backendRetryAfter(): string | null {
    return this.ctx.backendEntity === null ? null : this.backendHeader('retry-after');
  }

  /** A header of the backend's answer (lowercase name), or null. */
  private backendHeader(name: string): string | null {
    const raw = this.outHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === name.length && raw[i].toString('latin1').toLowerCase() === name) return raw[i + 1].toString('latin1');
    }
    return null;
  }

  /** The backend's head as context.Response sees it (no body: it has not been read). */
  private headAsResponse(statusText: string, withoutFraming: boolean): PolicyResponse {
    const headers: string[] = [];
    const raw = this.outHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString().toLowerCase();
      if (!withoutFraming || !isFramingHeader(name)) headers.push(name, raw[i + 1].toString());
    }
    return { status: this.statusCode, reason: statusText, headers, body: null };
  }

  protected override answerBackendError(code: ErrorCode, err: Error): void {
    this.runOnError({ source: 'backend', reason: code, message: err.message, section: 'backend', policy: null, code });
  }

  protected override extraHeaders(): string[] | null {
    return this.ctx.extraResponseHeaders;
  }

  protected override finished(): void {
    this.ctx.ended();
  }

  /** A retry holds forward-request: `send` dispatches this exchange again (only when the body can be sent again). */
  enableRetry(plan: RetryPlan, send: () => void, replayable: boolean): void {
    this.retryState = { plan, attempt: 0, send, delayMs: 0, replayable };
  }

  /** forward-request follow-redirects="true": `follower` builds the request a redirect leads to. */
  enableRedirects(follower: RedirectFollower): void {
    this.redirectFollower = follower;
  }

  /** Forgets the attempt in flight (its answer is not the client's). */
  private resetAttempt(): void {
    this.abortUpstream = null;
    this.resumeUpstream = null;
    this.outHeaders = [];
    this.total = -1;
  }

  /** Gives up the attempt in flight: its onError (RetryAbortError) is ignored. */
  private dropAttempt(): void {
    const abort = this.abortUpstream;
    this.resetAttempt();
    abort?.(new RetryAbortError());
  }

  /** A redirect to follow: drop this answer and send where it points (counted against MAX_REDIRECTS). */
  private followRedirect(): boolean {
    const location = this.backendHeader('location');
    if (this.redirectFollower === null || location === null || this.redirects >= MAX_REDIRECTS || this.aborted || this.ended) return false;
    const next = this.redirectFollower(location, this.statusCode);
    if (next === null) return false;
    this.redirects++;
    this.dropAttempt();
    // Sent from a fresh turn of the loop, not from inside the old connection's callback.
    this.holds++;
    setImmediate(() => {
      this.holds--;
      if (this.aborted || this.ended) return this.finish();
      next();
    });
    return true;
  }

  /**
   * This attempt's head (a retry holds forward-request): the children after forward-request run on
   * it, then the condition decides. A forward that failed on an error status skips those children.
   */
  private attemptAnswered(statusText: string): Decision {
    const ctx = this.ctx;
    ctx.response = this.headAsResponse(statusText, false);
    ctx.lastError = null;
    if (ctx.failOnErrorStatus && this.statusCode >= 400 && this.statusCode <= 599) {
      ctx.lastError = { source: 'backend', reason: 'OUTPOST_ERR_BACKEND_ERROR_STATUS', message: `the backend answered ${this.statusCode}`, section: 'backend', policy: 'forward-request', code: 'OUTPOST_ERR_BACKEND_ERROR_STATUS' };
      return this.decide(CONTINUE, statusText, true);
    }
    const after = this.retryState!.plan.after;
    const outcome = after === null ? CONTINUE : runSection(after, ctx);
    if (typeof outcome === 'number') return this.decide(outcome, statusText, false);
    // The children wait (a cache lookup on Redis): the body is held, paused, until they are done.
    const pending: PendingDecision = { statusText, held: null, complete: false, error: null };
    this.deciding = pending;
    this.holds++;
    outcome.then((o) => this.decidedLater(pending, o), () => this.decidedLater(pending, FAIL));
    return TAKEN;
  }

  /** After a round: a child answered or failed, the condition asks again, or this answer goes on. */
  private decide(outcome: Outcome, statusText: string, failedStatus: boolean): Decision {
    if (outcome !== CONTINUE) {
      this.dropAttempt();
      if (outcome === RESPOND) this.respondFromPolicy();
      else this.failFromPolicy();
      return DROPPED;
    }
    if (this.wantsRetry()) {
      const abort = this.abortUpstream;
      this.scheduleRetry();
      abort?.(new RetryAbortError());
      return DROPPED;
    }
    if (failedStatus) { this.answerErrorStatus(statusText); return DROPPED; }
    return this.afterForward(statusText);
  }

  /** The round's children waited; the held answer now goes where the round decided. */
  private decidedLater(pending: PendingDecision, outcome: Outcome): void {
    this.holds--;
    this.deciding = null;
    if (this.aborted || this.ended) { this.dropAttempt(); return this.finish(); }
    // The answer broke while the children ran: it is a failed attempt (retried, or on-error).
    if (pending.error !== null) return this.onError(pending.error);
    const decision = this.decide(outcome, pending.statusText, false);
    if (decision === DROPPED) return;
    if (decision === GO_ON) this.headAccepted();
    // The body flows on through this exchange (to the client, or to outbound's buffer).
    if (pending.held !== null) { if (this.onData(pending.held)) this.resumeUpstream?.(); }
    if (pending.complete) this.onComplete();
  }

  /** Asks the retry condition about this attempt, with retries left; an expression that fails asks no more. */
  private wantsRetry(): boolean {
    const state = this.retryState!;
    if (!state.replayable || this.aborted || this.ended) return false;
    const ctx = this.ctx;
    try {
      if (state.attempt >= state.plan.count(ctx) || !state.plan.test(ctx)) return false;
      state.delayMs = state.plan.delayMs(ctx, state.attempt + 1);
      return true;
    } catch {
      return false;
    }
  }

  /** Forgets the abandoned attempt; after the plan's wait, the retry's children before forward-request run again, then the send. */
  private scheduleRetry(): void {
    const state = this.retryState!;
    state.attempt++;
    this.resetAttempt();
    this.holds++;
    setTimeout(() => {
      this.holds--;
      if (this.aborted || this.ended) return this.finish();
      const before = state.plan.before;
      const outcome = before === null ? CONTINUE : runSection(before, this.ctx);
      if (typeof outcome === 'number') return this.roundReady(outcome);
      this.holds++;
      outcome.then((o) => { this.holds--; this.roundReady(o); }, () => { this.holds--; this.roundReady(FAIL); });
    }, state.delayMs);
  }

  private roundReady(outcome: Outcome): void {
    if (this.aborted || this.ended) return this.finish();
    if (outcome === RESPOND) return this.respondFromPolicy();
    if (outcome === FAIL) return this.failFromPolicy();
    this.retryState!.send();
  }

  /**
   * forward-request fail-on-error-status-code: a 400-599 answer goes to on-error, which sees the
   * backend's status and headers in context.Response; the backend's body is dropped.
   */
  private answerErrorStatus(statusText: string): void {
    const code = 'OUTPOST_ERR_BACKEND_ERROR_STATUS';
    const response = this.headAsResponse(statusText, true);
    this.dropAttempt();
    if (this.aborted || this.ended) return this.finish();
    this.ended = true;
    this.runOnError({ source: 'backend', reason: code, message: `the backend answered ${response.status}`, section: 'backend', policy: 'forward-request', code }, response);
    this.finish();
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

  /** on-error decides the answer; ctx.response starts as the error's (or, for an error status, the backend's head). */
  protected runOnError(error: LastError, response: PolicyResponse = errorResponse(error.code)): void {
    const { ctx, chain } = this;
    ctx.lastError = error;
    ctx.response = response;
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
