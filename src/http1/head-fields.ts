/**
 * Header field lines of a complete HTTP/1.1 head (RFC 9112 §5), validated strictly and recorded
 * as byte offsets into the receive buffer: no string is made for a field nobody reads, and what
 * is forwarded can be copied byte for byte.
 *
 * Refused (the caller answers 400 / treats the message as malformed): a bare LF or CR, obs-fold
 * (a line starting with SP/HTAB), an empty name, a name with a non-token byte, whitespace between
 * name and colon, a value with CTL bytes, more fields than the list holds.
 */
import * as chars from './chars.js';
import { nativeAddon } from '../gateway/native.js';
import { NATIVE_IO, NATIVE_IO_FIELDS, NATIVE_IO_FRAMING, NATIVE_IO_HEAD, nativeBufferIndex } from '../shared/native-buffers.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { CR, LF, SP, HTAB, COLON, TOKEN, FIELD_VALUE } = chars;

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

export const FIELDS_OK = 0;
export const FIELDS_BAD_LINE_ENDING = 1;
export const FIELDS_OBS_FOLD = 2;
export const FIELDS_BAD_NAME = 3;
export const FIELDS_BAD_VALUE = 4;
export const FIELDS_TOO_MANY = 5;

/** Offsets of up to `capacity` fields: [nameStart, nameEnd, valueStart, valueEnd] each (value trimmed of OWS). */
export class FieldList {
  readonly offsets: Int32Array;
  count = 0;
  constructor(readonly capacity: number) { this.offsets = new Int32Array(capacity * 4); }
  nameStart(i: number): number { return this.offsets[i * 4]; }
  nameEnd(i: number): number { return this.offsets[i * 4 + 1]; }
  valueStart(i: number): number { return this.offsets[i * 4 + 2]; }
  valueEnd(i: number): number { return this.offsets[i * 4 + 3]; }
}

/**
 * The native scanner (native/src/head_fields.c): the same codes and offsets as scanFieldsJs, for
 * heads in a buffer registered with the addon (shared/native-buffers.ts: the worker's two read
 * buffers, so nearly every head). Its numbers pass through NATIVE_IO: [0] buffer index,
 * [1] from, [2] to, [3] capacity, [4] the count written back (-1: leave the list's count alone),
 * then the offsets.
 */
const nativeScan = nativeAddon()?.scanHeadFields ?? null;

/** Which scanner answered the last scanFields call: for the tests that hold the two to the same results. */
export let lastScanWasNative = false;

/**
 * Scans the field lines in buf[from, to), where `to` is the index of the CR of the empty line
 * that ends the head (so every line in the range ends with CRLF). Returns a FIELDS_* code.
 * `responseMinor` (a response's HTTP minor version) asks the addon, when it scans, to read the
 * response's framing fields too (response-head.ts takes them from NATIVE_IO_FRAMING).
 */
export function scanFields(buf: Uint8Array, from: number, to: number, out: FieldList, responseMinor = -1): number {
  if (nativeScan !== null) {
    const id = nativeBufferIndex(buf);
    const io = NATIVE_IO!;
    if (id >= 0 && out.capacity <= NATIVE_IO_FIELDS) {
      io[0] = id; io[1] = from; io[2] = to; io[3] = out.capacity;
      io[NATIVE_IO_FRAMING] = responseMinor;
      const code = nativeScan();
      if (code >= 0) {
        const count = io[4];
        if (count >= 0) {
          const offsets = out.offsets;
          for (let i = 0, n = count * 4; i < n; i++) offsets[i] = io[NATIVE_IO_HEAD + i];
          out.count = count;
        }
        lastScanWasNative = true;
        return code;
      }
    }
  }
  lastScanWasNative = false;
  return scanFieldsJs(buf, from, to, out);
}

/** scanFields in JavaScript: any buffer, and every head when the addon is not loaded. */
export function scanFieldsJs(buf: Uint8Array, from: number, to: number, out: FieldList): number {
  let count = 0;
  const offsets = out.offsets;
  let p = from;
  // buf[to] is a CR, which is in neither TOKEN nor FIELD_VALUE: the byte loops below stop on it
  // (or before) without a bounds check of their own, one table load per byte.
  while (p < to) {
    const first = buf[p];
    if (first === SP || first === HTAB) return FIELDS_OBS_FOLD;
    const nameStart = p;
    while (TOKEN[buf[p]] === 1) p++;
    if (p === nameStart || p >= to || buf[p] !== COLON) {
      out.count = count;
      return p < to && (buf[p] === CR || buf[p] === LF) ? FIELDS_BAD_LINE_ENDING_OR_NAME(buf, p) : FIELDS_BAD_NAME;
    }
    const nameEnd = p++;
    while (buf[p] === SP || buf[p] === HTAB) p++;
    const valueStart = p;
    while (FIELD_VALUE[buf[p]] === 1) p++;
    // Stopped on the line's CR, or on a byte no value may hold (LF alone, NUL, another control, DEL).
    const c = buf[p];
    if (c !== CR) return c === LF ? FIELDS_BAD_LINE_ENDING : FIELDS_BAD_VALUE;
    if (p >= to || buf[p + 1] !== LF) return FIELDS_BAD_LINE_ENDING;
    // The value without its trailing OWS.
    let valueEnd = p;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    p += 2;
    if (count === out.capacity) return FIELDS_TOO_MANY;
    const o = count * 4;
    offsets[o] = nameStart; offsets[o + 1] = nameEnd; offsets[o + 2] = valueStart; offsets[o + 3] = valueEnd;
    count++;
  }
  out.count = count;
  return FIELDS_OK;
}

/** A line with no colon: a line ending where the name should go is a framing error, otherwise a bad name. */
function FIELDS_BAD_LINE_ENDING_OR_NAME(buf: Uint8Array, p: number): number {
  return buf[p] === LF || buf[p + 1] !== LF ? FIELDS_BAD_LINE_ENDING : FIELDS_BAD_NAME;
}

/** ASCII case-insensitive comparison of buf[start, end) with a lower-case name. */
export function nameIs(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((buf[start + i] | 0x20) !== charCodeAt.call(lower, i)) return false;
  }
  return true;
}
