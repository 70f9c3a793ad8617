/**
 * The forward of an operation with policies, between the backend's head and what policies do with
 * it (policy-exchange.ts): forward-request's follow-redirects (the gateway sends to the Location
 * itself) and fail-on-error-status-code (a 400-599 answer goes to on-error), and a retry that holds
 * forward-request: each answer's head is shown to the retry's children after forward-request and to
 * its condition, and dropped for another attempt while it holds; nothing is written to the client
 * until the attempt that counts. When those children wait (a cache lookup on Redis) the answer's
 * body is held, paused at the backend, until they are done.
 */
import { Buffer } from 'node:buffer';
import type { ClientResponse as HttpResponse } from '../../http1/server/client-response.js';
import { ERRORS, OutpostError } from '../../shared/errors.js';
import type { LastError, PolicyResponse, RequestContext, RetryPlan } from '../pipeline/context.js';
import { runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';
import { isHopByHop } from './hop-by-hop.js';
import { backendErrorCode } from './backend-errors.js';
import { ClientAbortedError, ProxyExchange, type ExchangeOwner } from './proxy-exchange.js';

/** Aborts an attempt the exchange is replacing (a retry, a redirect, an answer a policy took); its onError is ignored. */
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
export const DROPPED = 0;
export const GO_ON = 1;
export const TAKEN = 2;
export type Decision = typeof DROPPED | typeof GO_ON | typeof TAKEN;

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Framing is uWS's job: a policy-edited response never carries its own length or encoding. */
export function isFramingHeader(name: string): boolean {
  return name === 'content-length' || name === 'date' || isHopByHop(name);
}

export abstract class ForwardExchange extends ProxyExchange {
  /** Set when a retry holds forward-request and the request can be sent again. */
  private retryState: { plan: RetryPlan; attempt: number; send: () => void; delayMs: number; replayable: boolean } | null = null;
  /** Set while the retry's children after forward-request wait on an answer. */
  private deciding: PendingDecision | null = null;
  /** forward-request follow-redirects: set by the request path; null when redirects are passed on. */
  private redirectFollower: RedirectFollower | null = null;
  private redirects = 0;

  constructor(res: HttpResponse, owner: ExchangeOwner, isHead: boolean, readonly ctx: RequestContext, readonly chain: RuntimeChain) {
    super(res, owner, isHead);
  }

  /** The answer that counts goes on: outbound runs on its head (policy-exchange.ts). */
  protected abstract afterForward(statusText: string): Decision;
  /** inbound, backend or a retry's child answered: write ctx.response. */
  abstract respondFromPolicy(): void;
  /** A section failed (lastError is set): on-error decides the answer. */
  abstract failFromPolicy(): void;
  protected abstract runOnError(error: LastError, response?: PolicyResponse): void;

  override onData(chunk: Buffer): boolean {
    const pending = this.deciding;
    if (pending === null) return super.onData(chunk);
    // The chunk is valid only during the call: keep a copy, and pause the backend until the round decides.
    pending.held = pending.held === null ? Buffer.from(chunk) : Buffer.concat([pending.held, chunk]);
    return false;
  }

  override onComplete(): void {
    if (this.deciding !== null) { this.deciding.complete = true; return; }
    super.onComplete();
  }

  override onError(err: Error): void {
    if (this.deciding !== null && !(err instanceof RetryAbortError)) { this.deciding.error ??= err; return; }
    super.onError(err);
  }

  protected override headReceived(statusText: string): boolean {
    const ctx = this.ctx;
    ctx.backendEntity?.reportStatus(this.statusCode, this.backendRetryAfter());
    if (ctx.followRedirects && isRedirect(this.statusCode) && this.followRedirect()) return false;
    if (this.retryState !== null) return this.attemptAnswered(statusText) === GO_ON;
    if (ctx.failOnErrorStatus && this.statusCode >= 400 && this.statusCode <= 599) { this.answerErrorStatus(statusText); return false; }
    return this.afterForward(statusText) === GO_ON;
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
    let again: boolean;
    try {
      again = this.wantsRetry();
    } catch (failure) {
      this.conditionFailed(failure);
      return true;
    }
    if (!again) return false;
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
      if (raw[i].length === name.length && raw[i].toLowerCase() === name) return raw[i + 1];
    }
    return null;
  }

  /** The backend's fields as policies see them: [lower-cased name, value, …], latin1 text (see outHeaders). */
  protected backendFields(withoutFraming = false): string[] {
    const headers: string[] = [];
    const raw = this.outHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (!withoutFraming || !isFramingHeader(name)) headers.push(name, raw[i + 1]);
    }
    return headers;
  }

  /** The backend's head as context.Response sees it (no body: it has not been read). */
  private headAsResponse(statusText: string, withoutFraming: boolean): PolicyResponse {
    return { status: this.statusCode, reason: statusText, headers: this.backendFields(withoutFraming), body: null };
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
    let again: boolean;
    try {
      again = this.wantsRetry();
    } catch (failure) {
      this.dropAttempt();
      this.conditionFailed(failure);
      return DROPPED;
    }
    if (again) {
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

  /** Asks the retry condition about this attempt, with retries left; throws what a failing expression (condition, count, a wait) throws. */
  private wantsRetry(): boolean {
    const state = this.retryState!;
    if (!state.replayable || this.aborted || this.ended) return false;
    const ctx = this.ctx;
    if (state.attempt >= state.plan.count(ctx) || !state.plan.test(ctx)) return false;
    state.delayMs = state.plan.delayMs(ctx, state.attempt + 1);
    return true;
  }

  /** The retry's condition (or count, or a wait) failed to evaluate: on-error runs, as for any policy expression (run-section.ts). */
  private conditionFailed(err: unknown): void {
    const code = err instanceof OutpostError ? err.code : 'OUTPOST_ERR_POLICY_FAILED';
    const reason = code === 'OUTPOST_ERR_EXPRESSION_FAILED' ? 'ExpressionValueEvaluationFailure' : code;
    const source = ERRORS[code].source;
    this.ctx.fail({ source: source === 'config' ? 'policy' : source, reason, message: err instanceof Error ? err.message : String(err), section: 'backend', policy: 'retry', code });
    this.failFromPolicy();
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
}
