/**
 * One authorization's access token in one worker. A static token is simply there. An OAuth 2.0
 * one is fetched on first use and cached until it expires, less a margin (at most half its
 * lifetime, so a short-lived token is not refetched on every request):
 *
 * - valid and outside the margin: returned synchronously (the request path allocates nothing);
 * - inside the margin: still returned, and one background refresh starts;
 * - expired or absent: the caller waits for the one fetch in flight (every waiting request
 *   shares it: N requests make one call to the token endpoint);
 * - after a failed fetch, calls wait RETRY_AFTER_FAILURE_MS before the next attempt: requests in
 *   between fail at once (or use the still-valid token), so a dead token endpoint is not hammered.
 *
 * With the refresh-token grant, a refresh token the server sends back replaces the configured one
 * in this worker's memory (rotation). Each worker holds its own token (see README: a server that
 * rotates refresh tokens and revokes the old one at once needs a single worker).
 */
import { AuthorizationValue } from '../pipeline/expression/csharp/cs-authorization.js';
import type { CompiledAuthorization, CompiledOAuth2 } from './compile-authorizations.js';
import { requestToken, TokenEndpointError } from './token-endpoint.js';

export const RETRY_AFTER_FAILURE_MS = 1000;
const NO_CLAIMS: ReadonlyMap<string, unknown> = new Map();

export class TokenSource {
  /** Calls made to the token endpoint (successful or not), for tests and diagnostics. */
  fetches = 0;
  lastError: string | null = null;
  private current: AuthorizationValue | null;
  private expiresAt = Infinity;
  private refreshAt = Infinity;
  private inflight: Promise<AuthorizationValue> | null = null;
  private failedAt = -Infinity;
  private refreshToken: string | null;
  private readonly oauth2: CompiledOAuth2 | null;

  constructor(auth: CompiledAuthorization, private readonly now: () => number) {
    this.oauth2 = auth.oauth2;
    this.current = auth.accessToken !== null ? new AuthorizationValue(auth.accessToken, NO_CLAIMS) : null;
    this.refreshToken = auth.oauth2?.refreshToken ?? null;
  }

  /** The token: synchronously while one is valid, else a promise of the fetch (rejected with TokenEndpointError). */
  get(): AuthorizationValue | Promise<AuthorizationValue> {
    const t = this.now();
    const current = this.current;
    if (current !== null && t < this.expiresAt) {
      if (t >= this.refreshAt && this.inflight === null && t - this.failedAt >= RETRY_AFTER_FAILURE_MS) this.fetch().catch(ignore);
      return current;
    }
    if (this.inflight !== null) return this.inflight;
    if (t - this.failedAt < RETRY_AFTER_FAILURE_MS) return Promise.reject(new TokenEndpointError(`${this.lastError ?? 'the last token request failed'} (retried after ${RETRY_AFTER_FAILURE_MS} ms)`));
    return this.fetch();
  }

  private fetch(): Promise<AuthorizationValue> {
    const o = this.oauth2!;
    this.fetches++;
    const pending = requestToken(o, this.refreshToken).then(
      (answer) => {
        const t = this.now();
        const value = new AuthorizationValue(answer.accessToken, answer.claims);
        this.current = value;
        this.expiresAt = t + answer.lifetimeMs;
        this.refreshAt = this.expiresAt - Math.min(o.refreshMarginMs, answer.lifetimeMs / 2);
        if (answer.refreshToken !== null) this.refreshToken = answer.refreshToken;
        this.lastError = null;
        this.inflight = null;
        return value;
      },
      (err: unknown) => {
        this.failedAt = this.now();
        this.lastError = err instanceof Error ? err.message : String(err);
        this.inflight = null;
        throw err instanceof TokenEndpointError ? err : new TokenEndpointError(this.lastError);
      },
    );
    this.inflight = pending;
    return pending;
  }
}

function ignore(): void { /* a background refresh's failure is kept in lastError; the valid token stays */ }
