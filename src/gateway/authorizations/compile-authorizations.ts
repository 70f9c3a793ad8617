/**
 * The config's `authorizations`, as the compiled table carries them to the workers: named values
 * filled in and `…Env` secrets read from the environment of the process that compiles (the
 * gateway's own, in its compiler thread), so a worker reads neither. A variable that is unset or
 * empty is a problem at the field's path; the message never quotes a secret.
 */
import { createHash } from 'node:crypto';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import { MAX_SECRET_LENGTH, type AuthorizationConfig } from '../../shared/authorization-schema.js';
import { substituteCredential } from '../../shared/backend-schema.js';

export interface CompiledOAuth2 {
  tokenUrl: string;
  grantType: 'client_credentials' | 'refresh_token';
  clientId: string;
  clientSecret: string;
  refreshToken: string | null;
  scope: string | null;
  parameters: Record<string, string>;
  clientAuthentication: 'basic' | 'body';
  timeoutMs: number;
  refreshMarginMs: number;
  defaultLifetimeMs: number;
}

export interface CompiledAuthorization {
  providerId: string;
  authorizationId: string;
  /** Hex SHA-256 of everything below: a worker keeps a cached token across reloads while it stays the same. */
  fingerprint: string;
  /** A static token, or null when oauth2 gives it. */
  accessToken: string | null;
  oauth2: CompiledOAuth2 | null;
}

export function compileAuthorizations(config: GatewayConfig, problems: ConfigProblem[], env: NodeJS.ProcessEnv = process.env): CompiledAuthorization[] {
  const named = new Map(config.namedValues.map((v) => [v.name, v.value]));
  const out: CompiledAuthorization[] = [];
  config.authorizations.forEach((a, i) => {
    const at = `authorizations[${i}]`;
    const secretOf = (value: string | undefined, envName: string | undefined, field: string): string | null => {
      if (value !== undefined) return substituteCredential(value, named);
      if (envName === undefined) return null;
      const v = env[envName];
      if (v === undefined || v === '') { problems.push({ path: `${at}.${field}Env`, message: `environment variable ${envName} is not set` }); return null; }
      if (v.length > MAX_SECRET_LENGTH) { problems.push({ path: `${at}.${field}Env`, message: `environment variable ${envName} is longer than ${MAX_SECRET_LENGTH} characters` }); return null; }
      return v;
    };
    const compiled = compileOne(a, secretOf);
    if (compiled !== null) out.push(compiled);
  });
  return out;
}

type SecretOf = (value: string | undefined, envName: string | undefined, field: string) => string | null;

function compileOne(a: AuthorizationConfig, secretOf: SecretOf): CompiledAuthorization | null {
  let accessToken: string | null = null;
  let oauth2: CompiledOAuth2 | null = null;
  if (a.oauth2 === undefined) {
    accessToken = secretOf(a.accessToken, a.accessTokenEnv, 'accessToken');
    if (accessToken === null) return null;
  } else {
    const o = a.oauth2;
    const clientSecret = secretOf(o.clientSecret, o.clientSecretEnv, 'oauth2.clientSecret');
    const refreshToken = o.grantType === 'refresh_token' ? secretOf(o.refreshToken, o.refreshTokenEnv, 'oauth2.refreshToken') : null;
    if (clientSecret === null || (o.grantType === 'refresh_token' && refreshToken === null)) return null;
    oauth2 = {
      tokenUrl: o.tokenUrl, grantType: o.grantType, clientId: o.clientId, clientSecret, refreshToken, scope: o.scope ?? null,
      parameters: o.parameters, clientAuthentication: o.clientAuthentication, timeoutMs: o.timeoutMs,
      refreshMarginMs: o.refreshMarginSeconds * 1000, defaultLifetimeMs: o.defaultExpiresInSeconds * 1000,
    };
  }
  const body = { providerId: a.providerId, authorizationId: a.authorizationId, accessToken, oauth2 };
  return { ...body, fingerprint: createHash('sha256').update(JSON.stringify(body)).digest('hex') };
}
