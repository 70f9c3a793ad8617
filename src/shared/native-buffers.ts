/**
 * Buffers the native addon may read and write by index, and the Int32Array its per-request
 * functions take their numbers from and give results back through (native/src/registered.c):
 * looking a typed array's memory up through N-API costs ~500 instructions a call, a number
 * argument ~30, a store into `NATIVE_IO` one. Registered once per thread: the worker's two read
 * buffers (head-end.ts finds request heads and head-fields.ts scans both heads in them) and its
 * staging buffer (request-writer.ts writes request heads into it). Each must live as long as the thread; the addon holds a reference.
 */
import type { Buffer } from 'node:buffer';
import { nativeAddon } from '../gateway/native.js';

const addon = nativeAddon();
/** The most buffers the addon takes (native/src/addon.h, MAX_BUFFERS). */
const MAX_NATIVE_BUFFERS = 4;
/** Header fields the io array can take back from a scan: more than any head is allowed (maxHeaderCount is at most 1,000, a response's fields 256). */
export const NATIVE_IO_FIELDS = 1024;
/** io[0..4] are arguments and results (the head-end finder also takes its two limits in io[5] and io[6]); a scan's field offsets follow. One call at a time uses them: each reads its results back before the next. */
export const NATIVE_IO_HEAD = 5;
/**
 * After the offsets, six numbers: a response's framing, read by the addon right after its fields
 * when the first holds the response's HTTP minor version (0 or 1; -1 asks for nothing): [1] 1
 * when answered, [2] a HEAD_* code, [3] Content-Length or -1, [4] bits chunked 1, close 2,
 * keep-alive 4, a Connection field naming other fields 8, [5] Keep-Alive's timeout or -1; then
 * one code per field for the proxy exchange (response-field-codes.ts: FIELD_*;
 * native/src/head_fields.c, read_response_fields).
 */
const NATIVE_IO_FRAMING_SLOTS = 6;
export const NATIVE_IO_FRAMING = NATIVE_IO_HEAD + 4 * NATIVE_IO_FIELDS;
export const NATIVE_IO_CODES = NATIVE_IO_FRAMING + NATIVE_IO_FRAMING_SLOTS;
/** Null without the addon. */
export const NATIVE_IO: Int32Array | null = addon === null ? null : new Int32Array(NATIVE_IO_CODES + NATIVE_IO_FIELDS);

const registered: Buffer[] = [];
/** The registered buffers by index, compared by identity on every call (no array walk). */
let b0: Uint8Array | null = null;
let b1: Uint8Array | null = null;
let b2: Uint8Array | null = null;
let b3: Uint8Array | null = null;

/** Registers `buf` (once): its index, or -1 without the addon or when four are registered. */
export function registerNativeBuffer(buf: Buffer): number {
  const known = registered.indexOf(buf);
  if (known >= 0) return known;
  if (addon === null || NATIVE_IO === null || registered.length === MAX_NATIVE_BUFFERS) return -1;
  registered.push(buf);
  addon.registerBuffers(NATIVE_IO, ...registered);
  [b0 = null, b1 = null, b2 = null, b3 = null] = registered;
  return registered.length - 1;
}

/** The index `buf` was registered at, or -1. */
export function nativeBufferIndex(buf: Uint8Array): number {
  return buf === b0 ? 0 : buf === b1 ? 1 : buf === b2 ? 2 : buf === b3 ? 3 : -1;
}
