/**
 * The GatewayKey token format, shared by the control plane (which signs and verifies tokens) and
 * the gateway (which only reads them, to warn before expiry). One parser for both sides, so a
 * token one side accepts is never refused by the other for its form alone.
 *
 * Form: `GatewayKey <gateway-id>&<expiry>&<signature>`, APIM's.
 * - expiry: the UTC time the token stops working, as `yyyyMMddHHmm` (e.g. 202701311200).
 * - signature: opaque here; the control plane defines and checks it (src/control-plane/gateway-token.ts).
 * The scheme is optional when reading: APIM's env.conf carries it, some tools strip it.
 */

export const TOKEN_SCHEME = 'GatewayKey';

export interface TokenParts {
  gatewayId: string;
  /** The expiry exactly as written in the token (it is what the signature covers). */
  expiry: string;
  expiresAt: Date;
  signature: string;
}

export type TokenFormFailure = 'missing' | 'malformed';

export type TokenParse = { ok: true; parts: TokenParts } | { ok: false; reason: TokenFormFailure; message: string };

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

/** The token as it goes in `Authorization`: the scheme, one space, the three parts. */
export function formatToken(gatewayId: string, expiry: string, signature: string): string {
  return `${TOKEN_SCHEME} ${gatewayId}&${expiry}&${signature}`;
}

/** Reads a token (with or without the scheme); checks its form, never its signature. */
export function parseTokenForm(value: string | undefined): TokenParse {
  if (value === undefined || value.trim() === '') {
    return { ok: false, reason: 'missing', message: `Missing gateway token: send "Authorization: ${TOKEN_SCHEME} <gateway-id>&<expiry>&<signature>"` };
  }
  const trimmed = value.trim();
  const scheme = /^(\S+)\s+/.exec(trimmed);
  if (scheme && scheme[1].toLowerCase() !== TOKEN_SCHEME.toLowerCase()) {
    return { ok: false, reason: 'malformed', message: `Malformed gateway token: the scheme must be ${TOKEN_SCHEME}` };
  }
  const body = scheme ? trimmed.slice(scheme[0].length) : trimmed;
  const parts = body.split('&');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return { ok: false, reason: 'malformed', message: 'Malformed gateway token: expected <gateway-id>&<expiry yyyyMMddHHmm>&<signature>' };
  }
  const [gatewayId, expiry, signature] = parts;
  const expiresAt = parseExpiry(expiry);
  if (!expiresAt) return { ok: false, reason: 'malformed', message: `Malformed gateway token: the expiry "${expiry}" is not a UTC time as yyyyMMddHHmm` };
  return { ok: true, parts: { gatewayId, expiry, expiresAt, signature } };
}
