/**
 * Parses a complete request head (RFC 9112 §3, §5, §6) into a reused ParsedRequest: the request
 * line, the field lines as offsets (scanFields), and the message framing. Anything two compliant
 * parsers could read differently is refused, so the bytes a backend receives are what llhttp
 * sees in the client's bytes, or the client gets a 4xx/5xx and the connection is closed.
 *
 * Strings are only made for what every request needs (method, target, Host); header values stay
 * offsets until someone asks.
 */
import { Buffer } from 'node:buffer';
import * as chars from './chars.js';
import { FieldList, scanFields, nameIs, FIELDS_OK, FIELDS_TOO_MANY } from './head-fields.js';
import { validTargetBytes, validAuthority, schemePrefixLength } from './request-target.js';
import { bufferNatives } from '../shared/buffer-natives.js';
import { METHODS, REQUEST_NAMES } from './field-strings.js';
import type { ErrorCode } from '../shared/errors.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { CR, SP, TOKEN, isTokenString } = chars;

/** Module-local on purpose (see shared/buffer-natives.ts and chars.ts): folded, called directly. */
const latin1Slice = bufferNatives.latin1Slice;
const toLowerCase = String.prototype.toLowerCase;


/** REQUEST_NAMES' entry for Host, whose value is remembered while it repeats. */
const HOST = REQUEST_NAMES.entries.indexOf('host');

/** Content-Length of more digits than this is never a body we would accept (and leaves exact integers). */
const MAX_LENGTH_DIGITS = 15;

export class ParsedRequest {
  buf: Buffer = Buffer.alloc(0);
  method = '';
  /** The target in origin form (path and query), ASCII; for absolute-form, what follows the authority. */
  target = '';
  /** Host, from the absolute-form authority or the Host field ('' for HTTP/1.0 without one). */
  host = '';
  versionMinor = 1;
  readonly fields: FieldList;
  /** Declared body length; -1 when none was declared. */
  contentLength = -1;
  chunked = false;
  keepAlive = true;
  expectContinue = false;
  /** Index of the Connection field(s) value, for hop-by-hop removal; -1 when absent. */
  connectionField = -1;
  headBytes = 0;

  constructor(maxFields: number) { this.fields = new FieldList(maxFields); }

  hasBody(): boolean { return this.chunked || this.contentLength > 0; }

  /** Field name i, lower-cased (names are tokens, so ASCII). */
  name(i: number): string {
    return toLowerCase.call(latin1Slice.call(this.buf, this.fields.nameStart(i), this.fields.nameEnd(i)));
  }

  /** REQUEST_NAMES' index of field i's name, or -1 when it is not one of the names listed there. */
  nameIndex(i: number): number {
    return REQUEST_NAMES.indexOf(this.buf, this.fields.nameStart(i), this.fields.nameEnd(i));
  }

  /** Field i's value, as value(i); `nameIndex` is nameIndex(i), so a value that repeats is not cut again. */
  knownValue(i: number, nameIndex: number): string {
    return REQUEST_NAMES.value(nameIndex, this.buf, this.fields.valueStart(i), this.fields.valueEnd(i));
  }

  /** Field value i as a latin1 string: one char per byte, so bytes ≥ 0x80 go out unchanged. */
  value(i: number): string {
    return latin1Slice.call(this.buf, this.fields.valueStart(i), this.fields.valueEnd(i));
  }

  nameIs(i: number, lower: string): boolean {
    return nameIs(this.buf, this.fields.nameStart(i), this.fields.nameEnd(i), lower);
  }
}

/**
 * Parses buf[start, headEnd) where headEnd is the CR of the empty line ending the head (see
 * HeadEndFinder: line endings are already known to be CRLF). Returns null or the error code.
 */
