/**
 * What get-authorization-context stores in its context-variable-name, as APIM's Authorization:
 * `((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken` and
 * `.Claims`, the fields of the authorization server's token response (RFC 6749 section 5.1:
 * token_type, expires_in, scope, and whatever else the server sent) as an
 * IReadOnlyDictionary<string, object>. The refresh token is never among them: an expression has
 * no use for it, and it must not reach a header or a log by accident.
 *
 * One object per token a worker holds, shared by every request that uses that token: it is
 * immutable, and Claims hands each reader a dictionary of its own, so an expression that writes
 * into it (outside the subset in APIM, where it is read-only) cannot touch another request's view.
 */
import { NO_MEMBER, View } from './cs-view.js';
import { CsDict, toToken } from './cs-values.js';
import { declareMembers } from './cs-names.js';

declareMembers(['AccessToken', 'Claims']);

export class AuthorizationValue extends View {
  readonly csType = 'Authorization';
  constructor(readonly accessToken: string, private readonly claims: ReadonlyMap<string, unknown>) { super(); }
  get(name: string): unknown {
    switch (name) {
      case 'AccessToken': return this.accessToken;
      case 'Claims': {
        const map = new Map<unknown, unknown>();
        for (const [key, value] of this.claims) map.set(key, toToken(value));
        return new CsDict(map);
      }
    }
    return NO_MEMBER;
  }
}
