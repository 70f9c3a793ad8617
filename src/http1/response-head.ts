/**
 * The head of a backend's response (RFC 9112 §4 status line, §5 fields, §6 framing headers),
 * parsed in place from the receive buffer: fields are offsets (head-fields.ts), and only the
 * framing headers (Content-Length, Transfer-Encoding, Connection, Keep-Alive) are interpreted.
 *
 * Strict where a lenient reading could let the gateway and a backend disagree on where a
 * response ends: a Content-Length that is not 1*DIGIT, two different lengths, Transfer-Encoding
 * with Content-Length, a transfer coding other than exactly `chunked` (the gateway does not
 * decode gzip or deflate codings, so forwarding them would corrupt the body), Transfer-Encoding
 * on an HTTP/1.0 response (RFC 9112 §6.1: faulty framing) are all refused.
 */
import { FieldList, scanFields, nameIs, FIELDS_OK, lastScanWasNative } from './head-fields.js';
import { NATIVE_IO, NATIVE_IO_CODES, NATIVE_IO_FRAMING } from '../shared/native-buffers.js';
import * as chars from './chars.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { FIELD_VALUE, CR, LF, SP, HTAB } = chars;

export const HEAD_OK = 0;
export const HEAD_BAD_STATUS_LINE = 1;
export const HEAD_BAD_FIELDS = 2;
export const HEAD_BAD_CONTENT_LENGTH = 3;
export const HEAD_BAD_TRANSFER_ENCODING = 4;

/** Longest Content-Length accepted: 15 digits stays within the exact integer range. */
const MAX_LENGTH_DIGITS = 15;

export class ResponseHead {
  statusCode = 0;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor = 1;
  reasonStart = 0;
  reasonEnd = 0;
  readonly fields: FieldList;
  /** -1 when absent. */
  contentLength = -1;
  chunked = false;
  connectionClose = false;
  connectionKeepAlive = false;
  /** `Keep-Alive: timeout=N` in seconds, -1 when absent. */
  keepAliveTimeoutSec = -1;
  /** Why the head was refused (a FIELDS_* code for HEAD_BAD_FIELDS), for logs. */
  detail = 0;
  /** The head's bytes in the buffer it was parsed from: [start, end) up to the CR of the empty line. */
  start = 0;
  end = 0;
  /**
   * What the proxy exchange does with each field (FIELD_* of gateway/upstream/response-field-codes.ts), as
   * the addon classified them while it scanned; null when it did not, or when a Connection field
   * names other fields (then the exchange reads the fields itself).
   */
  fieldCodes: Uint8Array | null = null;
  private readonly codes: Uint8Array;

  constructor(maxFields: number) {
    this.fields = new FieldList(maxFields);
    this.codes = new Uint8Array(maxFields);
  }

  private reset(): void {
    this.statusCode = 0;
    this.versionMinor = 1;
    this.contentLength = -1;
    this.chunked = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.keepAliveTimeoutSec = -1;
    this.detail = 0;
    this.fields.count = 0;
    this.fieldCodes = null;
  }

  /**
   * Parses buf[start, end) where `end` is the index of the CR of the empty line ending the head.
   * Returns a HEAD_* code.
   */
  parse(buf: Uint8Array, start: number, end: number): number {
    this.reset();
    this.start = start;
    this.end = end;
    // "HTTP/1.x SP 3DIGIT" then SP reason or nothing, then CRLF.
    if (end - start < 12) return HEAD_BAD_STATUS_LINE;
    if (buf[start] !== 0x48 || buf[start + 1] !== 0x54 || buf[start + 2] !== 0x54 || buf[start + 3] !== 0x50
      || buf[start + 4] !== 0x2f || buf[start + 5] !== 0x31 || buf[start + 6] !== 0x2e) return HEAD_BAD_STATUS_LINE;
    const minor = buf[start + 7];
    if (minor !== 0x30 && minor !== 0x31) return HEAD_BAD_STATUS_LINE;
    this.versionMinor = minor - 0x30;
    if (buf[start + 8] !== SP) return HEAD_BAD_STATUS_LINE;
    const d0 = buf[start + 9] - 0x30, d1 = buf[start + 10] - 0x30, d2 = buf[start + 11] - 0x30;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return HEAD_BAD_STATUS_LINE;
    this.statusCode = d0 * 100 + d1 * 10 + d2;
    let p = start + 12;
    if (buf[p] === SP) {
      p++;
      this.reasonStart = p;
      while (p < end && FIELD_VALUE[buf[p]] === 1) p++;
      this.reasonEnd = p;
    } else {
      this.reasonStart = this.reasonEnd = p;
    }
    // The status line ends at the first CRLF; the head's own end counts when there are no fields.
    if (p === end) return HEAD_OK;
    if (buf[p] !== CR || buf[p + 1] !== LF) return HEAD_BAD_STATUS_LINE;
    const scanned = scanFields(buf, p + 2, end, this.fields, this.versionMinor);
    if (scanned !== FIELDS_OK) { this.detail = scanned; return HEAD_BAD_FIELDS; }
    // The addon read the framing fields as it scanned (native/src/head_fields.c, read_response_fields).
    if (lastScanWasNative && NATIVE_IO![NATIVE_IO_FRAMING + 1] === 1) return this.takeNativeFraming(NATIVE_IO!);
    return this.readFramingFields(buf);
  }

