/**
 * Gateway tokens, in APIM's format: `GatewayKey <gateway-id>&<expiry>&<signature>`.
 *
 * - expiry: the UTC time the token stops working, as `yyyyMMddHHmm` (e.g. 202701311200).
 * - signature: base64 (standard alphabet, padded) of HMAC-SHA512 keyed with the gateway's primary
 *   or secondary key (the key string's UTF-8 bytes) over exactly `${gatewayId}\n${expiry}`
 *   (one line feed, no trailing newline).
 *
 * The token does not say which key signed it: verification tries both, so rotating one key (and
 * with it, killing the tokens it signed) never cuts off gateways holding tokens of the other.
 * Pure functions only: the gateway side imports the parser to read the expiry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_SCHEME = 'GatewayKey';
/** APIM issues tokens for at most 30 days. */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export interface ParsedGatewayToken {
  gatewayId: string;
  /** The expiry exactly as written in the token (it is what the signature covers). */
  expiry: string;
  expiresAt: Date;
  signature: string;
}

export type TokenFailure = 'missing' | 'malformed' | 'unknown-gateway' | 'expired' | 'bad-signature';

export type TokenCheck = { ok: true; token: ParsedGatewayToken } | { ok: false; reason: TokenFailure; message: string };

const EXPIRY = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;

export function formatExpiry(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}`;
}

/** `yyyyMMddHHmm` (UTC) to a Date, or undefined when it is not a real time. */
export function parseExpiry(expiry: string): Date | undefined {
  const m = EXPIRY.exec(expiry);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  // Date.UTC rolls out-of-range fields over (month 13 → next January); a round trip catches it.
  return formatExpiry(date) === expiry ? date : undefined;
}

export function signatureOf(gatewayId: string, expiry: string, key: string): string {
  return createHmac('sha512', key).update(`${gatewayId}\n${expiry}`, 'utf8').digest('base64');
}

/** The full `Authorization` value. The expiry is floored to the minute (the format has no seconds). */
export function signGatewayToken(gatewayId: string, expiresAt: Date, key: string): string {
  const expiry = formatExpiry(expiresAt);
  return `${TOKEN_SCHEME} ${gatewayId}&${expiry}&${signatureOf(gatewayId, expiry, key)}`;
}

/** Reads a token (with or without the `GatewayKey ` scheme); checks its form, not its signature. */
export function parseGatewayToken(value: string | undefined): TokenCheck {
  if (value === undefined || value.trim() === '') return { ok: false, reason: 'missing', message: 'Missing gateway token: send "Authorization: GatewayKey <gateway-id>&<expiry>&<signature>"' };
  const trimmed = value.trim();
  const scheme = /^(\S+)\s+/.exec(trimmed);
  if (scheme && scheme[1].toLowerCase() !== TOKEN_SCHEME.toLowerCase()) {
    return { ok: false, reason: 'malformed', message: `Malformed gateway token: the scheme must be ${TOKEN_SCHEME}` };
  }
  const body = scheme ? trimmed.slice(scheme[0].length) : trimmed;
  const parts = body.split('&');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return { ok: false, reason: 'malformed', message: 'Malformed gateway token: expected <gateway-id>&<expiry>&<signature>' };
  }
  const [gatewayId, expiry, signature] = parts;
  const expiresAt = parseExpiry(expiry);
  if (!expiresAt) return { ok: false, reason: 'malformed', message: `Malformed gateway token: the expiry "${expiry}" is not a UTC time as yyyyMMddHHmm` };
  return { ok: true, token: { gatewayId, expiry, expiresAt, signature } };
}

/**
 * Full check. `keysOf` returns the gateway's current keys (undefined for an unknown gateway).
 * The signature is checked before the expiry, so "expired" is only ever said of a genuine token.
 */
export function verifyGatewayToken(value: string | undefined, keysOf: (gatewayId: string) => readonly string[] | undefined, now = Date.now()): TokenCheck {
  const parsed = parseGatewayToken(value);
  if (!parsed.ok) return parsed;
  const { gatewayId, expiry, expiresAt, signature } = parsed.token;
  const keys = keysOf(gatewayId);
  if (!keys) return { ok: false, reason: 'unknown-gateway', message: `Unknown gateway "${gatewayId}"` };
  // Compared as text: base64 decoding is lenient (it skips stray characters), text is exact.
  const given = Buffer.from(signature, 'utf8');
  // Every key is tried (no early exit) so timing does not tell which key matched.
  let match = false;
  for (const key of keys) {
    const expected = Buffer.from(signatureOf(gatewayId, expiry, key), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  if (!match) return { ok: false, reason: 'bad-signature', message: 'Invalid gateway token signature (wrong key, or the key was regenerated)' };
  if (expiresAt.getTime() <= now) return { ok: false, reason: 'expired', message: `Gateway token expired at ${expiresAt.toISOString()}` };
  return parsed;
}
