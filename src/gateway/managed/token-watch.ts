/**
 * Warns ahead of token expiry (APIM's users were cut off silently): a log line at startup, on
 * every SIGHUP and every 6 hours while the token is within 7 days of expiring or past it. The
 * metric and readiness detail read tokenStatus() live, so they never go stale.
 */
import { log } from '../../shared/log.js';
import { tokenStatus, type GatewayToken, type TokenStatus } from './gateway-token.js';

const RECHECK_MS = 6 * 3600 * 1000;

export class TokenWatch {
  private timer: NodeJS.Timeout | null = null;

  status(token: GatewayToken): TokenStatus {
    return tokenStatus(token);
  }

  check(token: GatewayToken): TokenStatus {
    const s = tokenStatus(token);
    if (s.state !== 'ok') {
      log(s.state === 'expired' ? 'error' : 'warn', s.state === 'expired' ? 'the gateway token has expired' : 'the gateway token expires within 7 days', {
        errorCode: 'OUTPOST_ERR_GATEWAY_TOKEN_EXPIRING', gatewayId: s.gatewayId, expiresAt: s.expiresAt, expiresInSeconds: s.expiresInSeconds,
        hint: 'put a new token in config.service.auth and send SIGHUP; no restart needed',
      });
    }
    return s;
  }

  startPeriodicCheck(current: () => GatewayToken): void {
    this.stop();
    this.timer = setInterval(() => this.check(current()), RECHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
