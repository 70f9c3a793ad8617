/** What every connection of one server shares: limits, the drain flag and the request handler. */
import type { ClientResponse } from './client-response.js';
import type { ParsedRequest } from '../request-parser.js';
import type { Connection } from './connection.js';

export interface ServerLimits {
  /** Request line + field lines; larger heads get 431. */
  maxHeaderBytes: number;
  /** Longest request line; longer ones get 414. */
  maxRequestLineBytes: number;
  /** Most header field lines; more get 431. */
  maxHeaderCount: number;
  /** A head must be complete this long after its first byte (slowloris): else 408 and close. */
  headTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A request body that sends nothing for this long is cut off (408 when nothing was answered). */
  bodyTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxHeaderBytes: 16_384, maxRequestLineBytes: 8_192, maxHeaderCount: 100,
  headTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, bodyTimeoutMs: 30_000,
};

/**
 * Called once per request head, synchronously from the socket's data event; `req` is valid only
 * during the call (the connection reuses it), so read what you need before returning.
 */
export type RequestHandler = (res: ClientResponse, req: ParsedRequest) => void;

export interface ServerShared {
  readonly limits: ServerLimits;
  readonly draining: boolean;
  handle: RequestHandler;
  /** Called once per response when it is complete or its connection is gone; null when nobody listens. */
  requestEnded: ((res: ClientResponse) => void) | null;
  connectionClosed(connection: Connection): void;
}
