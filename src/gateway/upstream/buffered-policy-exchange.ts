/**
 * The exchange of an operation whose outbound section needs the backend's whole answer before it
 * runs (chainBuffersResponse: set-body, find-and-replace, send-request, a read of
 * context.Response.Body). The answer is held, bounded by MAX_HELD_RESPONSE, instead of streamed;
 * outbound then runs on it (and may wait), and the client gets what outbound left in
 * ctx.response, with a Content-Length the gateway writes. Over the bound: on-error with
 * OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE (502), never a truncated body.
 */
import { Buffer } from 'node:buffer';
import { OutpostError } from '../../shared/errors.js';
import { writePolicyResponse } from '../worker/respond.js';
import { runSection } from '../pipeline/chain-runtime.js';
import { CONTINUE, FAIL, type Outcome } from '../pipeline/phases.js';
import { PolicyExchange } from './policy-exchange.js';

export const MAX_HELD_RESPONSE = 1024 * 1024;

/** The answer so far: chunks copied out of the socket's buffers (valid only during onData). */
class HeldResponse {
  private readonly parts: Buffer[] = [];
  private size = 0;

  constructor(readonly reason: string) {}

  /** False when the body would pass the bound (nothing more is kept then). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_HELD_RESPONSE) return false;
    this.parts.push(Buffer.from(chunk));
    return true;
  }

  body(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

export class BufferedPolicyExchange extends PolicyExchange {
  private held: HeldResponse | null = null;

  /** Nothing is written until the body is complete and outbound has run on it (onComplete). */
  protected override outboundOnHead(statusText: string): boolean {
    if (this.total > MAX_HELD_RESPONSE) this.refuseHeld();
    else this.held = new HeldResponse(statusText);
    return false;
  }

  override onData(chunk: Buffer): boolean {
    if (this.held === null) return super.onData(chunk);
    if (!this.aborted && !this.ended && !this.held.add(chunk)) this.refuseHeld();
    return true;
  }

  override onComplete(): void {
    const held = this.held;
    if (held === null) return super.onComplete();
    this.held = null;
    if (!this.aborted && !this.ended) this.runBufferedOutbound(held);
    this.finish();
  }

  override onError(err: Error): void {
    this.held = null;
    super.onError(err);
  }

  /** The held answer is over its bound: on-error runs, and the backend connection is dropped. */
  private refuseHeld(): void {
    this.held = null;
    const code = 'OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE';
    const message = `the backend's response is over ${MAX_HELD_RESPONSE} bytes, the bound for outbound policies that edit or read it`;
    this.ctx.fail({ source: 'backend', reason: code, message, section: 'outbound', policy: null, code });
    this.failFromPolicy();
    const abort = this.abortUpstream;
    this.abortUpstream = null;
    abort?.(new OutpostError(code, message));
  }

  /** Runs outbound on the whole answer (it may wait: send-request), then writes what it left in ctx.response. */
  private runBufferedOutbound(held: HeldResponse): void {
    const ctx = this.ctx;
    ctx.response = { status: this.statusCode, reason: held.reason, headers: this.backendFields(), body: held.body() };
    const outcome = runSection(this.chain.outbound!, ctx);
    if (typeof outcome === 'number') return this.writeBufferedAnswer(outcome);
    this.holds++;
    outcome.then((o) => this.writeBufferedAnswer(o), () => this.writeBufferedAnswer(FAIL)).finally(() => { this.holds--; this.finish(); });
  }

  private writeBufferedAnswer(outcome: Outcome): void {
    if (this.aborted || this.ended) return;
    this.ended = true;
    const ctx = this.ctx;
    if (outcome === FAIL) return this.runOnError(ctx.lastError ?? { source: 'policy', reason: 'PolicyFailed', message: 'an outbound policy failed', section: 'outbound', policy: null, code: 'OUTPOST_ERR_POLICY_FAILED' });
    const response = ctx.response!;
    if (ctx.method === 'HEAD') response.body = null;
    writePolicyResponse(this.res, response, ctx.extraResponseHeaders, this.owner.draining);
    // cache-store sees the final answer in one piece (it stores what the client got).
    const tap = ctx.bodyTap;
    ctx.bodyTap = null;
    if (tap !== null && outcome === CONTINUE) {
      const body = response.body === null ? Buffer.alloc(0) : typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
      if (tap.begin(response.status, response.reason, response.headers.slice(), body.length)) { tap.chunk(body); tap.complete(); }
    }
  }
}
