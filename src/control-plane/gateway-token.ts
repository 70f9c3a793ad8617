/**
 * Gateway tokens: signing and verification. The form (scheme, `yyyyMMddHHmm` expiry, parsing) is
 * shared with the gateway in src/shared/gateway-token-format.ts; what is defined here is the
 * signature, which only the control plane can make or check:
 * base64 (standard alphabet, padded) of HMAC-SHA512 keyed with the gateway's primary or secondary
 * key (the key string's UTF-8 bytes) over exactly `${gatewayId}\n${expiry}` (one line feed, no
 * trailing newline).
 *
 * The token does not say which key signed it: verification tries both, so rotating one key (and
 * with it, killing the tokens it signed) never cuts off gateways holding tokens of the other.
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { formatExpiry, formatToken, parseTokenForm, type TokenParts } from '../shared/gateway-token-format.js';

// Re-exported: callers (and tests) on this side keep one import for everything about tokens.
export { TOKEN_SCHEME, formatExpiry, parseExpiry } from '../shared/gateway-token-format.js';

/** APIM issues tokens for at most 30 days. */
export const MAX_TOKEN_LIFETIME_MS = 30 * 24 * 3600 * 1000;

export type ParsedGatewayToken = TokenParts;

export type TokenFailure = 'missing' | 'malformed' | 'unknown-gateway' | 'expired' | 'bad-signature';

export type TokenCheck = { ok: true; token: ParsedGatewayToken } | { ok: false; reason: TokenFailure; message: string };

export function signatureOf(gatewayId: string, expiry: string, key: string): string {
  return createHmac('sha512', key).update(`${gatewayId}\n${expiry}`, 'utf8').digest('base64');
}

/** The full `Authorization` value. The expiry is floored to the minute (the format has no seconds). */
export function signGatewayToken(gatewayId: string, expiresAt: Date, key: string): string {
  const expiry = formatExpiry(expiresAt);
  return formatToken(gatewayId, expiry, signatureOf(gatewayId, expiry, key));
}

/** Reads a token (with or without the `GatewayKey ` scheme); checks its form, not its signature. */
export function parseGatewayToken(value: string | undefined): TokenCheck {
  const parsed = parseTokenForm(value);
  return parsed.ok ? { ok: true, token: parsed.parts } : parsed;
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
