/**
 * The request head towards a backend, written as bytes straight into the worker's staging
 * buffer (shared/head-writer.ts: no string, no regex), with a small Buffer body appended to the
 * same write, and the framing of its body: the client's Content-Length when it declared one,
 * `Content-Length: 0` for an empty POST/PUT/PATCH (some backends answer 411 otherwise), chunked
 * for a streamed body of unknown length.
 *
 * Names and values are checked here, character by character as they are copied, whoever set
 * them (the client's head, a policy's set-header): a CR or LF in a value would let one request
 * smuggle another to the backend, and a character above U+00FF has no byte of its own (written
 * as latin1 its low byte would go instead: U+010A would become LF, a header line nobody wrote).
 * obs-text (0x80-0xFF) is forwarded byte for byte. Hop-by-hop names a policy may have put back
 * are dropped: this leg's framing is ours alone.
 */
import { Readable } from 'node:stream';
import { OutpostError } from '../../shared/errors.js';
import * as chars from '../../http1/chars.js';
import { HeadWriter, scratchWriter } from '../../shared/head-writer.js';
import { NATIVE_IO, NATIVE_IO_HEAD, nativeBufferIndex } from '../../shared/native-buffers.js';
import { nativeAddon } from '../native.js';
import { nativeMethodCode } from '../native-methods.js';
import type { UpstreamRequest } from './upstream-types.js';
/** chars.ts's constants as this module's own consts: TurboFan folds those into the byte loops, where an imported binding is loaded again at every use (see chars.ts). */
const { FIELD_VALUE, REQUEST_TARGET, TOKEN } = chars;

/** Body framing chosen by writeRequestHead. */
export const BODY_NONE = 0;
export const BODY_BUFFER = 1;
export const BODY_STREAM_LENGTH = 2;
export const BODY_STREAM_CHUNKED = 3;

export interface HeadResult {
  framing: number;
  /** Declared length of a streamed body (BODY_STREAM_LENGTH). */
  length: number;
}

/** Bytes besides names, values, method and path: the request line's, a framing line and the end. */
const FIXED_BYTES = 64;
/** Bytes per field besides its name and value: ": " and CRLF. */
const FIELD_BYTES = 4;

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (http1/chars.ts). */
const charCodeAt = String.prototype.charCodeAt;

/** `name` is `lower` in any ASCII case (no lower-cased copy: x-forwarded-proto, 17 long, came here on every request). */
function isNamed(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = charCodeAt.call(name, i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== charCodeAt.call(lower, i)) return false;
  }
  return true;
}

function invalid(what: string): OutpostError {
  return new OutpostError('OUTPOST_ERR_BACKEND_PROTOCOL', `cannot send the request: ${what}`);
}

/** Reused result object: the caller reads it before the next call (the worker is one thread). */
const result: HeadResult = { framing: BODY_NONE, length: -1 };

/** The most bytes writeRequestHead() writes for `req` (without the writer's slack). */
export function requestHeadBound(req: UpstreamRequest): number {
  const headers = req.headers;
  let n = FIXED_BYTES + req.method.length + req.path.length;
  for (let i = 0; i < headers.length; i += 2) n += headers[i].length + headers[i + 1].length + FIELD_BYTES;
  return n;
}

/** The addon's writer (native/src/request_fields.c), or null without it. */
const nativeWrite = nativeAddon()?.writeRequestFields ?? null;
/** Names and values the addon takes in one call (native/src/request_fields.c, MAX_STRINGS). */
const NATIVE_MAX_STRINGS = 32;
/** Argument lists by length, reused: the call goes through apply without an array a request. */
const nativeArgs: string[][] = Array.from({ length: NATIVE_MAX_STRINGS + 3 }, (_, n) => new Array<string>(n).fill(''));
/**
 * The code of a name the gateway itself writes on every request (handle-request.ts and
 * forwarding-headers.ts add Host, X-Request-Id and three X-Forwarded-* fields), 0 for any other;
 * the method's comes from native-methods.ts. The addon writes a coded text without copying the
 * string out of V8 (~175 instructions a string). The order is native/src/request_fields.c's
 * NAME_TEXT. A code stands only for a string equal to its text, so the bytes are the same
 * whichever way the addon gets them. By length first: one comparison at most for a name that is
 * none of them.
 */
function nameCode(name: string): number {
  switch (name.length) {
    case 4: return name === 'host' ? 1 : 0;
    case 12: return name === 'x-request-id' ? 2 : 0;
    case 15: return name === 'x-forwarded-for' ? 3 : 0;
    case 17: return name === 'x-forwarded-proto' ? 4 : 0;
    case 16: return name === 'x-forwarded-host' ? 5 : 0;
    default: return 0;
  }
}
/** Where the method's code goes in NATIVE_IO; one code a pair follows from NATIVE_IO_HEAD (request_fields.c, IO_METHOD_CODE and IO_NAME_CODES). */
const IO_METHOD_CODE = 4;

