/**
 * A generation's authorizations by (providerId, authorizationId), for get-authorization-context.
 * Token sources live in the worker, keyed by the authorization's fingerprint, so a reload that
 * keeps an authorization unchanged keeps its cached token (no refetch); sources of authorizations
 * no longer configured are dropped when the next generation is built (bounded by the config's
 * 100 authorizations).
 */
import type { CompiledAuthorization } from './compile-authorizations.js';
import { TokenSource } from './token-source.js';

const workerSources = new Map<string, TokenSource>();

export class AuthorizationDirectory {
  private readonly byPair = new Map<string, TokenSource>();

  constructor(list: readonly CompiledAuthorization[], now: () => number) {
    const live = new Set<string>();
    for (const a of list) {
      let source = workerSources.get(a.fingerprint);
      if (source === undefined) { source = new TokenSource(a, now); workerSources.set(a.fingerprint, source); }
      live.add(a.fingerprint);
      this.byPair.set(AuthorizationDirectory.key(a.providerId, a.authorizationId), source);
    }
    for (const fingerprint of workerSources.keys()) if (!live.has(fingerprint)) workerSources.delete(fingerprint);
  }

  static key(providerId: string, authorizationId: string): string {
    return `${providerId}\u0000${authorizationId}`;
  }

  find(providerId: string, authorizationId: string): TokenSource | null {
    return this.byPair.get(AuthorizationDirectory.key(providerId, authorizationId)) ?? null;
  }
}
