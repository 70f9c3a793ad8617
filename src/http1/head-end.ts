/**
 * Finds where a request head ends in bytes that arrive in any number of reads, checking line
 * endings as it goes: a bare LF or a CR not followed by LF is refused at once (not after a
 * timeout), and a head or request line that outgrows its bound is refused as soon as it does.
 *
 * Incremental: `scanned` remembers how far the previous call got, so a head delivered one byte
 * at a time costs O(n), not O(n²).
 */
import * as chars from './chars.js';
import { nativeAddon } from '../gateway/native.js';
import { NATIVE_IO, nativeBufferIndex } from '../shared/native-buffers.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { CR, LF } = chars;

export const HEAD_INCOMPLETE = -1;
export const HEAD_BAD_LINE_ENDING = -2;
export const HEAD_TOO_LARGE = -3;
export const HEAD_LINE_TOO_LONG = -4;
/** A bare LF or CR after the request line, in the field lines. */
export const HEAD_BAD_FIELD_LINE_ENDING = -5;
/** The request line outgrew its bound before its method ended: a malformed line, not a long URI. */
export const HEAD_METHOD_TOO_LONG = -6;

/** The addon's finder (native/src/head_end.c), or null without it; it answers DECLINED for arguments it cannot check. */
const nativeFind = nativeAddon()?.findHeadEnd ?? null;
const DECLINED = -100;

export class HeadEndFinder {
  /** Index (relative to the head's start) scanned so far. */
  private scanned = 0;
  /** Start of the current line, relative to the head's start. */
  private lineStart = 0;

  constructor(private maxHeadBytes: number, private maxRequestLineBytes: number) {}

  setLimits(maxHeadBytes: number, maxRequestLineBytes: number): void {
    this.maxHeadBytes = maxHeadBytes;
    this.maxRequestLineBytes = maxRequestLineBytes;
  }

  reset(): void { this.scanned = 0; this.lineStart = 0; }

  /**
   * Scans buf[start + scanned, end). Returns the index (absolute) of the CR of the empty line that
   * ends the head, or a HEAD_* code. The request line is the first line.
   */
  find(buf: Uint8Array, start: number, end: number): number {
    // In a registered buffer (a worker's read buffer: nearly every head), the addon does the same.
    const id = nativeFind === null ? -1 : nativeBufferIndex(buf);
    if (id >= 0) {
      const io = NATIVE_IO!;
      io[0] = id; io[1] = start; io[2] = end; io[3] = this.scanned; io[4] = this.lineStart;
      io[5] = this.maxHeadBytes; io[6] = this.maxRequestLineBytes;
      const answer = nativeFind!();
      if (answer !== DECLINED) {
        this.scanned = io[3];
        this.lineStart = io[4];
        return answer;
      }
    }
    return this.findJs(buf, start, end);
  }

  /** find() in JavaScript: any buffer, and every head without the addon. */
  findJs(buf: Uint8Array, start: number, end: number): number {
    let p = start + this.scanned;
    let lineStart = start + this.lineStart;
    const limit = Math.min(end, start + this.maxHeadBytes + 4);
    let result = HEAD_INCOMPLETE;
    for (; p < limit; p++) {
      const c = buf[p];
      if (c === LF) return lineStart === start ? HEAD_BAD_LINE_ENDING : HEAD_BAD_FIELD_LINE_ENDING; // no CR right before it
      if (c !== CR) continue;
      if (p + 1 >= end) break; // wait for the byte after CR
      if (buf[p + 1] !== LF) return lineStart === start ? HEAD_BAD_LINE_ENDING : HEAD_BAD_FIELD_LINE_ENDING;
      if (lineStart === start && p - start > this.maxRequestLineBytes) return lineTooLong(buf, start, this.maxRequestLineBytes);
      if (p === lineStart && lineStart !== start) { result = p; break; }
      p++;
      lineStart = p + 1;
    }
    if (result >= 0) {
      this.reset();
      return result - start > this.maxHeadBytes ? HEAD_TOO_LARGE : result;
    }
    this.scanned = p - start;
    this.lineStart = lineStart - start;
    if (lineStart === start && p - start > this.maxRequestLineBytes) return lineTooLong(buf, start, this.maxRequestLineBytes);
    if (p - start >= this.maxHeadBytes + 4 || (end - start > this.maxHeadBytes + 4)) return HEAD_TOO_LARGE;
    return HEAD_INCOMPLETE;
  }
}

/**
 * 414 is for a long request-target (RFC 9112 §3); a line whose method never ends is just
 * malformed (400). The method must end within the line's bound: a space only past it (the line
 * arrived whole, or in larger reads) ends no method a server takes, and looking there made the
 * answer depend on how the bytes were split. Called once the line has outgrown `maxLine`, so every
 * byte looked at has been read.
 */
function lineTooLong(buf: Uint8Array, start: number, maxLine: number): number {
  return buf.subarray(start, start + maxLine + 1).includes(0x20) ? HEAD_LINE_TOO_LONG : HEAD_METHOD_TOO_LONG;
}
