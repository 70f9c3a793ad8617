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

/** Up to this many bytes a loop copies faster than a view and a builtin call. */
const LOOP_COPY_MAX = 128;

/**
 * A new Buffer holding src[start, end), for bytes that must outlive a shared read buffer.
 * `Buffer.from(src.subarray(a, b))` makes a view (two accessor loads and a typed-array
 * construction) only to copy it; small ranges here cost one allocation and a loop.
 */
export function copyOf(src: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  const out = Buffer.allocUnsafe(n);
  if (n <= LOOP_COPY_MAX) {
    for (let i = 0; i < n; i++) out[i] = src[start + i];
  } else {
    out.set(src.subarray(start, end));
  }
  return out;
}
