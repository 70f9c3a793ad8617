/**
 * The body tap cache-store puts on a response: it copies the body as it streams to the client
 * and stores the entry when the body completes. It never holds the stream back: the copy is
 * abandoned as soon as it would exceed maxEntryBytes (or at once when Content-Length says so),
 * and a response that fails or is cut short is never stored.
 */
import { Buffer } from 'node:buffer';
import type { ResponseBodyTap } from '../pipeline/context.js';
import type { CacheStores } from './cache-stores.js';
import type { ResponseStorePlan } from './store-plan.js';
import { encodeEntry } from './cache-entry.js';

export class ResponseCapture implements ResponseBodyTap {
  private status = 0;
  private reason = '';
  private headers: string[] = [];
  private declared = -1;
  /** Content-Length known: one buffer of that size, filled in place. Else: copies of the chunks. */
  private whole: Buffer | null = null;
  private parts: Buffer[] | null = null;
  private received = 0;
  private live = false;

  constructor(private readonly stores: CacheStores, private readonly plan: ResponseStorePlan, private readonly ttlMs: number, private readonly now: () => number) {}

  begin(status: number, reason: string, headers: string[], contentLength: number): boolean {
    const max = this.stores.maxEntryBytes;
    if (contentLength > max) return false;
    // A Set-Cookie added by a later outbound policy is as personal as the backend's own.
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'set-cookie') return false;
    this.status = status;
    this.reason = reason;
    this.headers = headers;
    this.declared = contentLength;
    if (contentLength >= 0) this.whole = Buffer.allocUnsafe(contentLength);
    else this.parts = [];
    this.live = true;
    return true;
  }

  chunk(bytes: Buffer): void {
    if (!this.live) return;
    const end = this.received + bytes.length;
    if (end > this.stores.maxEntryBytes || (this.declared >= 0 && end > this.declared)) { this.abandon(); return; }
    if (this.whole !== null) bytes.copy(this.whole, this.received);
    else this.parts!.push(Buffer.from(bytes));
    this.received = end;
  }

  complete(): void {
    if (!this.live) return;
    const body = this.whole ?? Buffer.concat(this.parts!, this.received);
    const complete = this.declared < 0 || this.received === this.declared;
    this.abandon();
    if (!complete) return;
    const storedAt = this.now();
    const entry = encodeEntry({ status: this.status, reason: this.reason, headers: this.headers, body, storedAt, expiresAt: storedAt + this.ttlMs });
    this.stores.set(this.plan.key, entry, this.ttlMs, this.plan.cachingType);
  }

  abandon(): void {
    this.live = false;
    this.whole = null;
    this.parts = null;
  }
}
