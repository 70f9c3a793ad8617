/**
 * The C++ methods behind `buf.toString('latin1', a, b)` and `buf.write(text, at, 'latin1')`. The
 * public methods are JavaScript wrappers (argument checks, an encoding switch, then a method load
 * on the buffer) whose loads stay generic LoadIC calls in the worker's optimized code. The hot
 * path calls these directly, for ranges it already knows are in bounds.
 *
 * Use: `const latin1Slice = bufferNatives.latin1Slice;` in the module itself, then
 * `latin1Slice.call(buf, start, end)`. A module's own const is folded by TurboFan and the call
 * goes straight to the C++ function; an imported binding is not folded (see http1/chars.ts).
 */
import { Buffer } from 'node:buffer';

export interface BufferNatives {
  /** Bytes [start, end) as a latin1 string (one character per byte). Throws when out of range. */
  latin1Slice(this: Buffer, start: number, end: number): string;
  /** Writes `text` as latin1 from `offset`; returns the bytes written (cut at the buffer's end). */
  latin1Write(this: Buffer, text: string, offset: number): number;
}

export const bufferNatives = Buffer.prototype as unknown as BufferNatives;

/**
 * A new Buffer holding src[start, end), for bytes that must outlive a shared read buffer: a view
 * copied into Buffer.allocUnsafe (Node's pool under 4 KiB) by TypedArray#set, one memcpy. A JavaScript byte loop into
 * Buffer.allocUnsafe was used here for ranges up to 128 bytes, on the belief that a view costs
 * more than it saves; counted with callgrind over a proxied GET (a 93-byte body copied per
 * response), copyOf took 3,864 instructions a request and the whole request 79,200-80,300, with
 * the view and builtin copy 77,900.
 */
export function copyOf(src: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  typedArraySet.call(out, typedArraySubarray.call(src, start, end));
  return out;
}

/**
 * TypedArray#set and #subarray, module-local and called with .call. Through `Buffer.from(view)`
 * and `src.subarray`, the copy made three generic property loads (LoadIC: `subarray`, `buffer`,
 * `byteOffset` in Node's Buffer.from, whose feedback every caller in the process shares), and a
 * Buffer's prototype chain holds Buffer.prototype, which TurboFan does not look through.
 */
const typedArraySet = Uint8Array.prototype.set;
const typedArraySubarray = Uint8Array.prototype.subarray;
