/**
 * An incremental, strict decoder of the chunked transfer coding (RFC 9112 §7.1), shared by both
 * legs: request bodies from clients and response bodies from backends.
 *
 * Strict on purpose: the chunk-size line is 1*HEXDIG, then chunk extensions
 * (`;name` or `;name=token` or `;name="quoted"`, no whitespace anywhere), then CRLF; chunk data is
 * followed by exactly CRLF; trailer fields are checked and dropped (a Content-Length or
 * Transfer-Encoding among them is refused, as llhttp refuses it). Anything else is an error, so
 * two parsers that follow the RFC can never disagree about where this message ends: that
 * disagreement is what request smuggling is made of.
 *
 * Data is handed to the sink as ranges of the caller's buffer (no copy); the decoder holds no
 * buffer of its own, only counters, so a message of any size decodes in constant memory.
 */
import * as chars from './chars.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { CR, LF, SEMICOLON, EQUALS, DQUOTE, BACKSLASH, TOKEN, HEX_VALUE, QDTEXT, FIELD_VALUE, COLON } = chars;

export const CHUNK_ERR_SIZE = -1;
export const CHUNK_ERR_EXTENSION = -2;
export const CHUNK_ERR_LINE_ENDING = -3;
export const CHUNK_ERR_DATA_END = -4;
export const CHUNK_ERR_TRAILER = -5;
export const CHUNK_ERR_TOO_LONG = -6;

export interface ChunkedLimits {
  /** Longest chunk-size line, extensions included. */
  readonly maxLineBytes: number;
  /** Largest trailer section (all trailer lines together). */
  readonly maxTrailerBytes: number;
}

export const DEFAULT_CHUNKED_LIMITS: ChunkedLimits = { maxLineBytes: 4096, maxTrailerBytes: 16 * 1024 };

/**
 * Receives decoded body bytes: buf[start, end). Returning false pauses decoding right after this
 * range (a proxy whose client cannot take more): `decode` returns the index reached, and the
 * caller feeds the rest later.
 */
export type ChunkSink = (buf: Uint8Array, start: number, end: number) => boolean | void;

const S_SIZE_FIRST = 0;
const S_SIZE = 1;
const S_EXT_NAME_FIRST = 2;
const S_EXT_NAME = 3;
const S_EXT_VALUE_FIRST = 4;
const S_EXT_TOKEN = 5;
const S_EXT_QUOTED = 6;
const S_EXT_QUOTED_PAIR = 7;
const S_EXT_AFTER_QUOTED = 8;
const S_SIZE_LF = 9;
const S_DATA = 10;
const S_DATA_CR = 11;
const S_DATA_LF = 12;
const S_TRAILER_START = 13;
const S_TRAILER_NAME = 14;
const S_TRAILER_VALUE = 15;
const S_TRAILER_LF = 16;
const S_END_LF = 17;
const S_DONE = 18;

/**
 * Trailer field names that are refused: the framing fields (RFC 9110 §6.5.1: a recipient must not
 * take them from trailers). llhttp refuses them there too, and a parser that read one as framing
 * would end this message elsewhere. Lower case; matched as the name streams in.
 */
const FRAMING_TRAILERS = ['content-length', 'transfer-encoding'];

/** 2^53 / 16: one more hex digit past this would leave the exact integer range. */
const SIZE_CEILING = 2 ** 49;

export class ChunkedDecoder {
  private state = S_SIZE_FIRST;
  private size = 0;
  private remaining = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  /** Which FRAMING_TRAILERS entry the trailer name read so far still matches (-1: none), and how far. */
  private framingName = -1;
  private framingAt = 0;
  /** Decoded body bytes so far. */
  bodyBytes = 0;

  constructor(private readonly limits: ChunkedLimits = DEFAULT_CHUNKED_LIMITS) {}

  get done(): boolean { return this.state === S_DONE; }

  reset(): void {
    this.state = S_SIZE_FIRST;
    this.size = 0;
    this.remaining = 0;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.framingName = -1;
    this.framingAt = 0;
    this.bodyBytes = 0;
  }