export function parseRequestHead(buf: Buffer, start: number, headEnd: number, out: ParsedRequest): ErrorCode | null {
  out.buf = buf;
  out.headBytes = headEnd - start;
  out.contentLength = -1;
  out.chunked = false;
  out.expectContinue = false;
  out.connectionField = -1;
  out.host = '';
  out.fields.count = 0;

  // Request line: method SP request-target SP HTTP-version CRLF, single spaces.
  let p = start;
  while (TOKEN[buf[p]] === 1) p++;
  if (p === start || buf[p] !== SP) return 'OUTPOST_ERR_BAD_REQUEST_LINE';
  out.method = METHODS.text(buf, start, p);
  const targetStart = ++p;
  while (p < headEnd && buf[p] !== SP && buf[p] !== CR) p++;
  const targetEnd = p;
  if (targetEnd === targetStart || buf[p] !== SP || !validTargetBytes(buf, targetStart, targetEnd)) return 'OUTPOST_ERR_BAD_REQUEST_LINE';
  p++;
  const version = versionAt(buf, p);
  if (version < 0) return version === -2 ? 'OUTPOST_ERR_HTTP_VERSION_NOT_SUPPORTED' : 'OUTPOST_ERR_BAD_REQUEST_LINE';
  out.versionMinor = version;
  p += 8;
  if (buf[p] !== CR) return 'OUTPOST_ERR_BAD_REQUEST_LINE';
  p += 2;

  const targetError = readTarget(buf, targetStart, targetEnd, out);
  if (targetError !== null) return targetError;

  const scanned = scanFields(buf, p, headEnd, out.fields);
  if (scanned !== FIELDS_OK) return scanned === FIELDS_TOO_MANY ? 'OUTPOST_ERR_HEADERS_TOO_LARGE' : 'OUTPOST_ERR_BAD_HEADER';
  return readFraming(buf, out);
}

/** "HTTP/1.1" → 1, "HTTP/1.0" → 0; -2 for another well-formed version, -1 when malformed. */
function versionAt(buf: Uint8Array, p: number): number {
  if (buf[p] !== 0x48 || buf[p + 1] !== 0x54 || buf[p + 2] !== 0x54 || buf[p + 3] !== 0x50 || buf[p + 4] !== 0x2f) return -1;
  const major = buf[p + 5];
  const dot = buf[p + 6];
  const minor = buf[p + 7];
  if (major < 0x30 || major > 0x39 || dot !== 0x2e || minor < 0x30 || minor > 0x39) return -1;
  if (major === 0x31 && (minor === 0x31 || minor === 0x30)) return minor - 0x30;
  return -2;
}

function readTarget(buf: Buffer, start: number, end: number, out: ParsedRequest): ErrorCode | null {
  const first = buf[start];
  if (first === 0x2f /* / */) { out.target = latin1Slice.call(buf, start, end); return null; }
  if (first === 0x2a /* * */ && end - start === 1) {
    if (out.method !== 'OPTIONS') return 'OUTPOST_ERR_BAD_REQUEST_LINE';
    out.target = '*';
    return null;
  }
  // absolute-form: its authority is the request's host (RFC 9112 §3.2.2).
  const scheme = schemePrefixLength(buf, start, end);
  if (scheme === 0) return 'OUTPOST_ERR_BAD_REQUEST_LINE';
  const authorityStart = start + scheme;
  let p = authorityStart;
  while (p < end && buf[p] !== 0x2f && buf[p] !== 0x3f /* ? */) p++;
  if (!validAuthority(buf, authorityStart, p)) return 'OUTPOST_ERR_BAD_HOST';
  out.host = latin1Slice.call(buf, authorityStart, p);
  out.target = p === end ? '/' : buf[p] === 0x3f ? '/' + latin1Slice.call(buf, p, end) : latin1Slice.call(buf, p, end);
  return null;
}

