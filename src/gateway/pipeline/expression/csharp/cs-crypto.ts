/**
 * The hash types of System.Security.Cryptography that APIM's expressions allow and real policies
 * use (PKCE code challenges, Azure Storage and Service Bus signatures, self-signed JWTs):
 * `SHA256.Create()` (and SHA1, SHA384, SHA512, MD5, the *Managed classes), `new HMACSHA256(key)`
 * (and HMACSHA1, HMACSHA384, HMACSHA512, HMACMD5), `ComputeHash(byte[])` → byte[], `Key`.
 * Node's crypto computes them; a key or input that is not a byte[] is .NET's ArgumentException.
 *
 * Also APIM's byte[] extension methods `input.Encrypt(alg, key, iv)` / `input.Decrypt(alg, key,
 * iv)`, alg naming a symmetric algorithm as SymmetricAlgorithm.Create does ("Aes", "Rijndael",
 * "TripleDES"...) or being one (`Aes.Create()`, `new AesManaged { Key = k, IV = iv }`;
 * `input.Encrypt(aes)` uses its Key and IV), in .NET's defaults: CBC mode, PKCS7 padding (Mode
 * and Padding are outside the subset).
 */
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { declareMembers } from './cs-names.js';
import { argumentError, CsRuntimeError } from './cs-error.js';
import { NO_MEMBER } from './cs-view.js';

declareMembers(['ComputeHash', 'Key', 'Dispose', 'Clear', 'Encrypt', 'Decrypt', 'IV', 'BlockSize', 'KeySize']);

/** .NET type name → Node's algorithm. */
const HASHES: Record<string, string> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const HMACS: Record<string, string> = { HMACMD5: 'md5', HMACSHA1: 'sha1', HMACSHA256: 'sha256', HMACSHA384: 'sha384', HMACSHA512: 'sha512' };

/** Type names the parser knows (each its own alias), and which of them `new` may build. */
export const CRYPTO_TYPES = [...Object.keys(HASHES), ...Object.keys(HMACS), 'SHA1Managed', 'SHA256Managed', 'SHA384Managed', 'SHA512Managed'];

