/**
 * One upstream call whose answer a policy needs whole (send-request): status, headers and a
 * body of at most `maxBody` bytes, within `timeoutMs` from dispatch to the last byte. Every
 * failure comes back coded: a timeout as OUTPOST_ERR_SEND_REQUEST_TIMEOUT (504), an oversized
 * body as OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE, anything else as OUTPOST_ERR_SEND_REQUEST_FAILED.
 */
import { Buffer } from 'node:buffer';
import { OutpostError } from '../../shared/errors.js';
import { backendErrorCode } from './backend-errors.js';
import type { Dispatcher, UpstreamHandler, UpstreamRequest } from './upstream-types.js';
import type { ResponseHeaders } from './response-headers.js';

export interface BufferedResponse {
  status: number;
  reason: string;
  /** Flat [name, value, …] with lowercase names, as the backend sent them. */
  headers: string[];
  body: Buffer;
}

class BufferedCall implements UpstreamHandler {
  /** It keeps every chunk until the answer is complete. */
  readonly borrowsBody = false;
  private status = 0;
  private reason = '';
  private headers: string[] = [];
  private readonly parts: Buffer[] = [];
  private received = 0;
  private abort: ((err?: Error) => void) | null = null;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly maxBody: number,
    timeoutMs: number,
    private readonly resolve: (r: BufferedResponse) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.timer = setTimeout(() => this.stop(new OutpostError('OUTPOST_ERR_SEND_REQUEST_TIMEOUT', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
  }

  onConnect(abort: (err?: Error) => void): void { this.abort = abort; }

  onHeaders(statusCode: number, headers: ResponseHeaders, _resume: () => void, statusText: string): boolean {
    this.status = statusCode;
    this.reason = statusText;
    const out: string[] = [];
    for (let i = 0; i < headers.count; i++) out.push(headers.lowerName(i), headers.valueText(i));
    this.headers = out;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.received += chunk.length;
    if (this.received > this.maxBody) {
      this.stop(new OutpostError('OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE', `the answer's body is over ${this.maxBody} bytes`));
      return true;
    }
    this.parts.push(Buffer.from(chunk)); // the chunk is only valid during the call
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve({ status: this.status, reason: this.reason, headers: this.headers, body: Buffer.concat(this.parts, this.received) });
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const code = backendErrorCode(err);
    if (code === 'OUTPOST_ERR_SEND_REQUEST_TIMEOUT' || code === 'OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE') return this.reject(err);
    if (code === 'OUTPOST_ERR_BACKEND_TIMEOUT') return this.reject(new OutpostError('OUTPOST_ERR_SEND_REQUEST_TIMEOUT', err.message));
    this.reject(new OutpostError('OUTPOST_ERR_SEND_REQUEST_FAILED', err.message));
  }

  /** Ends the call with `err` (reported once, through onError when the pool calls it back). */
  private stop(err: OutpostError): void {
    if (this.settled) return;
    if (this.abort !== null) this.abort(err);
    this.onError(err);
  }
}

export function callBuffered(pool: Dispatcher, req: UpstreamRequest, timeoutMs: number, maxBody: number): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    pool.dispatch(req, new BufferedCall(maxBody, timeoutMs, resolve, reject));
  });
}
