/**
 * The gateway token, APIM's format: `GatewayKey <gateway-id>&<expiry yyyyMMddHHmm UTC>&<signature>`.
 * The gateway cannot check the signature (only the control plane holds the key); it reads the id
 * and the expiry so it can warn before the token runs out instead of being cut off silently.
 */
import { OutpostError } from '../../shared/errors.js';
import { formatToken, parseTokenForm } from '../../shared/gateway-token-format.js';

// Re-exported for the gateway's callers and tests; the format itself lives in src/shared.
export { formatExpiry } from '../../shared/gateway-token-format.js';

export interface GatewayToken {
  gatewayId: string;
  expiresAt: Date;
  /** The exact `Authorization` header value. */
  header: string;
}

/** Warn this long before the token expires (APIM tokens last at most 30 days). */
export const TOKEN_WARNING_MS = 7 * 24 * 3600 * 1000;

/** Accepts the value with or without the `GatewayKey ` scheme (APIM's env.conf includes it). */
export function parseGatewayToken(value: string): GatewayToken {
  const parsed = parseTokenForm(value);
  // The settings error names the setting, so an operator knows which line of env.conf to fix.
  if (!parsed.ok) throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `config.service.auth: ${parsed.message}`);
  const { gatewayId, expiry, expiresAt, signature } = parsed.parts;
  return { gatewayId, expiresAt, header: formatToken(gatewayId, expiry, signature) };
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
