/**
 * JSON written straight into a byte buffer, for the request log. Building a line as a string
 * (concatenation makes a rope), joining the batch (flattens every rope) and encoding it to UTF-8
 * copied each byte three times and allocated on every request: measured in
 * bench/telemetry-micro.ts, that was nearly all of the request log's cost. Here a field's bytes are
 * written once, in place; the plain-ASCII strings that make up nearly every line are copied
 * character by character, anything else goes through JSON.stringify and a UTF-8 write.
 *
 * The caller reserves room first (`fits`): a string of n UTF-16 units takes at most 6n bytes
 * (`\u001f` for a control character; 3 bytes for any other unit), so a line's bound is known
 * before it is written and a line is never cut.
 */
import { Buffer } from 'node:buffer';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

/** Most bytes one UTF-16 unit of a string can take here. */
export const MAX_BYTES_PER_UNIT = 6;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const ZERO = 0x30;

export class JsonLineBuffer {
  pos = 0;

  constructor(public buf: Buffer) {}

  get free(): number { return this.buf.length - this.pos; }

  /** Bytes known in advance (field names, punctuation), encoded once by the caller. */
  raw(bytes: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[p++] = bytes[i];
    this.pos = p;
  }

  byte(b: number): void { this.buf[this.pos++] = b; }

  /** A JSON string literal of `s`. */
  string(s: string): void {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    buf[p++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = charCodeAt.call(s, i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        // Rare: escapes or non-ASCII. Start over with the general encoder.
        this.pos = start + buf.write(JSON.stringify(s), start, 'utf8');
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** The JSON string of `path`, or of `path?query` when there is a query, without joining them first. */
  url(path: string, query: string): void {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    buf[p++] = QUOTE;
    p = this.plain(path, p);
    if (p >= 0 && query !== '') {
      buf[p++] = 0x3f; // ?
      p = this.plain(query, p);
    }
    if (p < 0) {
      // Rare: escapes or non-ASCII. The general encoder on the joined string.
      this.pos = start + buf.write(JSON.stringify(query === '' ? path : `${path}?${query}`), start, 'utf8');
      return;
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** Copies `s` at p when it is printable ASCII with nothing to escape; the next position, or -1. */
  private plain(s: string, p: number): number {
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = charCodeAt.call(s, i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return -1;
      buf[p++] = c;
    }
    return p;
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
    const buf = this.buf;
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let rest = n;
    do {
      const q = Math.floor(rest / 10);
      buf[--p] = ZERO + (rest - q * 10);
      rest = q;
    } while (rest > 0);
  }

  /** Milliseconds rounded to 3 decimals, trailing zeros dropped (2.5, 0.031, 12). */
  millis(ms: number): void {
    const thousandths = ms > 0 ? Math.round(ms * 1000) : 0;
    const whole = Math.floor(thousandths / 1000);
    let frac = thousandths - whole * 1000;
    this.uint(whole);
    if (frac === 0) return;
    const buf = this.buf;
    buf[this.pos++] = DOT;
    let scale = 100;
    while (frac > 0) {
      const d = Math.floor(frac / scale);
      buf[this.pos++] = ZERO + d;
      frac -= d * scale;
      scale /= 10;
    }
  }
}

export const NULL = Buffer.from('null', 'latin1');

/** A constant fragment, encoded once at load. */
export function fragment(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}
