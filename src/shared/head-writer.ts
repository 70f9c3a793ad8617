/**
 * An HTTP/1.1 head written as bytes, in place: into the worker's staging buffer when the write
 * can be staged (shared/iteration-writes.ts: headWriter), else into a scratch buffer. Used for
 * the request head towards a backend (gateway/upstream/request-writer.ts).
 *
 * Why not a string: a head built by concatenation is a rope of ~20 pieces that V8 flattens
 * before Node can write it (`String::WriteToFlat`), and every value was checked by a regex of
 * its own. Measured in the worker (perf, 60k req/s): the request head's string, flatten, regexes
 * and write were 6.6% of its CPU; written here, 4.7%. Each character is checked against a byte
 * table and copied once, four to a store.
 *
 * So is a proxied response's head when the backend's fields go out as bytes (ClientResponse's
 * flushHeadWithFields): they are copied from the read buffer. When those fields were strings
 * already, copying them here cost more (2.9% -> 4.8% of a worker's CPU) than V8 flattening one
 * string and Node writing it; made from the bytes, no string exists to begin with.
 *
 * A store may run up to HEAD_SLACK bytes past what it means to write: the caller's bound
 * includes them, and those bytes are scratch, overwritten by what follows or left past `pos`.
 */
import { Buffer } from 'node:buffer';
import { bufferNatives } from './buffer-natives.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (http1/chars.ts). */
const charCodeAt = String.prototype.charCodeAt;
const latin1Write = bufferNatives.latin1Write;

/** Bytes a write may touch past its end (a whole 32-bit store for its last 1-3 bytes). */
export const HEAD_SLACK = 3;

export class HeadWriter {
  buf: Buffer;
  private view: DataView;
  pos = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  /** Writes from `pos` in `buf` (whose DataView is `view`): the staging buffer or a scratch one. */
  reset(buf: Buffer, view: DataView, pos: number): void {
    this.buf = buf;
    this.view = view;
    this.pos = pos;
  }

  /** The DataView of `buf` this writer stores words through (for a caller that keeps one per buffer). */
  static viewOf(buf: Buffer): DataView { return new DataView(buf.buffer, buf.byteOffset, buf.length); }

  /**
   * Copies `s` when every character is in `table` (256 entries, 1 = allowed; anything above
   * U+00FF never is). False, with scratch bytes written and `pos` unchanged, when one is not.
   */
  checked(s: string, table: Uint8Array): boolean {
    const p = copyChecked(this.buf, this.view, this.pos, s, table);
    if (p < 0) return false;
    this.pos = p;
    return true;
  }

  /** Constant text the caller knows is valid latin1 (literals: CRLF, ": ", "HTTP/1.1 "). */
  text(s: string): void {
    const n = s.length;
    const view = this.view;
    let p = this.pos;
    let i = 0;
    for (; i + 4 <= n; i += 4, p += 4) {
      view.setInt32(p, charCodeAt.call(s, i) | (charCodeAt.call(s, i + 1) << 8) | (charCodeAt.call(s, i + 2) << 16) | (charCodeAt.call(s, i + 3) << 24), true);
    }
    const buf = this.buf;
    for (; i < n; i++) buf[p++] = charCodeAt.call(s, i);
    this.pos = p;
  }

  /**
   * Copies src[start, end) as it is (bytes a parser already checked: a backend's field names and
   * values), byte by byte: for the few heads the addon does not copy (copyFields: ResponseHeaders.writeFieldsCoded).
   */
  bytes(src: Uint8Array, start: number, end: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let k = start; k < end; k++) buf[p++] = src[k];
    this.pos = p;
  }

  /**
   * Text one byte a character through Node's own latin1 writer, one call into C++: for text made
   * per message (a status line, a date, an id), which a character loop here copies at ~20
   * instructions a character. Unlike text(), a character above U+00FF costs no neighbour: it
   * keeps only its low byte, as a string written 'latin1' does (flushHead's path).
   */
  latin1Text(s: string): void {
    this.pos += latin1Write.call(this.buf, s, this.pos);
  }

  /** ": " between a field's name and value. */
  colonSpace(): void {
    this.view.setInt16(this.pos, 0x203a, true);
    this.pos += 2;
  }

  /** CR LF. */
  crlf(): void {
    this.view.setInt16(this.pos, 0x0a0d, true);
    this.pos += 2;
  }

  /** A non-negative safe integer in decimal (lengths, status codes). */
  uint(n: number): void {
    this.pos = writeDecimal(this.buf, this.pos, n);
  }

  /** The bytes written since `start`, as latin1 text (tests, and the rare head that must be a string). */
  latin1(start: number): string { return this.buf.toString('latin1', start, this.pos); }
}

/**
 * Copies `s` into `buf` (stored through `view`, a DataView of it) at `p` when every character is
 * in `table` (256 entries, 1 = allowed; anything above U+00FF never is), four characters a store;
 * the next position, or -1 having written scratch bytes (up to the string's end plus 3) that the
 * caller overwrites or ignores. Shared by the head writer and the request log's JSON writer.
 */
export function copyChecked(buf: Uint8Array, view: DataView, p: number, s: string, table: Uint8Array): number {
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4, p += 4) {
    const a = charCodeAt.call(s, i);
    const b = charCodeAt.call(s, i + 1);
    const c = charCodeAt.call(s, i + 2);
    const d = charCodeAt.call(s, i + 3);
    if ((a | b | c | d) > 0xff || (table[a] & table[b] & table[c] & table[d]) === 0) return -1;
    view.setInt32(p, a | (b << 8) | (c << 16) | (d << 24), true);
  }
  for (; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c > 0xff || table[c] === 0) return -1;
    buf[p++] = c;
  }
  return p;
}

/** Writes `n`, a non-negative safe integer, in decimal at `p` without a temporary string; the next position. */
export function writeDecimal(buf: Uint8Array, p: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  const end = p + digits;
  let at = end;
  let rest = n;
  do {
    const q = Math.floor(rest / 10);
    buf[--at] = 0x30 + (rest - q * 10);
    rest = q;
  } while (rest > 0);
  return end;
}

/** A scratch writer of at least `bytes` bytes (reused: grows, never shrinks). */
export function scratchWriter(w: HeadWriter | null, bytes: number): HeadWriter {
  if (w !== null && w.buf.length >= bytes) { w.pos = 0; return w; }
  return new HeadWriter(Buffer.allocUnsafe(Math.max(bytes, 1024)));
}
