/**
 * The correlation id of a request: the client's `X-Request-Id` when it is a sane token, else a
 * new UUID. It is forwarded to the backend, returned to the client and written in the request
 * log, so a client's id must be short and plain: 1..128 characters of letters, digits and
 * `- _ . : / + = @ ~`. Anything else (too long, spaces, quotes, control or non-ASCII bytes) is
 * replaced, never echoed.
 */
import { randomUUID } from 'node:crypto';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

export const MAX_REQUEST_ID_LENGTH = 128;

/** Byte table of the characters a client's id may hold. */
const ALLOWED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/+=@~') ALLOWED[c.charCodeAt(0)] = 1;

export function isAcceptableRequestId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = charCodeAt.call(id, i);
    if (c >= 128 || ALLOWED[c] === 0) return false;
  }
  return true;
}

/** The client's id if acceptable, else a fresh UUID (Node batches its entropy: cheap). */
export function correlationId(fromClient: string): string {
  return fromClient !== '' && isAcceptableRequestId(fromClient) ? fromClient : randomUUID();
}
