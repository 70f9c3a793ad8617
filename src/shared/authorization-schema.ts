/**
 * Authorizations: what APIM's credential manager holds (a credential provider and its
 * connections), for get-authorization-context. Outpost has no credential manager service, so the
 * config declares each (providerId, authorizationId) pair and where its access token comes from:
 *
 * - `accessToken` / `accessTokenEnv`: a static token (a named value `{{name}}` may hold it, or an
 *   environment variable of the gateway process);
 * - `oauth2`: an OAuth 2.0 token endpoint, with the client-credentials grant or the refresh-token
 *   grant (RFC 6749 4.4 and 6). Each worker fetches and caches its token (src/gateway/authorizations/).
 *
 * Secrets (`accessToken`, `clientSecret`, `refreshToken`) may name named values; their `…Env`
 * twins name an environment variable instead. Every problem names its field path.
 */
import { z } from 'zod';

const ID = /^[A-Za-z0-9._~-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** An access token or secret longer than this is not one (and would not fit a header). */
export const MAX_SECRET_LENGTH = 16 * 1024;

const secret = z.string().min(1).max(MAX_SECRET_LENGTH);
const envName = z.string().regex(ENV_NAME, 'must be an environment variable name (letters, digits, _)');

const oauth2Schema = z.object({
  /** The authorization server's token endpoint (http is allowed for loopback and tests; use https). */
  tokenUrl: z.string().max(2048).refine(isHttpUrl, 'must be an absolute http:// or https:// URL without credentials or fragment'),
  grantType: z.enum(['client_credentials', 'refresh_token']).default('client_credentials'),
  clientId: z.string().min(1).max(1024),
  clientSecret: secret.optional(),
  clientSecretEnv: envName.optional(),
  /** refresh_token grant only: the long-lived refresh token (a newer one from the server replaces it in memory). */
  refreshToken: secret.optional(),
  refreshTokenEnv: envName.optional(),
  /** Space-separated scopes sent with the request (absent: none sent). */
  scope: z.string().min(1).max(4096).optional(),
  /** Extra form parameters some servers want (audience, resource), sent as given. */
  parameters: z.record(z.string().min(1).max(128), z.string().max(4096)).refine((p) => Object.keys(p).length <= 16, 'at most 16 parameters').default({}),
  /** How the client authenticates (RFC 6749 2.3.1): HTTP Basic (every server must accept it) or in the form body. */
  clientAuthentication: z.enum(['basic', 'body']).default('basic'),
  /** Longest wait for the token endpoint's whole answer. */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** A token is replaced this long before it expires (at most half its lifetime). */
  refreshMarginSeconds: z.number().int().min(0).max(3600).default(60),
  /** Lifetime assumed when the answer has no expires_in. */
  defaultExpiresInSeconds: z.number().int().min(1).max(86_400).default(3600),
}).strict().superRefine((o, ctx) => {
  exactlyOne(o.clientSecret, o.clientSecretEnv, 'clientSecret', 'clientSecretEnv', ctx, []);
  if (o.grantType === 'refresh_token') exactlyOne(o.refreshToken, o.refreshTokenEnv, 'refreshToken', 'refreshTokenEnv', ctx, []);
  else for (const field of ['refreshToken', 'refreshTokenEnv'] as const) {
    if (o[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'only with grantType "refresh_token"' });
  }
  for (const name of Object.keys(o.parameters)) {
    if (RESERVED_PARAMETERS.has(name)) ctx.addIssue({ code: 'custom', path: ['parameters', name], message: 'is set by Outpost from the other fields' });
  }
});

const RESERVED_PARAMETERS = new Set(['grant_type', 'client_id', 'client_secret', 'refresh_token', 'scope']);

export const authorizationSchema = z.object({
  /** APIM's credential provider id (get-authorization-context provider-id). */
  providerId: z.string().min(1).max(256).regex(ID, 'letters, digits and . _ ~ - only'),
  /** APIM's connection id (get-authorization-context authorization-id). */
  authorizationId: z.string().min(1).max(256).regex(ID, 'letters, digits and . _ ~ - only'),
  accessToken: secret.optional(),
  accessTokenEnv: envName.optional(),
  oauth2: oauth2Schema.optional(),
}).strict().superRefine((a, ctx) => {
  const given = [a.accessToken, a.accessTokenEnv, a.oauth2].filter((x) => x !== undefined).length;
  if (given !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of accessToken, accessTokenEnv or oauth2' });
});

export type AuthorizationConfig = z.output<typeof authorizationSchema>;

function exactlyOne(a: unknown, b: unknown, nameA: string, nameB: string, ctx: z.RefinementCtx, path: Array<string | number>): void {
  if (a === undefined && b === undefined) ctx.addIssue({ code: 'custom', path: [...path, nameA], message: `required (or ${nameB})` });
  if (a !== undefined && b !== undefined) ctx.addIssue({ code: 'custom', path: [...path, nameB], message: `give ${nameA} or ${nameB}, not both` });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '' && url.hash === '';
  } catch {
    return false;
  }
}

const REFERENCE = /\{\{([^{}]*)\}\}/g;

/**
 * Pairs are unique; every `{{name}}` in a secret exists. Environment variables are checked when
 * the config is compiled (src/gateway/authorizations/compile-authorizations.ts): the schema also
 * validates configs on a control plane, which has not the gateway's environment.
 */
export function checkAuthorizationReferences(list: readonly AuthorizationConfig[], namedValues: ReadonlySet<string>, ctx: z.RefinementCtx): void {
  const pairs = new Set<string>();
  list.forEach((a, i) => {
    const pair = `${a.providerId}\u0000${a.authorizationId}`;
    if (pairs.has(pair)) ctx.addIssue({ code: 'custom', path: ['authorizations', i, 'authorizationId'], message: `duplicate authorization "${a.authorizationId}" of provider "${a.providerId}"` });
    pairs.add(pair);
    const check = (value: string | undefined, path: Array<string | number>): void => {
      if (value === undefined) return;
      for (const m of value.matchAll(REFERENCE)) {
        if (!namedValues.has(m[1])) ctx.addIssue({ code: 'custom', path: ['authorizations', i, ...path], message: `no named value "${m[1].slice(0, 100)}" (config: namedValues)` });
      }
    };
    check(a.accessToken, ['accessToken']);
    check(a.oauth2?.clientSecret, ['oauth2', 'clientSecret']);
    check(a.oauth2?.refreshToken, ['oauth2', 'refreshToken']);
  });
}