/** Host, Content-Length, Transfer-Encoding, Connection and Expect (RFC 9112 §3.2, §6; RFC 9110 §10.1.1). */
function readFraming(buf: Buffer, out: ParsedRequest): ErrorCode | null {
  const fields = out.fields;
  let hostCount = 0;
  let hostValue = '';
  let te = '';
  let teSeen = false;
  let close = false;
  let keepAliveToken = false;
  for (let i = 0; i < fields.count; i++) {
    const nameLength = fields.nameEnd(i) - fields.nameStart(i);
    // Dispatch on the name's length first: most fields are none of these five.
    if (nameLength === 4 && out.nameIs(i, 'host')) {
      if (++hostCount > 1) return 'OUTPOST_ERR_BAD_HOST';
      if (!validAuthority(buf, fields.valueStart(i), fields.valueEnd(i))) return 'OUTPOST_ERR_BAD_HOST';
      // Remembered like the other repeating values (field-strings.ts): clients send one Host.
      hostValue = out.knownValue(i, HOST);
    } else if (nameLength === 14 && out.nameIs(i, 'content-length')) {
      if (out.contentLength !== -1 || tabAfter(buf, fields.valueEnd(i))) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
      const length = decimal(buf, fields.valueStart(i), fields.valueEnd(i));
      if (length === -1) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
      // More digits than any length we could represent exactly: malformed, not merely large.
      if (length === -2) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
      out.contentLength = length;
    } else if (nameLength === 17 && out.nameIs(i, 'transfer-encoding')) {
      if (tabAfter(buf, fields.valueEnd(i))) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
      te = teSeen ? `${te},${out.value(i)}` : out.value(i);
      teSeen = true;
    } else if (nameLength === 10 && out.nameIs(i, 'connection')) {
      out.connectionField = i;
      for (const token of out.value(i).toLowerCase().split(',')) {
        const t = token.trim();
        if (t === 'close') close = true;
        else if (t === 'keep-alive') keepAliveToken = true;
      }
    } else if (nameLength === 6 && out.nameIs(i, 'expect')) {
      if (out.value(i).toLowerCase() !== '100-continue') return 'OUTPOST_ERR_EXPECTATION_FAILED';
      out.expectContinue = true;
    }
  }
  if (out.host === '') out.host = hostValue;
  if (out.versionMinor === 1) {
    if (hostCount === 0) return 'OUTPOST_ERR_BAD_HOST';
    out.keepAlive = !close;
  } else {
    out.keepAlive = keepAliveToken && !close;
    out.expectContinue = false; // a 1.0 client does not wait for 100 (RFC 9110 §10.1.1)
  }
  // An empty Transfer-Encoding is still one: transferCodings refuses its empty coding (400).
  if (teSeen) {
    if (out.versionMinor === 0 || out.contentLength !== -1) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
    const coding = transferCodings(te);
    if (coding !== null) return coding;
    out.chunked = true;
  }
  return null;
}

/**
 * True when the whitespace after a field's value (from `p`, its trimmed end, to the line's CR)
 * holds a tab. RFC 9112 lets optional whitespace be SP or HTAB, but llhttp refuses a tab after a
 * Content-Length or Transfer-Encoding value (`chunked<TAB>`, `5<TAB>`), and so may the proxies in
 * front of the gateway or behind it; a proxy that reads a framing field one way where another
 * refuses or ignores it is how requests are smuggled, so Outpost refuses these too (400).
 */
function tabAfter(buf: Uint8Array, p: number): boolean {
  for (; buf[p] === 0x20 || buf[p] === 0x09; p++) if (buf[p] === 0x09) return true;
  return false;
}

/** 1*DIGIT → its value; -1 when malformed (empty, sign, list, space inside), -2 when too long. */
function decimal(buf: Uint8Array, start: number, end: number): number {
  if (end === start) return -1;
  let value = 0;
  for (let p = start; p < end; p++) {
    const d = buf[p] - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return end - start > MAX_LENGTH_DIGITS ? -2 : value;
}


/**
 * Transfer-Encoding (all fields as one list): exactly `chunked` is accepted. `chunked` not last
 * (or twice, or an empty or malformed list) is a framing error, 400 (RFC 9112 §6.3); any other
 * coding before `chunked` (gzip, an unknown one) is one we do not implement, 501 (§6.1).
 */
function transferCodings(list: string): ErrorCode | null {
  const codings = list.split(',');
  const last = codings[codings.length - 1].trim().toLowerCase();
  if (last !== 'chunked') return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
  if (codings.length === 1) return null;
  for (let i = 0; i < codings.length - 1; i++) {
    const c = codings[i].trim().toLowerCase();
    if (c === 'chunked' || !isTokenString(c)) return 'OUTPOST_ERR_BAD_REQUEST_FRAMING';
  }
  return 'OUTPOST_ERR_UNSUPPORTED_TRANSFER_CODING';
}
