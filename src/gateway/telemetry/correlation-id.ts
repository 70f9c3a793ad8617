/**
 * The correlation id of a request: the client's `X-Request-Id` when it is a sane token, else a
 * new UUID. It is forwarded to the backend, returned to the client and written in the request
 * log, so a client's id must be short and plain: 1..128 characters of letters, digits and
 * `- _ . : / + = @ ~`. Anything else (too long, spaces, quotes, control or non-ASCII bytes) is
 * replaced, never echoed.
 */
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { bufferNatives } from '../../shared/buffer-natives.js';
import { nativeAddon } from '../native.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

export const MAX_REQUEST_ID_LENGTH = 128;

/** Byte table of the characters a client's id may hold. */
const ALLOWED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/+=@~') ALLOWED[c.charCodeAt(0)] = 1;

export function isAcceptableRequestId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = charCodeAt.call(id, i);
    if (c >= 128 || ALLOWED[c] === 0) return false;
  }
  return true;
}

/** The client's id if acceptable, else a fresh UUID. */
export function correlationId(fromClient: string): string {
  return fromClient !== '' && isAcceptableRequestId(fromClient) ? fromClient : newUuid();
}

/** UUIDs per entropy refill: one randomFillSync of 4 KiB (Node's randomUUID refills every 128). */
const UUIDS_PER_REFILL = 256;
const entropy = Buffer.allocUnsafe(16 * UUIDS_PER_REFILL);
let nextUuid = UUIDS_PER_REFILL;
const uuidText = Buffer.allocUnsafe(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
/** Module-local on purpose (see shared/buffer-natives.ts): folded, called directly. */
const latin1Slice = bufferNatives.latin1Slice;

/** The addon's UUIDs (native/src/uuid.c: the kernel's CSPRNG, ~700 instructions against ~1,700 here), or null without it. */
const nativeUuid = nativeAddon()?.newUuid ?? null;
/** Where newUuid's ids come from (tests). */
export const UUID_SOURCE: 'addon' | 'javascript' = nativeUuid === null ? 'javascript' : 'addon';

/** A random (version 4) UUID: the addon's, or jsUuid()'s without it (or if the kernel gave it no randomness). */
export function newUuid(): string {
  if (nativeUuid !== null) {
    const id = nativeUuid();
    if (id !== undefined) return id;
  }
  return jsUuid();
}

/**
 * A random (version 4) UUID, as crypto.randomUUID makes one from the same CSPRNG, written as
 * bytes and turned into a string once: randomUUID joins sixteen two-character pieces.
 */
export function jsUuid(): string {
  if (nextUuid === UUIDS_PER_REFILL) {
    randomFillSync(entropy);
    nextUuid = 0;
  }
  const from = nextUuid++ * 16;
  let p = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) uuidText[p++] = 0x2d; // -
    let b = entropy[from + i];
    if (i === 6) b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // variant 10
    uuidText[p++] = HEX[b >> 4];
    uuidText[p++] = HEX[b & 15];
  }
  return latin1Slice.call(uuidText, 0, 36);
}
