/**
 * The contract between the exchanges (proxy-exchange.ts, policy-exchange.ts) and the upstream
 * pool. It is the shape of undici's `dispatch()` with the legacy handler callbacks, which the
 * exchanges were written against: callbacks with raw header buffers, backpressure as a return
 * value, no promise and no stream object per response.
 */
import type { Readable } from 'node:stream';
import type { ResponseHeaders } from './response-headers.js';

export interface UpstreamRequest {
  /** Request target: path and query, as sent on the request line. */
  path: string;
  method: string;
  /** Flat [name, value, …]; hop-by-hop names are never sent, framing is the client's own. */
  headers: string[];
  body: Buffer | Readable | null;
  /** Per-request overrides of the pool's timeouts (forward-request's timeout), in ms. */
  headersTimeout?: number;
  bodyTimeout?: number;
}

export interface UpstreamHandler {
  /** Called once per dispatch, at once: `abort` cancels it (queued or in flight) with `onError(err)`. */
  onConnect(abort: (err?: Error) => void): void;
  /** The final response head; `headers` is valid during the call only (see response-headers.ts). `resume` restarts a paused body. */
  onHeaders(statusCode: number, headers: ResponseHeaders, resume: () => void, statusText: string): boolean;
  /**
   * A body chunk. False pauses reading until `resume()`. With `borrowsBody`, the chunk may be a
   * view of the connection's read buffer, valid only during the call: the handler copies what it
   * keeps. Otherwise it is the handler's to keep.
   */
  onData(chunk: Buffer): boolean;
  /** True when onData may be handed a view of the read buffer (the plain proxy exchange, which writes it out at once). */
  readonly borrowsBody: boolean;
  /**
   * The read that carried this exchange's bytes has been parsed (called after every read while it
   * is the connection's exchange): the read buffer is reused after this, so what the handler
   * still holds as offsets into it (the head's fields) must be copied now.
   */
  readDone?(): void;
  onComplete(trailers: string[] | null): void;
  onError(err: Error): void;
}

export interface Dispatcher {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): boolean;
}
