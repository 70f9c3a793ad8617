/** Maps what undici reports about a backend to the coded error a client gets (502 or 504). */
import type { ErrorCode } from '../../shared/errors.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function backendErrorCode(err: Error): ErrorCode {
  const code = (err as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_TIMEOUT';
  if (UNREACHABLE_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_UNREACHABLE';
  return 'OUTPOST_ERR_BACKEND_PROTOCOL';
}
