/**
 * validate-jwt's <decryption-keys>: encrypted tokens (compact JWE, five parts) whose payload is the
 * signed token, as APIM decrypts them before validating. Keys are inline symmetric keys, base64
 * as APIM writes them (`<key>base64</key>`, optional `id` matched against the JWE's kid):
 * - key wrap: A128KW, A192KW, A256KW (a 16, 24 or 32 byte key);
 * - direct: "dir" (the key is the content key: 16/24/32 bytes for A128/192/256GCM, 32/48/64 for
 *   A128/192/256CBC-HS256/384/512).
 * Every key is tried (the kid first narrows them) until one decrypts, as APIM. Bounded: at most
 * MAX_DECRYPTION_KEYS keys; a compressed payload ("zip") is refused (no decompression bomb); the
 * token itself is bounded by the request head's size.
 *
 * Not supported, a compile error naming the attribute: `<key certificate-id>` (RSA-OAEP with a
 * certificate's private key: Outpost keeps no certificate store with private keys for policies).
 */
import { Buffer } from 'node:buffer';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { jose } from '../../shared/lazy-jose.js';
import { allowOnly } from './attributes.js';
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';

export const MAX_DECRYPTION_KEYS = 16;
const KEY_WRAP = ['A128KW', 'A192KW', 'A256KW', 'dir'];
const CONTENT = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'];
const KEY_SIZES = new Set([16, 24, 32, 48, 64]);

/** A decryption key as it travels in the compiled table. */
export interface DecryptionKeyData { kid: string | null; base64: string }
export interface DecryptionKey { kid: string | null; key: KeyObject }

/** `<decryption-keys>`: its `<key>` children, checked now. */
export function compileDecryptionKeys(el: PolicyElement, at: PolicyLocation): DecryptionKeyData[] {
  allowOnly(el, at, [], ['key']);
  const out: DecryptionKeyData[] = [];
  el.children.forEach((key, i) => {
    const kat = { ...at, element: `${at.element}[${at.index}]/key`, index: i };
    if ('certificate-id' in key.attrs) {
      throw new PolicyCompileError(kat, 'certificate-id', 'is not supported: Outpost keeps no certificates with private keys for policies; give a symmetric key inline (base64)');
    }
    allowOnly(key, kat, ['id']);
    const text = key.text.trim();
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (!KEY_SIZES.has(bytes.length)) throw new PolicyCompileError(kat, null, `<key> must be a base64 key of 16, 24, 32, 48 or 64 bytes, got ${bytes.length} bytes`);
    out.push({ kid: key.attrs.id ?? null, base64: bytes.toString('base64') });
  });
  if (out.length === 0) throw new PolicyCompileError(at, null, '<decryption-keys> needs at least one <key>');
  if (out.length > MAX_DECRYPTION_KEYS) throw new PolicyCompileError(at, null, `at most ${MAX_DECRYPTION_KEYS} decryption keys`);
  return out;
}

export function importDecryptionKeys(list: readonly DecryptionKeyData[]): DecryptionKey[] {
  return list.map((k) => ({ kid: k.kid, key: createSecretKey(Buffer.from(k.base64, 'base64')) }));
}

/** The signed token inside a compact JWE, or null when no key decrypts it (or it is compressed). */
export async function decryptToken(token: string, keys: readonly DecryptionKey[]): Promise<string | null> {
  const { compactDecrypt, decodeProtectedHeader } = await jose();
  let kid: string | null = null;
  try {
    const header = decodeProtectedHeader(token);
    if (header.zip !== undefined) return null;
    kid = typeof header.kid === 'string' ? header.kid : null;
  } catch { return null; }
  // A kid that names a key narrows the search to it; otherwise every key is tried.
  const named = kid === null ? [] : keys.filter((k) => k.kid === kid);
  for (const k of named.length > 0 ? named : keys) {
    try {
      const { plaintext } = await compactDecrypt(token, k.key, { keyManagementAlgorithms: KEY_WRAP, contentEncryptionAlgorithms: CONTENT });
      return Buffer.from(plaintext).toString('utf8');
    } catch { /* the next key */ }
  }
  return null;
}
