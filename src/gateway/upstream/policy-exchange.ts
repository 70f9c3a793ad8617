/**
 * The exchange of an operation with policies: the plain ProxyExchange, the forward's redirects,
 * error statuses and retries (forward-exchange.ts), plus what policies add on the backend's answer:
 * outbound runs on the backend's status and headers before they are written; on-error shapes
 * failures; inbound policies' extra response headers go on every answer; atEnd hooks run when the
 * exchange ends.
 */
import type { ClientResponse as HttpResponse } from '../../http1/server/client-response.js';
import { statusLine, type ErrorCode } from '../../shared/errors.js';
import { errorResponse, writeError, writePolicyResponse } from '../worker/respond.js';
import type { LastError, PolicyResponse, RequestContext, ResponseBodyTap } from '../pipeline/context.js';
import { runSection, type RuntimeChain } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, RESPOND, type Outcome } from '../pipeline/phases.js';
import type { ExchangeOwner } from './proxy-exchange.js';
import { ForwardExchange, GO_ON, isFramingHeader, TAKEN, type Decision } from './forward-exchange.js';

export { MAX_REDIRECTS, type RedirectFollower } from './forward-exchange.js';

export class PolicyExchange extends ForwardExchange {
  /** A copy of the body for the policies that watch it (cache-store, the LLM token policies), fed as chunks go to the client. */
  private tap: ResponseBodyTap | null = null;

  constructor(res: HttpResponse, owner: ExchangeOwner, isHead: boolean, ctx: RequestContext, chain: RuntimeChain) {
    super(res, owner, isHead, ctx, chain);
  }

  /** The answer that counts: outbound runs on its head (or it goes straight to the client). */
  protected override afterForward(statusText: string): Decision {
    if (this.chain.outbound === null) {
      // An inbound policy may still watch the body (the LLM token policies read its usage).
      if (this.ctx.bodyTap !== null) this.startTap(statusText);
      return GO_ON;
    }
    return this.outboundOnHead(statusText) ? GO_ON : TAKEN;
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
    const headers = this.backendFields();
    const reason = this.ctx.response?.reason ?? statusText;
    if (tap.begin(this.statusCode, reason, headers, this.total)) this.tap = tap;
  }

  private stopTap(): void {
    const tap = this.tap;
    this.tap = null;
    tap?.abandon();
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
    ctx.response = { status: this.statusCode, reason: statusText, headers: this.backendFields(), body: null };
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
  protected runOnError(error: LastError, response: PolicyResponse = errorResponse(error.code, error.publicMessage)): void {
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
