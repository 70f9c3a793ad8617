/** Maps a backend failure to the coded error a client gets (502, 503 or 504). */
import { OutpostError, type ErrorCode } from '../../shared/errors.js';

/** System errors of the socket (connect, DNS, reset). TLS verification failures stay protocol errors. */
const TIMEOUT_CODES = new Set(['ETIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

export function backendErrorCode(err: Error): ErrorCode {
  // The upstream client reports its own failures (timeouts, malformed responses, a full queue) coded.
  if (err instanceof OutpostError) return err.code;
  const code = (err as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_TIMEOUT';
  if (UNREACHABLE_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_UNREACHABLE';
  return 'OUTPOST_ERR_BACKEND_PROTOCOL';
}
