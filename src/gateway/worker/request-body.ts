/**
 * Request bodies from the client connection to the upstream client.
 *
 * Small bodies with a Content-Length (up to BUFFERED_BODY_LIMIT) are collected into one Buffer
 * and dispatched when complete: one write to the backend, and no stream object per request.
 * Larger or chunked bodies stream through a Readable: when it is full, `res.pause()` stops the
 * connection reading the client socket; the upstream's next read resumes it. Memory stays
 * bounded by the Readable's high-water mark plus what the sockets hold, whatever the body's size.
 *
 * Chunks are views of the socket's receive buffers, which are never reused: no copy.
 */
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import type { ClientResponse } from '../../http1/server/client-response.js';

export const BUFFERED_BODY_LIMIT = 64 * 1024;
const STREAM_HIGH_WATER_MARK = 256 * 1024;

export class BodyTooLargeError extends Error {
  constructor(limit: number) { super(`request body exceeds ${limit} bytes`); this.name = 'BodyTooLargeError'; }
}

/** Collects a body of known, small length; calls `done` with it once complete. */
export function collectBody(res: ClientResponse, length: number, done: (body: Buffer) => void, overflow: () => void): void {
  const body = Buffer.allocUnsafe(length);
  let at = 0;
  res.onData((chunk, isLast) => {
    if (at + chunk.length > length) { overflow(); return; }
    body.set(chunk, at);
    at += chunk.length;
    if (isLast) done(at === length ? body : body.subarray(0, at));
  });
}

/**
 * Collects a body of unknown length (chunked) up to `limit` bytes, for forward-request
 * buffer-request-body: `overflow` runs once past it and nothing more is kept.
 */
export function collectBodyUpTo(res: ClientResponse, limit: number, done: (body: Buffer) => void, overflow: () => void): void {
  const parts: Buffer[] = [];
  let size = 0;
  let over = false;
  res.onData((chunk, isLast) => {
    if (over) return;
    size += chunk.length;
    if (size > limit) { over = true; parts.length = 0; overflow(); return; }
    if (chunk.length > 0) parts.push(Buffer.from(chunk));
    if (isLast) done(Buffer.concat(parts, size));
  });
}

/** A streaming body; `limit` 0 means unlimited. `onOverflow` runs once if the limit is passed. */
const ignoreError = (): void => undefined;

export class StreamingBody extends Readable {
  private received = 0;
  private paused = false;

  constructor(private readonly res: ClientResponse, private readonly limit: number, private readonly onOverflow: () => void) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    // The exchange owns failures (it aborts the upstream side itself). A client that leaves while
    // this body waits for a backend connection, or after the upstream writer detached, destroys it
    // with an error nobody listens to: without this listener that is an uncaught exception that
    // takes the whole worker down (found by Http11Probe's COMP-CHUNKED-NO-FINAL).
    this.on('error', ignoreError);
    res.onData((chunk, isLast) => this.onChunk(chunk, isLast));
  }

  private onChunk(chunk: Buffer, isLast: boolean): void {
    if (this.destroyed) return;
    this.received += chunk.length;
    if (this.limit > 0 && this.received > this.limit) { this.onOverflow(); return; }
    if (chunk.length > 0 && !this.push(chunk)) {
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