  /**
   * Decodes buf[from, to). Returns the index up to which bytes were consumed: `to` while the
   * message goes on (less when the sink paused), the index just past the final CRLF once `done` (bytes after it belong to the
   * next message), or a negative CHUNK_ERR_* code.
   */
  decode(buf: Uint8Array, from: number, to: number, sink: ChunkSink): number {
    let p = from;
    while (p < to) {
      if (this.state === S_DATA) {
        const n = Math.min(this.remaining, to - p);
        const more = sink(buf, p, p + n);
        p += n;
        this.bodyBytes += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = S_DATA_CR;
        if (more === false) return p;
        continue;
      }
      const c = buf[p++];
      switch (this.state) {
        case S_SIZE_FIRST:
        case S_SIZE: {
          const hex = HEX_VALUE[c];
          if (hex !== 0) {
            if (this.size >= SIZE_CEILING) return CHUNK_ERR_SIZE;
            this.size = this.size * 16 + (hex - 1);
            this.state = S_SIZE;
          } else if (this.state === S_SIZE_FIRST) return CHUNK_ERR_SIZE;
          else if (c === SEMICOLON) this.state = S_EXT_NAME_FIRST;
          else if (c === CR) this.state = S_SIZE_LF;
          else return CHUNK_ERR_SIZE;
          break;
        }
        case S_EXT_NAME_FIRST:
          if (TOKEN[c] !== 1) return CHUNK_ERR_EXTENSION;
          this.state = S_EXT_NAME;
          break;
        case S_EXT_NAME:
          if (TOKEN[c] === 1) break;
          if (c === EQUALS) this.state = S_EXT_VALUE_FIRST;
          else if (!this.endOfExtension(c)) return CHUNK_ERR_EXTENSION;
          break;
        case S_EXT_VALUE_FIRST:
          if (c === DQUOTE) this.state = S_EXT_QUOTED;
          else if (TOKEN[c] === 1) this.state = S_EXT_TOKEN;
          else return CHUNK_ERR_EXTENSION;
          break;
        case S_EXT_TOKEN:
          if (TOKEN[c] !== 1 && !this.endOfExtension(c)) return CHUNK_ERR_EXTENSION;
          break;
        case S_EXT_QUOTED:
          if (c === DQUOTE) this.state = S_EXT_AFTER_QUOTED;
          else if (c === BACKSLASH) this.state = S_EXT_QUOTED_PAIR;
          else if (QDTEXT[c] !== 1) return CHUNK_ERR_EXTENSION;
          break;
        case S_EXT_QUOTED_PAIR:
          if (c !== 0x09 && (c < 0x20 || c === 0x7f)) return CHUNK_ERR_EXTENSION;
          this.state = S_EXT_QUOTED;
          break;
        case S_EXT_AFTER_QUOTED:
          if (!this.endOfExtension(c)) return CHUNK_ERR_EXTENSION;
          break;
        case S_SIZE_LF:
          if (c !== LF) return CHUNK_ERR_LINE_ENDING;
          this.lineBytes = 0;
          if (this.size === 0) { this.state = S_TRAILER_START; break; }
          this.remaining = this.size;
          this.size = 0;
          this.state = S_DATA;
          break;
        case S_DATA_CR:
          if (c !== CR) return CHUNK_ERR_DATA_END;
          this.state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== LF) return CHUNK_ERR_DATA_END;
          this.state = S_SIZE_FIRST;
          break;
        case S_TRAILER_START:
          if (c === CR) { this.state = S_END_LF; break; }
          if (TOKEN[c] !== 1) return CHUNK_ERR_TRAILER;
          this.framingName = FRAMING_TRAILERS.findIndex((name) => name.charCodeAt(0) === (c | 0x20));
          this.framingAt = 1;
          this.state = S_TRAILER_NAME;
          break;
        case S_TRAILER_NAME:
          if (c === COLON) {
            if (this.framingName >= 0 && this.framingAt === FRAMING_TRAILERS[this.framingName].length) return CHUNK_ERR_TRAILER;
            this.state = S_TRAILER_VALUE;
          } else if (TOKEN[c] !== 1) return CHUNK_ERR_TRAILER;
          else if (this.framingName >= 0) {
            // Token bytes only here, so `| 0x20` lowers letters and leaves '-' as it is.
            const name = FRAMING_TRAILERS[this.framingName];
            this.framingName = this.framingAt < name.length && name.charCodeAt(this.framingAt) === (c | 0x20) ? this.framingName : -1;
            this.framingAt++;
          }
          break;
        case S_TRAILER_VALUE:
          if (c === CR) this.state = S_TRAILER_LF;
          else if (FIELD_VALUE[c] !== 1) return CHUNK_ERR_TRAILER;
          break;
        case S_TRAILER_LF:
          if (c !== LF) return CHUNK_ERR_TRAILER;
          this.state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== LF) return CHUNK_ERR_LINE_ENDING;
          this.state = S_DONE;
          return p;
        default: // S_DONE: the caller must not feed past the end
          return p - 1;
      }
      if (this.state <= S_SIZE_LF) {
        if (++this.lineBytes > this.limits.maxLineBytes) return CHUNK_ERR_TOO_LONG;
      } else if (this.state >= S_TRAILER_START && this.state <= S_TRAILER_LF) {
        if (++this.trailerBytes > this.limits.maxTrailerBytes) return CHUNK_ERR_TOO_LONG;
      }
    }
    return p;
  }

  /** After an extension: another `;`, or the CR that ends the line. */
  private endOfExtension(c: number): boolean {
    if (c === SEMICOLON) { this.state = S_EXT_NAME_FIRST; return true; }
    if (c === CR) { this.state = S_SIZE_LF; return true; }
    return false;
  }
}
