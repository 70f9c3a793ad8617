/**
 * A cached response as bytes (msgpackr): status, reason, headers, body and when it was stored
 * (for `Age`). Entries may come from Redis, which other processes can write, so decoding checks
 * the shape (and that no header could split a response) and treats anything else as a miss.
 */
import { Buffer } from 'node:buffer';
import { pack, unpack } from 'msgpackr';
import { isFieldValue, isReasonPhrase, isToken } from '../../shared/http-syntax.js';

export interface CachedResponse {
  status: number;
  reason: string;
  /** Flat [name, value, …], lowercase names, no framing or hop-by-hop headers. */
  headers: string[];
  body: Buffer;
  /** Milliseconds since the epoch. */
  storedAt: number;
  /** When the entry stops being served (ms since the epoch): the downstream max-age counts down to it. */
  expiresAt: number;
}

/** Bumped when the layout changes, so an older gateway's entries read as misses, not garbage. */
const ENTRY_VERSION = 1;

export function encodeEntry(entry: CachedResponse): Buffer {
  return pack([ENTRY_VERSION, entry.status, entry.reason, entry.headers, entry.body, entry.storedAt, entry.expiresAt]);
}

export function decodeEntry(bytes: Buffer): CachedResponse | null {
  let raw: unknown;
  try { raw = unpack(bytes); } catch { return null; }
  if (!Array.isArray(raw) || raw.length !== 7 || raw[0] !== ENTRY_VERSION) return null;
  const [, status, reason, headers, body, storedAt, expiresAt] = raw as unknown[];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return null;
  if (typeof reason !== 'string' || !isReasonPhrase(reason) || typeof storedAt !== 'number' || typeof expiresAt !== 'number') return null;
  if (!Array.isArray(headers) || headers.length % 2 !== 0) return null;
  // Written to clients as they are: a name or value that could split a response is refused here.
  for (let i = 0; i < headers.length; i += 2) {
    const name: unknown = headers[i];
    const value: unknown = headers[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string' || !isToken(name) || !isFieldValue(value)) return null;
  }
  if (!(body instanceof Uint8Array)) return null;
  return { status, reason, headers: headers as string[], body: Buffer.isBuffer(body) ? body : Buffer.from(body), storedAt, expiresAt };
}

/** cache-store-value's values: any msgpack-able value (today a constant string). */
export function encodeValue(value: unknown): Buffer {
  return pack(value);
}

export function decodeValue(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  try { return { ok: true, value: unpack(bytes) as unknown }; } catch { return { ok: false }; }
}
