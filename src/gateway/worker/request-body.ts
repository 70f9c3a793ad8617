/**
 * Request bodies from uWS to undici.
 *
 * Small bodies with a Content-Length (up to BUFFERED_BODY_LIMIT) are collected into one Buffer
 * and dispatched when complete: one write to the backend, and no stream object per request.
 * Larger or chunked bodies stream through a Readable: when it is full, `res.pause()` stops uWS
 * reading the client socket; undici's next read resumes it. Memory stays bounded by the
 * Readable's high-water mark plus what the sockets hold, whatever the body's size.
 *
 * uWS neuters the chunk ArrayBuffer when the callback returns, so every chunk is copied.
 */
import { Readable } from 'node:stream';
import type { HttpResponse } from './uws-native.js';

export const BUFFERED_BODY_LIMIT = 64 * 1024;
const STREAM_HIGH_WATER_MARK = 256 * 1024;

export class BodyTooLargeError extends Error {
  constructor(limit: number) { super(`request body exceeds ${limit} bytes`); this.name = 'BodyTooLargeError'; }
}

/** Collects a body of known, small length; calls `done` with it once complete. */
export function collectBody(res: HttpResponse, length: number, done: (body: Buffer) => void, overflow: () => void): void {
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  res.onData((chunk, isLast) => {
    const bytes = new Uint8Array(chunk);
    if (at + bytes.length > length) { overflow(); return; }
    body.set(bytes, at);
    at += bytes.length;
    if (isLast) done(at === length ? body : body.subarray(0, at));
  });
}

/** A streaming body; `limit` 0 means unlimited. `onOverflow` runs once if the limit is passed. */
export class StreamingBody extends Readable {
  private received = 0;
  private paused = false;

  constructor(private readonly res: HttpResponse, private readonly limit: number, private readonly onOverflow: () => void) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    res.onData((chunk, isLast) => this.onChunk(chunk, isLast));
  }

  private onChunk(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.destroyed) return;
    this.received += chunk.byteLength;
    if (this.limit > 0 && this.received > this.limit) { this.onOverflow(); return; }
    if (chunk.byteLength > 0 && !this.push(Buffer.copyBytesFrom(new Uint8Array(chunk)))) {
      this.paused = true;
      this.res.pause();
    }
    if (isLast) this.push(null);
  }

  override _read(): void {
    if (this.paused) {
      this.paused = false;
      this.res.resume();
    }
  }
}