/** writeFieldsNative's answer when the addon did not write the head. */
export const DECLINED = -2;

/**
 * The request line and fields written by the addon, the same bytes as writeFields: the declared
 * Content-Length (-1: none), or DECLINED having written only scratch bytes, when the addon is not
 * loaded, `w` is not the staging buffer, or anything is not the plain case (then writeFields
 * writes the head, or throws the error for it). Counted in the gateway, ~8,900 instructions of
 * JavaScript for a plain GET's head.
 */
export function writeFieldsNative(req: UpstreamRequest, w: HeadWriter): number {
  const headers = req.headers;
  const count = headers.length;
  const id = nativeWrite === null || count > NATIVE_MAX_STRINGS ? -1 : nativeBufferIndex(w.buf);
  if (id < 0) return DECLINED;
  const args = nativeArgs[count + 2];
  args[0] = req.method;
  args[1] = req.path;
  for (let i = 0; i < count; i++) args[i + 2] = headers[i];
  const io = NATIVE_IO!;
  io[0] = id; io[1] = w.pos; io[2] = count;
  io[IO_METHOD_CODE] = nativeMethodCode(req.method);
  for (let i = 0; i < count; i += 2) io[NATIVE_IO_HEAD + (i >> 1)] = nameCode(headers[i]);
  const next = nativeWrite!.apply(undefined, args as [string, string, ...string[]]);
  if (next < 0) return DECLINED;
  w.pos = next;
  return io[3];
}

/** The request line and fields in JavaScript (any writer, every case): the declared Content-Length, or -1; throws for what cannot be sent. */
export function writeFields(req: UpstreamRequest, w: HeadWriter): number {
  const { method, path, headers } = req;
  if (method.length === 0 || !w.checked(method, TOKEN)) throw invalid('the method is not a token');
  w.text(' ');
  if (!w.checked(path, REQUEST_TARGET)) throw invalid('the path holds a space, a control byte or a character above U+00FF');
  w.text(' HTTP/1.1\r\n');
  let declared = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    const n = name.length;
    // Length first: only these lengths can be names this leg owns (content-length 14,
    // connection/keep-alive 10, transfer-encoding 17, upgrade 7).
    if (n === 14 || n === 10 || n === 17 || n === 7) {
      if (n === 14 && isNamed(name, 'content-length')) {
        if (!/^\d{1,15}$/.test(value) || (declared >= 0 && declared !== Number(value))) throw invalid('a bad content-length');
        if (declared >= 0) continue;
        declared = Number(value);
      } else if (isNamed(name, 'connection') || isNamed(name, 'keep-alive') || isNamed(name, 'transfer-encoding') || isNamed(name, 'upgrade')) {
        continue;
      }
    }
    if (n === 0 || !w.checked(name, TOKEN)) throw invalid(`header name ${JSON.stringify(name)}`);
    w.text(': ');
    if (!w.checked(value, FIELD_VALUE)) throw invalid(`a control byte in header ${name}`);
    w.crlf();
  }
  return declared;
}

/**
 * Writes the head of `req` into `w` (room for requestHeadBound() bytes). Throws an OutpostError
 * when a name, a value, the path or the declared length cannot be sent: then what was written
 * must be dropped (sendWritten() not called).
 */
export function writeRequestHead(req: UpstreamRequest, w: HeadWriter): HeadResult {
  const { method, body } = req;
  let declared = writeFieldsNative(req, w);
  if (declared === DECLINED) declared = writeFields(req, w);
  result.length = -1;
  if (body === null) {
    if (declared > 0) throw invalid('content-length without a body');
    if (declared < 0 && (method === 'POST' || method === 'PUT' || method === 'PATCH')) w.text('content-length: 0\r\n');
    result.framing = BODY_NONE;
  } else if (body instanceof Readable) {
    if (declared >= 0) { result.framing = BODY_STREAM_LENGTH; result.length = declared; } else {
      w.text('transfer-encoding: chunked\r\n');
      result.framing = BODY_STREAM_CHUNKED;
    }
  } else {
    if (declared >= 0 && declared !== body.length) throw invalid('the body length differs from content-length');
    if (declared < 0 && (body.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      w.text('content-length: ');
      w.uint(body.length);
      w.crlf();
    }
    result.framing = BODY_BUFFER;
  }
  w.crlf();
  return result;
}

let scratch: HeadWriter | null = null;

/** The head of `req` as latin1 text, with its framing (tests, and anything that wants the text). */
export function serializeHead(req: UpstreamRequest): HeadResult & { head: string } {
  const w = (scratch = scratchWriter(scratch, requestHeadBound(req) + 8));
  const r = writeRequestHead(req, w);
  return { head: w.latin1(0), framing: r.framing, length: r.length };
}
