/**
 * More than one policy may want to see the response body as it streams to the client: cache-store
 * (outbound) copies it, the LLM token policies (inbound) read the model's token usage from it.
 * The exchange hands the body to one ResponseBodyTap (ctx.bodyTap); `addBodyTap` chains a second
 * one behind the first instead of replacing it. Each tap still says in `begin` whether it wants
 * the body; the pair passes chunks only to those that said yes.
 */
import type { RequestContext, ResponseBodyTap } from './context.js';

/** Adds `tap` to those that see this request's response body. */
export function addBodyTap(ctx: RequestContext, tap: ResponseBodyTap): void {
  ctx.bodyTap = ctx.bodyTap === null ? tap : new TapPair(ctx.bodyTap, tap);
}

/** Two taps as one (a third makes a pair of a pair: chains stay short, a few policies at most). */
class TapPair implements ResponseBodyTap {
  private firstWants = false;
  private secondWants = false;

  constructor(private readonly first: ResponseBodyTap, private readonly second: ResponseBodyTap) {}

  begin(status: number, reason: string, headers: string[], contentLength: number): boolean {
    // Each gets its own copy of the header list: a tap may keep it.
    this.firstWants = this.first.begin(status, reason, headers.slice(), contentLength);
    this.secondWants = this.second.begin(status, reason, headers, contentLength);
    return this.firstWants || this.secondWants;
  }

  chunk(bytes: Buffer): void {
    if (this.firstWants) this.first.chunk(bytes);
    if (this.secondWants) this.second.chunk(bytes);
  }

  complete(): void {
    if (this.firstWants) this.first.complete();
    if (this.secondWants) this.second.complete();
  }

  abandon(): void {
    if (this.firstWants) this.first.abandon();
    if (this.secondWants) this.second.abandon();
  }
}
