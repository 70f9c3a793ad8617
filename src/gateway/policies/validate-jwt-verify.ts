/**
 * validate-jwt's per-request check, with jose doing the JWS and claim work: find the token,
 * pick the keys it may be signed with (by alg and kid, from inline keys and OpenID providers),
 * verify signature, exp/nbf (with clock skew), iss and aud, then the required claims.
 *
 * The result carries a reason code (jose's `ERR_*` codes, or ours for what jose does not check),
 * never shown to clients (they get the configured message) but asserted by tests.
 */
import type { JWTPayload, ProtectedHeaderParameters } from 'jose';
import { jose } from '../../shared/lazy-jose.js';
import type { ErrorCode } from '../../shared/errors.js';
import { JWT_ALGORITHMS, hasKid, selectKeys, type JwtKey, type JwtKeyData } from './validate-jwt-keys.js';
import type { OpenIdKeySource } from './validate-jwt-openid.js';
import { decryptToken, type DecryptionKey, type DecryptionKeyData } from './validate-jwt-decrypt.js';
import { queryValue } from '../../shared/query-string.js';

export interface RequiredClaim {
  name: string;
  match: 'all' | 'any';
  /** Splits a string claim into values ("a,b"); null keeps it whole. */
  separator: string | null;
  /** Empty: the claim only has to be present. */
  values: string[];
}

export interface ValidateJwtConfig {
  /** Lowercase header to read the token from, or null when it comes from the query. */
  headerName: string | null;
  /** Required scheme before the token in the header ("Bearer"), or null for the bare value. */
  scheme: string | null;
  queryName: string | null;
  status: number;
  message: string;
  requireExp: boolean;
  clockSkewSec: number;
  audiences: string[];
  issuers: string[];
  claims: RequiredClaim[];
  keys: JwtKeyData[];
  openIdUrls: string[];
  refreshSec: number;
  /** output-token-variable-name: where the validated token goes (as AsJwt() models it), or null. */
  outputVariable: string | null;
  /** <decryption-keys>: symmetric keys for encrypted tokens (absent in configs compiled before them). */
  decryptionKeys?: DecryptionKeyData[];
}

export interface Verifier {
  config: ValidateJwtConfig;
  inline: JwtKey[];
  sources: OpenIdKeySource[];
  /** Keys for encrypted tokens; empty: a five-part token is refused. */
  decryption?: DecryptionKey[];
}

export type JwtCheck =
  | { ok: true; claims: JWTPayload; signed: string }
  | { ok: false; code: ErrorCode; reason: string };

const missing = (reason: string): JwtCheck => ({ ok: false, code: 'OUTPOST_ERR_JWT_MISSING', reason });
const invalid = (reason: string): JwtCheck => ({ ok: false, code: 'OUTPOST_ERR_JWT_INVALID', reason });

/** The token as the request carries it, or a `missing` result. */
export function findToken(config: ValidateJwtConfig, header: (name: string) => string | null, query: string): string | JwtCheck {
  let token: string | null;
  if (config.headerName !== null) {
    const value = header(config.headerName);
    if (value === null || value.trim() === '') return missing('ERR_NO_TOKEN');
    if (config.scheme === null) token = value.trim();
    else {
      const space = value.indexOf(' ');
      if (space < 0 || value.slice(0, space).toLowerCase() !== config.scheme.toLowerCase()) return invalid('ERR_WRONG_SCHEME');
      token = value.slice(space + 1).trim();
    }
  } else {
    token = queryValue(query, config.queryName!);
  }
  return token === null || token === '' ? missing('ERR_NO_TOKEN') : token;
}