export class CsHash {
  readonly csType: string;
  constructor(readonly type: string, readonly alg: string, public key: Uint8Array | null) {
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
export function cryptoStatics(): Record<string, () => CsHash | CsSymmetric> {
  const out: Record<string, () => CsHash | CsSymmetric> = {};
  for (const [type, alg] of Object.entries(HASHES)) out[`${type}.Create`] = () => new CsHash(type, alg, null);
  for (const type of ['Aes', 'TripleDES', 'Rijndael']) out[`${type}.Create`] = () => newSymmetric(type);
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

/** SymmetricAlgorithm.Create's names → the algorithm family (the key size picks the Node cipher). */
const SYMMETRIC: Record<string, 'aes' | '3des'> = {
  aes: 'aes', 'system.security.cryptography.aes': 'aes', aesmanaged: 'aes', 'system.security.cryptography.aesmanaged': 'aes',
  aescryptoserviceprovider: 'aes', 'system.security.cryptography.aescryptoserviceprovider': 'aes',
  rijndael: 'aes', 'system.security.cryptography.rijndael': 'aes', rijndaelmanaged: 'aes', 'system.security.cryptography.rijndaelmanaged': 'aes',
  tripledes: '3des', '3des': '3des', 'triple des': '3des', 'system.security.cryptography.tripledes': '3des',
  tripledescryptoserviceprovider: '3des', 'system.security.cryptography.tripledescryptoserviceprovider': '3des',
};

const cryptoError = (detail: string) => new CsRuntimeError('CryptographicException', detail);

/** Largest input Encrypt/Decrypt take (the body bound of an expression's strings). */
const MAX_CRYPT_INPUT = 1 << 20;

/** `input.Encrypt(alg, key, iv)` and `input.Decrypt(alg, key, iv)` on a byte[]; NO_MEMBER for any other call. */
export function symmetricMethod(input: Uint8Array, name: string, args: unknown[]): unknown {
  if (name !== 'Encrypt' && name !== 'Decrypt') return NO_MEMBER;
  return encryptOrDecrypt(input, name, args);
}

function encryptOrDecrypt(input: Uint8Array, name: 'Encrypt' | 'Decrypt', args: unknown[]): Uint8Array {
  const [alg, rawKey, rawIv] = args;
  // Encrypt(alg) uses the algorithm object's Key and IV; Encrypt(alg, key, iv) the ones given.
  if (alg instanceof CsSymmetric && args.length === 1) return crypt(name, input, alg.family, alg.key, alg.iv);
  if (args.length !== 3) throw argumentError(`${name} takes (alg, key, iv) or (SymmetricAlgorithm).`);
  let family: 'aes' | '3des' | undefined;
  if (alg instanceof CsSymmetric) family = alg.family;
  else if (typeof alg === 'string') family = SYMMETRIC[alg.toLowerCase()];
  else throw argumentError(`${name}(alg, key, iv): alg must be a symmetric algorithm's name ("Aes", "TripleDES") or object (Aes.Create()).`);
  if (family === undefined) throw cryptoError(`Unknown or unsupported symmetric algorithm "${String(alg)}" (Aes, Rijndael and TripleDES are supported).`);
  return crypt(name, input, family, bytes(rawKey, 'key'), bytes(rawIv, 'iv'));
}

function crypt(name: 'Encrypt' | 'Decrypt', input: Uint8Array, family: 'aes' | '3des', key: Uint8Array, iv: Uint8Array): Uint8Array {
  let cipher: string;
  if (family === 'aes') {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw cryptoError('Specified key is not a valid size for this algorithm.');
    cipher = `aes-${key.length * 8}-cbc`;
  } else {
    if (key.length !== 16 && key.length !== 24) throw cryptoError('Specified key is not a valid size for this algorithm.');
    cipher = key.length === 16 ? 'des-ede-cbc' : 'des-ede3-cbc';
  }
  const block = family === 'aes' ? 16 : 8;
  if (iv.length !== block) throw cryptoError('Specified initialization vector (IV) does not match the block size for this algorithm.');
  if (input.length > MAX_CRYPT_INPUT) throw argumentError(`${name} takes at most ${MAX_CRYPT_INPUT} bytes.`);
  if (name === 'Encrypt') {
    const c = createCipheriv(cipher, key, iv);
    return new Uint8Array(Buffer.concat([c.update(input), c.final()]));
  }
  if (input.length % block !== 0) throw cryptoError('The input data is not a complete block.');
  const d = createDecipheriv(cipher, key, iv);
  try {
    return new Uint8Array(Buffer.concat([d.update(input), d.final()]));
  } catch {
    throw cryptoError('Padding is invalid and cannot be removed.');
  }
}

export function isSettable(type: string, prop: string): boolean {
  return Object.hasOwn(SETTABLE, type) && SETTABLE[type].includes(prop);
}

export function settableHint(type: string): string {
  return Object.hasOwn(SETTABLE, type) ? ` (settable: ${SETTABLE[type].join(', ')})` : ` (no property of ${type} is settable)`;
}

/** `Key = bytes` in an HMAC's initializer: .NET's setter copies the key; null is ArgumentNullException. */
export function setCryptoProp(h: CsHash, name: string, value: unknown): void {
  if (name === 'Key' && h.key !== null) {
    if (value === null || value === undefined) throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'value')");
    h.key = Uint8Array.from(bytes(value, 'Key'));
    return;
  }
  throw argumentError(`${h.type}.${name} cannot be set.`);
}

/**
 * A SymmetricAlgorithm object: `Aes.Create()`, `new AesManaged()`, `TripleDES.Create()`... with
 * .NET's defaults (a random key, 256 bits for AES and 192 for TripleDES, a random IV; CBC,
 * PKCS7). Key and IV are read, and set by assignment or an object initializer; .NET checks a
 * Key's size when set (CryptographicException), the IV's when used.
 */
export class CsSymmetric {
  readonly csType: string;
  constructor(readonly type: string, readonly family: 'aes' | '3des', public key: Uint8Array, public iv: Uint8Array) {
    this.csType = type;
  }
}

/** Type names that make a CsSymmetric, and the family. */
export const SYMMETRIC_TYPES: Record<string, 'aes' | '3des'> = {
  Aes: 'aes', AesManaged: 'aes', AesCryptoServiceProvider: 'aes', Rijndael: 'aes', RijndaelManaged: 'aes', TripleDES: '3des', TripleDESCryptoServiceProvider: '3des',
};

export function newSymmetric(type: string): CsSymmetric {
  const family = SYMMETRIC_TYPES[type];
  return new CsSymmetric(type, family, new Uint8Array(randomBytes(family === 'aes' ? 32 : 24)), new Uint8Array(randomBytes(family === 'aes' ? 16 : 8)));
}

export function setSymmetricProp(a: CsSymmetric, name: string, value: unknown): void {
  if (value === null || value === undefined) throw new CsRuntimeError('ArgumentNullException', "Value cannot be null. (Parameter 'value')");
  const v = Uint8Array.from(bytes(value, name));
  if (name === 'Key') {
    const ok = a.family === 'aes' ? [16, 24, 32].includes(v.length) : [16, 24].includes(v.length);
    if (!ok) throw cryptoError('Specified key is not a valid size for this algorithm.');
    a.key = v;
  } else if (name === 'IV') a.iv = v;
  else throw argumentError(`${a.type}.${name} cannot be set.`);
}

export function symmetricProp(a: CsSymmetric, name: string): unknown {
  return name === 'Key' ? a.key : name === 'IV' ? a.iv : name === 'BlockSize' ? (a.family === 'aes' ? 128 : 64) : name === 'KeySize' ? a.key.length * 8 : NO_MEMBER;
}

/** Properties an object initializer may set (`new HMACSHA256 { Key = bytes }`), by type. */
const SETTABLE: Record<string, readonly string[]> = {
  ...Object.fromEntries(Object.keys(HMACS).map((t) => [t, ['Key']])),
  ...Object.fromEntries(Object.keys(SYMMETRIC_TYPES).map((t) => [t, ['Key', 'IV']])),
};


/** `obj.Key = bytes` / `obj.IV = bytes` (assignment or initializer) on a crypto object; false when `obj` is none. */
export function setCryptoObjectProp(obj: unknown, name: string, value: unknown): boolean {
  if (obj instanceof CsSymmetric) { setSymmetricProp(obj, name, value); return true; }
  if (obj instanceof CsHash) { setCryptoProp(obj, name, value); return true; }
  return false;
}
