/** Maps a backend failure to the coded error a client gets (502, 503 or 504). */
import { OutpostError, type ErrorCode } from '../../shared/errors.js';

/** System errors of the socket (connect, DNS, reset). */
const TIMEOUT_CODES = new Set(['ETIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
/**
 * TLS failures: Node's own (ERR_TLS_CERT_ALTNAME_INVALID), OpenSSL's alerts and errors
 * (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED when the backend wants a client certificate), and
 * OpenSSL's certificate verification results (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED,
 * SELF_SIGNED_CERT_IN_CHAIN, DEPTH_ZERO_SELF_SIGNED_CERT, HOSTNAME_MISMATCH...), which carry no prefix.
 */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|ERR_OSSL_)/;

export function backendErrorCode(err: Error): ErrorCode {
  // The upstream client reports its own failures (timeouts, malformed responses, a full queue) coded.
  if (err instanceof OutpostError) return err.code;
  const code = (err as { code?: string }).code ?? '';
  if (TIMEOUT_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_TIMEOUT';
  if (UNREACHABLE_CODES.has(code)) return 'OUTPOST_ERR_BACKEND_UNREACHABLE';
  if (TLS_CODE.test(code) || (err as { library?: string }).library === 'SSL routines') return 'OUTPOST_ERR_BACKEND_TLS';
  return 'OUTPOST_ERR_BACKEND_PROTOCOL';
}
