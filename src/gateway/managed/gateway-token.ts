/**
 * The gateway token, APIM's format: `GatewayKey <gateway-id>&<expiry yyyyMMddHHmm UTC>&<signature>`.
 * The gateway cannot check the signature (only the control plane holds the key); it reads the id
 * and the expiry so it can warn before the token runs out instead of being cut off silently.
 */
import { OutpostError } from '../../shared/errors.js';

export interface GatewayToken {
  gatewayId: string;
  expiresAt: Date;
  /** The exact `Authorization` header value. */
  header: string;
}

/** Warn this long before the token expires (APIM tokens last at most 30 days). */
export const TOKEN_WARNING_MS = 7 * 24 * 3600 * 1000;

const EXPIRY = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/** Accepts the value with or without the `GatewayKey ` scheme (APIM's env.conf includes it). */
export function parseGatewayToken(value: string): GatewayToken {
  const trimmed = value.trim();
  const body = /^GatewayKey\s+/i.test(trimmed) ? trimmed.replace(/^GatewayKey\s+/i, '') : trimmed;
  const parts = body.split('&');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', 'config.service.auth: expected "GatewayKey <gateway-id>&<expiry yyyyMMddHHmm>&<signature>"');
  }
  const [gatewayId, expiry] = parts;
  const m = EXPIRY.exec(expiry);
  const expiresAt = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5])) : null;
  // Date.UTC rolls over out-of-range fields (month 13); a round trip catches that.
  if (!m || !expiresAt || formatExpiry(expiresAt) !== expiry) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `config.service.auth: the expiry "${expiry}" is not a UTC time as yyyyMMddHHmm`);
  }
  return { gatewayId, expiresAt, header: `GatewayKey ${body}` };
}

export function formatExpiry(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}`;
}

export interface TokenStatus {
  gatewayId: string;
  expiresAt: string;
  expiresInSeconds: number;
  /** 'ok', 'expiring' (within 7 days) or 'expired'. */
  state: 'ok' | 'expiring' | 'expired';
}

export function tokenStatus(token: GatewayToken, now = Date.now()): TokenStatus {
  const left = token.expiresAt.getTime() - now;
  const state = left <= 0 ? 'expired' : left <= TOKEN_WARNING_MS ? 'expiring' : 'ok';
  return { gatewayId: token.gatewayId, expiresAt: token.expiresAt.toISOString(), expiresInSeconds: Math.floor(left / 1000), state };
}