  /** What the addon's read_response_fields wrote (native-buffers.ts, NATIVE_IO_FRAMING): readFramingFields' results and code. */
  private takeNativeFraming(io: Int32Array): number {
    const f = NATIVE_IO_FRAMING;
    const flags = io[f + 4];
    this.contentLength = io[f + 3];
    this.chunked = (flags & 1) !== 0;
    this.connectionClose = (flags & 2) !== 0;
    this.connectionKeepAlive = (flags & 4) !== 0;
    this.keepAliveTimeoutSec = io[f + 5];
    if ((flags & 8) === 0) {
      const codes = this.codes;
      for (let i = 0, n = this.fields.count; i < n; i++) codes[i] = io[NATIVE_IO_CODES + i];
      this.fieldCodes = codes;
    }
    return io[f + 2];
  }

  private readFramingFields(buf: Uint8Array): number {
    const f = this.fields;
    let transferEncoding = false;
    for (let i = 0; i < f.count; i++) {
      const ns = f.nameStart(i), ne = f.nameEnd(i);
      const len = ne - ns;
      // Length first: most fields are none of these four, and are rejected by one comparison.
      if (len === 14 && nameIs(buf, ns, ne, 'content-length')) {
        if (tabAfter(buf, f.valueEnd(i))) return HEAD_BAD_CONTENT_LENGTH;
        const n = parseLength(buf, f.valueStart(i), f.valueEnd(i));
        if (n < 0 || (this.contentLength >= 0 && this.contentLength !== n)) return HEAD_BAD_CONTENT_LENGTH;
        this.contentLength = n;
      } else if (len === 17 && nameIs(buf, ns, ne, 'transfer-encoding')) {
        // Only a single `chunked` coding, once: anything else would need decoding we do not do.
        if (transferEncoding || tabAfter(buf, f.valueEnd(i))
          || !valueIsToken(buf, f.valueStart(i), f.valueEnd(i), 'chunked')) return HEAD_BAD_TRANSFER_ENCODING;
        transferEncoding = true;
      } else if (len === 10 && nameIs(buf, ns, ne, 'connection')) {
        this.readConnection(buf, f.valueStart(i), f.valueEnd(i));
      } else if (len === 10 && nameIs(buf, ns, ne, 'keep-alive')) {
        this.keepAliveTimeoutSec = keepAliveTimeout(buf, f.valueStart(i), f.valueEnd(i));
      }
    }
    if (transferEncoding) {
      if (this.contentLength >= 0 || this.versionMinor === 0) return HEAD_BAD_TRANSFER_ENCODING;
      this.chunked = true;
    }
    return HEAD_OK;
  }

  /** Connection is a comma-separated token list; only `close` and `keep-alive` matter here. */
  private readConnection(buf: Uint8Array, start: number, end: number): void {
    let p = start;
    while (p < end) {
      while (p < end && (buf[p] === SP || buf[p] === HTAB || buf[p] === 0x2c)) p++;
      const t = p;
      while (p < end && buf[p] !== 0x2c && buf[p] !== SP && buf[p] !== HTAB) p++;
      if (p - t === 5 && nameIs(buf, t, p, 'close')) this.connectionClose = true;
      else if (p - t === 10 && nameIs(buf, t, p, 'keep-alive')) this.connectionKeepAlive = true;
    }
  }
}

/**
 * HTAB in the OWS after a framing value. Valid OWS, but llhttp (and so Node's peers) does not
 * trim it there: it refuses such a Content-Length and reads "chunked<HTAB>" as an unknown coding
 * (body until close). Two parsers framing one response differently is the smuggling shape, so
 * Outpost refuses both.
 */
function tabAfter(buf: Uint8Array, valueEnd: number): boolean {
  for (let p = valueEnd; buf[p] !== CR; p++) if (buf[p] === HTAB) return true;
  return false;
}

/** 1*DIGIT, at most MAX_LENGTH_DIGITS; -1 otherwise (lists such as "5, 5" included). */
function parseLength(buf: Uint8Array, start: number, end: number): number {
  if (end === start || end - start > MAX_LENGTH_DIGITS) return -1;
  let n = 0;
  for (let p = start; p < end; p++) {
    const d = buf[p] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function valueIsToken(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  return nameIs(buf, start, end, lower);
}

/** `timeout=N` in a Keep-Alive value (`timeout=5, max=100`), or -1. */
function keepAliveTimeout(buf: Uint8Array, start: number, end: number): number {
  for (let p = start; p + 8 <= end; p++) {
    if ((p === start || buf[p - 1] === 0x2c || buf[p - 1] === SP) && nameIs(buf, p, p + 8, 'timeout=')) {
      let n = 0, q = p + 8;
      const first = q;
      while (q < end && buf[q] >= 0x30 && buf[q] <= 0x39 && q - first < 9) n = n * 10 + buf[q++] - 0x30;
      return q === first ? -1 : n;
    }
  }
  return -1;
}
