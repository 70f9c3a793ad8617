/**
 * validate-jwt's signing keys. Every way of giving a key (APIM's base64 symmetric <key>, a PEM
 * public key or certificate, a JWK or JWKS, `<key n e>`, a JWKS file, an OpenID provider's
 * jwks_uri) is normalised to the same plain data, `JwtKeyData` (a public or `oct` JWK plus the one
 * algorithm it may verify), so it travels in the compiled table (msgpack) and is imported into a
 * KeyObject once per generation, never per request.
 *
 * One algorithm per key, decided by the key itself: oct → HS256, RSA (≥ 2048 bits) → RS256,
 * EC P-256 → ES256. A token whose header names any other algorithm (RS512, PS256, "none", …)
 * finds no key, so it is rejected; a key can never be used with an algorithm it was not meant for
 * (the classic RS256 public key used as an HS256 secret cannot happen).
 */
import { Buffer } from 'node:buffer';
import { createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto';

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** A key as it travels in the table: plain JSON. */
export interface JwtKeyData {
  kid: string | null;
  alg: JwtAlgorithm;
  jwk: Record<string, string>;
}

/** A key ready to verify with, built in the worker. */
export interface JwtKey {
  kid: string | null;
  alg: JwtAlgorithm;
  key: KeyObject;
}

/** Keys per source (inline list, JWKS file, each OpenID provider): a provider cannot grow it. */
export const MAX_KEYS = 64;
/** Signature checks per token: a token without `kid` is tried against at most this many keys. */
export const MAX_TRIES = 8;
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash (256 bits). */
const MIN_HMAC_BYTES = 32;

/** A key that cannot be used; the message says why (the caller adds where). */
export class KeyProblem extends Error {}

/** A `<key>` text as APIM and Outpost accept it: PEM, JWK/JWKS JSON, or a base64 HMAC secret. */
export function keysFromText(text: string, kid: string | null): JwtKeyData[] {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return [fromPem(t, kid)];
  if (t.startsWith('{')) {
    let json: unknown;
    try { json = JSON.parse(t); } catch { throw new KeyProblem('looks like JSON but does not parse as a JWK or JWKS'); }
    return keysFromJwkJson(json, true);
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) throw new KeyProblem('is not a PEM key, a JWK or a base64-encoded secret');
  return [fromSecret(Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64'), kid)];
}

/**
 * A JWK or a JWKS (`{ "keys": [...] }`). `strict`: an unusable key is an error (config written by
 * hand); otherwise it is skipped (an OpenID provider's set often holds keys for other uses).
 */
export function keysFromJwkJson(json: unknown, strict: boolean): JwtKeyData[] {
  const list = isObject(json) && Array.isArray(json.keys) ? json.keys as unknown[] : [json];
  const out: JwtKeyData[] = [];
  for (const [i, jwk] of list.entries()) {
    if (!isObject(jwk)) { if (strict) throw new KeyProblem(`key ${i} is not a JSON object`); continue; }
    // Encryption keys are not signing keys: skipped even in strict mode (they are not errors).
    if (jwk.use === 'enc') continue;
    try {
      out.push(fromJwk(jwk));
    } catch (err) {
      if (strict) throw new KeyProblem(`key ${typeof jwk.kid === 'string' ? `"${jwk.kid}"` : i}: ${(err as Error).message}`);
    }
    if (out.length > MAX_KEYS) {
      if (strict) throw new KeyProblem(`more than ${MAX_KEYS} keys`);
      break;
    }
  }
  return out.slice(0, MAX_KEYS);
}

/** APIM's `<key n="…" e="…" />`: an RSA public key from its base64url modulus and exponent. */
export function keyFromModulus(n: string, e: string, kid: string | null): JwtKeyData {
  return fromJwk({ kty: 'RSA', n, e, ...(kid === null ? {} : { kid }) });
}

function fromJwk(jwk: Record<string, unknown>): JwtKeyData {
  const kid = typeof jwk.kid === 'string' ? jwk.kid : null;
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new KeyProblem('an oct JWK needs "k"');
    return checkDeclaredAlg(fromSecret(Buffer.from(jwk.k, 'base64url'), kid), jwk.alg);
  }
  if ('d' in jwk) throw new KeyProblem('is a private key: give only the public part');
  let key: KeyObject;
  try { key = createPublicKey({ key: jwk as never, format: 'jwk' }); } catch (err) { throw new KeyProblem(`is not a valid JWK (${(err as Error).message})`); }
  return checkDeclaredAlg(fromPublicKey(key, kid), jwk.alg);
}

function fromPem(pem: string, kid: string | null): JwtKeyData {
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new KeyProblem('is a private key: give the public key or the certificate');
  try {
    const key = pem.startsWith('-----BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
    return fromPublicKey(key, kid);
  } catch (err) {
    if (err instanceof KeyProblem) throw err;
    throw new KeyProblem(`is not a valid PEM public key or certificate (${(err as Error).message})`);
  }
}

function fromSecret(secret: Buffer, kid: string | null): JwtKeyData {
  if (secret.length < MIN_HMAC_BYTES) throw new KeyProblem(`an HS256 secret must be at least ${MIN_HMAC_BYTES} bytes, got ${secret.length}`);
  return { kid, alg: 'HS256', jwk: { kty: 'oct', k: secret.toString('base64url') } };
}

function fromPublicKey(key: KeyObject, kid: string | null): JwtKeyData {
  const details = key.asymmetricKeyDetails ?? {};
  let alg: JwtAlgorithm;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw new KeyProblem(`an RSA key must have at least 2048 bits, got ${details.modulusLength}`);
    alg = 'RS256';
  } else if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    alg = 'ES256';
  } else {
    throw new KeyProblem(`unsupported key type ${key.asymmetricKeyType}${details.namedCurve ? ` (${details.namedCurve})` : ''}: use RSA (RS256), EC P-256 (ES256) or an HS256 secret`);
  }
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  return { kid, alg, jwk };
}

function checkDeclaredAlg(data: JwtKeyData, declared: unknown): JwtKeyData {
  if (declared !== undefined && declared !== data.alg) throw new KeyProblem(`declares alg ${String(declared)}, but only ${data.alg} fits this key (supported: ${JWT_ALGORITHMS.join(', ')})`);
  return data;
}

/** Imports keys into KeyObjects (once per generation, or once per OpenID fetch). */
export function importKeys(list: readonly JwtKeyData[]): JwtKey[] {
  return list.map((d) => ({
    kid: d.kid,
    alg: d.alg,
    key: d.jwk.kty === 'oct' ? createSecretKey(Buffer.from(d.jwk.k, 'base64url')) : createPublicKey({ key: d.jwk as never, format: 'jwk' }),
  }));
}

/**
 * The keys a token may have been signed with, at most MAX_TRIES: same algorithm, and the token's
 * `kid` when it has one (keys without a kid, like APIM's base64 secrets, fit any kid).
 */
export function selectKeys(keys: readonly JwtKey[], alg: string, kid: string | null, into: JwtKey[]): void {
  // Exact kid matches first, then keys without a kid.
  for (const k of keys) if (into.length < MAX_TRIES && k.alg === alg && (kid === null || k.kid === kid)) into.push(k);
  if (kid !== null) for (const k of keys) if (into.length < MAX_TRIES && k.alg === alg && k.kid === null) into.push(k);
}

/** True when some key carries exactly this kid (so a miss means the provider may have rotated). */
export function hasKid(keys: readonly JwtKey[], kid: string): boolean {
  return keys.some((k) => k.kid === kid);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
