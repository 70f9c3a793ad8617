/**
 * A request body that streams from the client side (a Readable, request-body.ts) to the backend
 * socket, with backpressure both ways: when the socket's buffer is full the Readable is paused
 * (and it pauses the client's socket in turn); 'drain' resumes it. A body of unknown length goes
 * as chunked (`size CRLF data CRLF`, then `0 CRLF CRLF`); one with a declared Content-Length goes
 * as is and must match it exactly, or the connection is closed (never a misframed request).
 */
import type { Readable } from 'node:stream';
import { OutpostError } from '../../shared/errors.js';
import { corkForIteration } from '../../shared/iteration-writes.js';
import type { UpstreamConnection } from './upstream-connection.js';

const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

export class StreamedRequestBody {
  private sent = 0;
  private stopped = false;

  /** `declared` is the Content-Length, or -1 for chunked. */
  constructor(private readonly conn: UpstreamConnection, private readonly body: Readable, private readonly declared: number) {
    body.on('data', this.onData);
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    conn.socket.on('drain', this.onDrain);
    if (body.readableEnded) this.onEnd();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.stopped || chunk.length === 0) return;
    const socket = this.conn.socket;
    this.sent += chunk.length;
    // Corked until the iteration ends: a chunk's size line, data and CRLF leave in one write.
    corkForIteration(socket);
    let ok: boolean;
    if (this.declared < 0) {
      socket.write(`${chunk.length.toString(16)}${CRLF}`, 'latin1');
      socket.write(chunk);
      ok = socket.write(CRLF, 'latin1');
    } else {
      if (this.sent > this.declared) { this.failWith('the request body is longer than its Content-Length'); return; }
      ok = socket.write(chunk);
    }
    this.conn.phaseAt = this.conn.pool.now;
    if (!ok) this.body.pause();
  };

  private readonly onDrain = (): void => {
    if (!this.stopped) this.body.resume();
  };

  private readonly onEnd = (): void => {
    if (this.stopped) return;
    if (this.declared < 0) { corkForIteration(this.conn.socket); this.conn.socket.write(LAST_CHUNK, 'latin1'); }
    else if (this.sent !== this.declared) { this.failWith('the request body is shorter than its Content-Length'); return; }
    this.detach();
    this.conn.requestComplete();
  };

  private readonly onError = (err: Error): void => {
    if (this.stopped) return;
    this.detach();
    this.conn.requestBodyFailed(err);
  };

  private failWith(message: string): void {
    this.detach();
    this.conn.requestBodyFailed(new OutpostError('OUTPOST_ERR_BAD_REQUEST_FRAMING', message));
  }

  /** The exchange ended first (an early response, a failure): stop sending; the rest is discarded. */
  stop(): void {
    if (this.stopped) return;
    this.detach();
    this.body.resume();
  }

  private detach(): void {
    this.stopped = true;
    this.body.off('data', this.onData);
    this.body.off('end', this.onEnd);
    // The 'error' listener stays (a no-op once stopped): the exchange may destroy the body with
    // an error later, and an 'error' with no listener would crash the worker.
    this.conn.socket.off('drain', this.onDrain);
  }
}
