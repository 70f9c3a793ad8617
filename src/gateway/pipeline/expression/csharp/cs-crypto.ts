/**
 * The hash types of System.Security.Cryptography that APIM's expressions allow and real policies
 * use (PKCE code challenges, Azure Storage and Service Bus signatures, self-signed JWTs):
 * `SHA256.Create()` (and SHA1, SHA384, SHA512, MD5, the *Managed classes), `new HMACSHA256(key)`
 * (and HMACSHA1, HMACSHA384, HMACSHA512, HMACMD5), `ComputeHash(byte[])` → byte[], `Key`.
 * Node's crypto computes them; a key or input that is not a byte[] is .NET's ArgumentException.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { declareMembers } from './cs-names.js';
import { argumentError } from './cs-error.js';
import { NO_MEMBER } from './cs-view.js';

declareMembers(['ComputeHash', 'Key', 'Dispose', 'Clear']);

/** .NET type name → Node's algorithm. */
const HASHES: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const HMACS: Record<string, string> = { HMACMD5: 'md5', HMACSHA1: 'sha1', HMACSHA256: 'sha256', HMACSHA384: 'sha384', HMACSHA512: 'sha512' };

/** Type names the parser knows (each its own alias), and which of them `new` may build. */
export const CRYPTO_TYPES = [...Object.keys(HASHES), ...Object.keys(HMACS), 'SHA1Managed', 'SHA256Managed', 'SHA384Managed', 'SHA512Managed'];

export class CsHash {
  readonly csType: string;
  constructor(readonly type: string, readonly alg: string, readonly key: Uint8Array | null) {
    this.csType = type;
  }
}

function bytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw argumentError(`${what} must be a byte[].`);
}

/** `new T(...)` for a crypto type; null when T is not one. */
export function newCrypto(type: string, args: unknown[]): CsHash | null {
  const managed = /^(SHA\d+)Managed$/.exec(type);
  if (managed !== null) return new CsHash(type, HASHES[managed[1]], null);
  const hmac = HMACS[type];
  if (hmac === undefined) return null;
  // .NET's parameterless HMAC constructor draws a random 64-byte key (128 for SHA-384/512).
  const key = args.length === 0 ? new Uint8Array(randomBytes(hmac === 'sha384' || hmac === 'sha512' ? 128 : 64)) : bytes(args[0], 'key');
  return new CsHash(type, hmac, key);
}

/** `SHA256.Create()` and the like. */
export function cryptoStatics(): Record<string, () => CsHash> {
  const out: Record<string, () => CsHash> = {};
  for (const [type, alg] of Object.entries(HASHES)) out[`${type}.Create`] = () => new CsHash(type, alg, null);
  return out;
}

export function cryptoMethod(h: CsHash, name: string, args: unknown[]): unknown {
  switch (name) {
    case 'ComputeHash': {
      const input = bytes(args[0], 'buffer');
      const digest = h.key === null ? createHash(h.alg).update(input).digest() : createHmac(h.alg, h.key).update(input).digest();
      return new Uint8Array(digest);
    }
    case 'Dispose': case 'Clear': return null;
  }
  return NO_MEMBER;
}

export function cryptoProp(h: CsHash, name: string): unknown {
  return name === 'Key' && h.key !== null ? h.key : NO_MEMBER;
}