export async function checkToken(token: string, v: Verifier, nowMs: number): Promise<JwtCheck> {
  const parts = token.split('.').length;
  // A five-part token is a compact JWE: with <decryption-keys>, the signed token inside is checked.
  if (parts === 5 && v.decryption !== undefined && v.decryption.length > 0) {
    const inner = await decryptToken(token, v.decryption);
    if (inner === null) return invalid('ERR_JWE_DECRYPTION_FAILED');
    // require-signed-tokens: what was encrypted must be a signed token (never a bare claim set).
    if (inner.split('.').length !== 3) return invalid('ERR_JWT_INVALID');
    return checkSigned(inner, v, nowMs);
  }
  // Compact JWS only: three parts (a five-part JWE needs <decryption-keys>).
  if (parts !== 3) return invalid('ERR_JWT_INVALID');
  return checkSigned(token, v, nowMs);
}

async function checkSigned(token: string, v: Verifier, nowMs: number): Promise<JwtCheck> {
  const { decodeProtectedHeader, jwtVerify } = await jose();
  let header: ProtectedHeaderParameters;
  try { header = decodeProtectedHeader(token); } catch { return invalid('ERR_JWT_INVALID'); }
  const alg = header.alg;
  // "none", RS512, PS256, …: refused before any key is looked at.
  if (typeof alg !== 'string' || !(JWT_ALGORITHMS as readonly string[]).includes(alg)) return invalid('ERR_JOSE_ALG_NOT_ALLOWED');
  const kid = typeof header.kid === 'string' ? header.kid : null;

  let { candidates, kidKnown } = await gather(v, alg, kid, false);
  // A kid no provider knows: they may have rotated keys. Refetch (rate-limited) and look again.
  if (kid !== null && !kidKnown && v.sources.length > 0) ({ candidates } = await gather(v, alg, kid, true));
  if (candidates.length === 0) return invalid('ERR_JWKS_NO_MATCHING_KEY');

  const c = v.config;
  for (const k of candidates) {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, k.key, {
        algorithms: [k.alg],
        issuer: c.issuers.length > 0 ? c.issuers : undefined,
        audience: c.audiences.length > 0 ? c.audiences : undefined,
        clockTolerance: c.clockSkewSec,
        currentDate: new Date(nowMs),
        requiredClaims: c.requireExp ? ['exp'] : [],
      }));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // Wrong key among several candidates: try the next. Any other problem is the token's.
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
      return invalid(typeof code === 'string' ? code : 'ERR_JWT_INVALID');
    }
    return requiredClaimsMet(payload, c.claims) ? { ok: true, claims: payload, signed: token } : invalid('ERR_REQUIRED_CLAIM');
  }
  return invalid('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
}

async function gather(v: Verifier, alg: string, kid: string | null, refresh: boolean): Promise<{ candidates: JwtKey[]; kidKnown: boolean }> {
  const candidates: JwtKey[] = [];
  selectKeys(v.inline, alg, kid, candidates);
  let kidKnown = kid !== null && hasKid(v.inline, kid);
  for (const source of v.sources) {
    const keys = refresh ? await source.refreshForUnknownKid() : source.current() ?? await source.ready();
    if (keys === null) continue;
    selectKeys(keys, alg, kid, candidates);
    if (kid !== null && hasKid(keys, kid)) kidKnown = true;
  }
  return { candidates, kidKnown };
}

function requiredClaimsMet(payload: JWTPayload, claims: readonly RequiredClaim[]): boolean {
  for (const rule of claims) {
    const raw = payload[rule.name];
    if (raw === undefined || raw === null) return false;
    if (rule.values.length === 0) continue;
    const have = claimValues(raw, rule.separator);
    const ok = rule.match === 'all' ? rule.values.every((x) => have.includes(x)) : rule.values.some((x) => have.includes(x));
    if (!ok) return false;
  }
  return true;
}

function claimValues(raw: unknown, separator: string | null): string[] {
  if (Array.isArray(raw)) return raw.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  if (typeof raw === 'string') return separator === null ? [raw] : raw.split(separator).map((s) => s.trim());
  return [typeof raw === 'object' ? JSON.stringify(raw) : String(raw)];
}
