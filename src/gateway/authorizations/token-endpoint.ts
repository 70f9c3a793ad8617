/**
 * One call to an OAuth 2.0 token endpoint (RFC 6749 4.4 client credentials, 6 refresh): a form
 * POST, the client authenticated with HTTP Basic (ids and secrets form-urlencoded first, 2.3.1)
 * or in the body. Bounded: the whole answer within `timeoutMs`, at most MAX_ANSWER_BYTES, an
 * access token of at most MAX_SECRET_LENGTH characters. Off the request path's hot part: it runs
 * once per token lifetime per worker, so undici (the project's client for such calls) is fine.
 */
import { Buffer } from 'node:buffer';
import { undiciRequest as request } from '../../shared/lazy-undici.js';
import type { CompiledOAuth2 } from './compile-authorizations.js';
import { MAX_SECRET_LENGTH } from '../../shared/authorization-schema.js';

const MAX_ANSWER_BYTES = 64 * 1024;

export interface TokenAnswer {
  accessToken: string;
  /** Milliseconds the token lives (expires_in, or the configured default). */
  lifetimeMs: number;
  /** A new refresh token, when the server rotated it; null otherwise. */
  refreshToken: string | null;
  /** The answer's fields but access_token and refresh_token: Authorization.Claims. */
  claims: ReadonlyMap<string, unknown>;
}

/** Why a token could not be had; the message names the endpoint's status or problem, never a secret. */
export class TokenEndpointError extends Error {}

export async function requestToken(o: CompiledOAuth2, refreshToken: string | null): Promise<TokenAnswer> {
  const form = new URLSearchParams();
  form.set('grant_type', o.grantType);
  if (o.grantType === 'refresh_token' && refreshToken !== null) form.set('refresh_token', refreshToken);
  if (o.scope !== null) form.set('scope', o.scope);
  for (const [k, v] of Object.entries(o.parameters)) form.set(k, v);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (o.clientAuthentication === 'basic') {
    const user = encodeURIComponent(o.clientId);
    const pass = encodeURIComponent(o.clientSecret);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  } else {
    form.set('client_id', o.clientId);
    form.set('client_secret', o.clientSecret);
  }
  const where = new URL(o.tokenUrl).origin;
  let res;
  try {
    res = await request(o.tokenUrl, {
      method: 'POST', headers, body: form.toString(),
      signal: AbortSignal.timeout(o.timeoutMs), headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs,
    });
  } catch (err) {
    throw new TokenEndpointError(`token endpoint ${where} could not be reached: ${(err as Error).name === 'TimeoutError' ? `no answer within ${o.timeoutMs} ms` : (err as Error).message}`);
  }
  const text = await readBounded(res.body as AsyncIterable<Buffer> & { destroy(): void }, where);
  if (res.statusCode !== 200) {
    // RFC 6749 5.2: the error code is safe to show (never the description: servers echo input there).
    const code = errorCode(text);
    throw new TokenEndpointError(`token endpoint ${where} answered HTTP ${res.statusCode}${code === null ? '' : ` (${code})`}`);
  }
  return parseAnswer(text, o.defaultLifetimeMs, where);
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) { body.destroy(); throw new TokenEndpointError(`token endpoint ${where} answered more than ${MAX_ANSWER_BYTES} bytes`); }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof TokenEndpointError) throw err;
    throw new TokenEndpointError(`token endpoint ${where}: the answer was cut: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function errorCode(text: string): string | null {
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    return typeof e === 'string' && /^[\x20-\x7e]{1,64}$/.test(e) ? e : null;
  } catch {
    return null;
  }
}

/** RFC 6749 5.1: access_token and token_type required; expires_in recommended (a number, some servers send a string). */
export function parseAnswer(text: string, defaultLifetimeMs: number, where: string): TokenAnswer {
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new TokenEndpointError(`token endpoint ${where} answered something that is not JSON`); }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TokenEndpointError(`token endpoint ${where} answered JSON that is not an object`);
  const fields = json as Record<string, unknown>;
  const token = fields.access_token;
  if (typeof token !== 'string' || token === '') throw new TokenEndpointError(`token endpoint ${where} answered no access_token`);
  if (token.length > MAX_SECRET_LENGTH || !/^[\x21-\x7e]+$/.test(token)) throw new TokenEndpointError(`token endpoint ${where} answered an access_token that is too long or not printable ASCII`);
  const expiresIn = typeof fields.expires_in === 'string' ? Number(fields.expires_in) : fields.expires_in;
  const lifetimeMs = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(expiresIn, 366 * 86_400) * 1000 : defaultLifetimeMs;
  const refresh = fields.refresh_token;
  // A Map: a field named "__proto__" or "constructor" is a claim like any other.
  const claims = new Map<string, unknown>();
  for (const key of Object.keys(fields)) if (key !== 'access_token' && key !== 'refresh_token') claims.set(key, fields[key]);
  return { accessToken: token, lifetimeMs, refreshToken: typeof refresh === 'string' && refresh !== '' && refresh.length <= MAX_SECRET_LENGTH ? refresh : null, claims };
}
