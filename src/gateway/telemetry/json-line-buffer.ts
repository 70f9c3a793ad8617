/**
 * JSON written straight into a byte buffer, for the request log. Building a line as a string
 * (concatenation makes a rope), joining the batch (flattens every rope) and encoding it to UTF-8
 * copied each byte three times and allocated on every request: measured in
 * bench/telemetry-micro.ts, that was nearly all of the request log's cost. Here a field's bytes are
 * written once, in place; the plain-ASCII strings that make up nearly every line are copied four
 * characters to a store, anything else goes through JSON.stringify and a UTF-8 write.
 *
 * Four bytes a store: a byte loop cost ~2.5 ns a byte in the worker's optimized code (a bounds
 * check on each side of every byte); whole 32-bit stores through a DataView halve a line's cost.
 * A store may run up to 3 bytes past what it means to write (WORD_SLACK): those bytes are
 * scratch, overwritten by what follows or left past `pos`, never part of a line.
 *
 * The caller reserves room first (`free`): a string of n UTF-16 units takes at most 6n bytes
 * (`\u001f` for a control character; 3 bytes for any other unit), so a line's bound is known
 * before it is written and a line is never cut. Bounds must include WORD_SLACK.
 */
import { Buffer } from 'node:buffer';
import { copyChecked, writeDecimal } from '../../shared/head-writer.js';

/** Most bytes one UTF-16 unit of a string can take here. */
export const MAX_BYTES_PER_UNIT = 6;
/** Bytes a write may touch past its end (a whole 32-bit store for its last 1-3 bytes). */
export const WORD_SLACK = 3;

const QUOTE = 0x22;
const DOT = 0x2e;
const ZERO = 0x30;

/** Characters a JSON string holds as themselves: printable ASCII, not `"`, not `\` (0 above 0x7E). */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === QUOTE || c === 0x5c ? 0 : 1;

/**
 * Constant bytes (field names, punctuation) as little-endian 32-bit words, zero-padded, and as
 * the bytes themselves (for the native line writer, native/src/request_log.c).
 */
export class Fragment {
  constructor(readonly words: Int32Array, readonly length: number, readonly bytes: Buffer) {}
}

/** A fragment of `bytes`, encoded once. */
export function fragmentOf(bytes: Uint8Array): Fragment {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const words = new Int32Array(padded.length / 4);
  const view = new DataView(padded.buffer);
  for (let i = 0; i < words.length; i++) words[i] = view.getInt32(i * 4, true);
  return new Fragment(words, bytes.length, Buffer.from(bytes));
}

/** A constant fragment of latin1 text, encoded once at load. */
export function fragment(text: string): Fragment {
  return fragmentOf(Buffer.from(text, 'latin1'));
}

export const NULL = fragment('null');

export class JsonLineBuffer {
  pos = 0;
  private readonly view: DataView;

  constructor(public readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  get free(): number { return this.buf.length - this.pos; }

  /** Bytes known in advance (field names, punctuation), encoded once by the caller. */
  raw(f: Fragment): void {
    const words = f.words;
    const view = this.view;
    let p = this.pos;
    for (let i = 0; i < words.length; i++, p += 4) view.setInt32(p, words[i], true);
    this.pos += f.length;
  }

  byte(b: number): void { this.buf[this.pos++] = b; }

  /** A JSON string literal of `s`. */
  string(s: string): void {
    const start = this.pos;
    const p = this.plain(s, start + 1);
    if (p < 0) {
      // Rare: escapes or non-ASCII. Start over with the general encoder.
      this.pos = start + this.buf.write(JSON.stringify(s), start, 'utf8');
      return;
    }
    this.buf[start] = QUOTE;
    this.buf[p] = QUOTE;
    this.pos = p + 1;
  }

  /** The JSON string of `path`, or of `path?query` when there is a query, without joining them first. */
  url(path: string, query: string): void {
    const buf = this.buf;
    const start = this.pos;
    buf[start] = QUOTE;
    let p = this.plain(path, start + 1);
    if (p >= 0 && query !== '') {
      buf[p++] = 0x3f; // ?
      p = this.plain(query, p);
    }
    if (p < 0) {
      // Rare: escapes or non-ASCII. The general encoder on the joined string.
      this.pos = start + buf.write(JSON.stringify(query === '' ? path : `${path}?${query}`), start, 'utf8');
      return;
    }
    buf[p] = QUOTE;
    this.pos = p + 1;
  }

  /**
   * Copies `s` at p when it is printable ASCII with nothing to escape, four characters a store;
   * the next position, or -1 (having written scratch bytes the caller's general path overwrites).
   */
  private plain(s: string, p: number): number {
    return copyChecked(this.buf, this.view, p, s, PLAIN);
  }

  /** A JSON string, or null for null and the empty string. */
  stringOrNull(s: string | null): void {
    if (s === null || s === '') this.raw(NULL);
    else this.string(s);
  }

  /** A non-negative integer (status codes, byte counts): digits without a temporary string. */
  uint(n: number): void {
    if (!(n >= 0) || n > Number.MAX_SAFE_INTEGER || n !== Math.floor(n)) {
      this.pos += this.buf.write(String(n), this.pos, 'latin1');
      return;
    }
    this.pos = writeDecimal(this.buf, this.pos, n);
  }

  /** Milliseconds rounded to 3 decimals, trailing zeros dropped (2.5, 0.031, 12). */
  millis(ms: number): void {
    const thousandths = ms > 0 ? Math.round(ms * 1000) : 0;
    const whole = Math.floor(thousandths / 1000);
    let frac = thousandths - whole * 1000;
    this.uint(whole);
    if (frac === 0) return;
    // Up to three digits, stopping at the last non-zero one (integer steps, no float division loop).
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = DOT;
    const tenths = (frac / 100) | 0;
    buf[p++] = ZERO + tenths;
    frac -= tenths * 100;
    if (frac > 0) {
      const hundredths = (frac / 10) | 0;
      buf[p++] = ZERO + hundredths;
      frac -= hundredths * 10;
      if (frac > 0) buf[p++] = ZERO + frac;
    }
    this.pos = p;
  }
}
