/**
 * The request head towards a backend, as one latin1 string written in one call (with a small
 * Buffer body appended to the same write), and the framing of its body: the client's
 * Content-Length when it declared one, `Content-Length: 0` for an empty POST/PUT/PATCH (some
 * backends answer 411 otherwise), chunked for a streamed body of unknown length.
 *
 * Names and values are checked here, whoever set them (the client's head, a policy's
 * set-header): a CR or LF in a value would let one request smuggle another to the backend.
 * Hop-by-hop names a policy may have put back are dropped: this leg's framing is ours alone.
 */
import { Readable } from 'node:stream';
import { OutpostError } from '../../shared/errors.js';
import { isTokenString } from '../../http1/chars.js';
import type { UpstreamRequest } from './upstream-types.js';

/** Body framing chosen by serializeHead. */
export const BODY_NONE = 0;
export const BODY_BUFFER = 1;
export const BODY_STREAM_LENGTH = 2;
export const BODY_STREAM_CHUNKED = 3;

export interface HeadResult {
  head: string;
  framing: number;
  /** Declared length of a streamed body (BODY_STREAM_LENGTH). */
  length: number;
}

/**
 * What a field value may not hold: a control byte but HTAB, DEL, or a character above U+00FF
 * (obs-text, 0x80-0xFF, is forwarded byte for byte). The head is written as latin1, one byte per
 * character: a character above U+00FF has no byte of its own, and its low byte would be written
 * instead, so U+010A would become LF, a header line nobody wrote.
 */
const BAD_VALUE = /[\0-\x08\x0a-\x1f\x7f\u0100-\uffff]/;
/** The request target: as a value, and no SP or HTAB either (they would end it). */
const BAD_PATH = /[\0-\x20\x7f\u0100-\uffff]/;

function invalid(what: string): OutpostError {
  return new OutpostError('OUTPOST_ERR_BACKEND_PROTOCOL', `cannot send the request: ${what}`);
}

/** Reused result object: the caller reads it before the next call (the worker is one thread). */
const result: HeadResult = { head: '', framing: BODY_NONE, length: -1 };

/** Throws an OutpostError when a name, a value or the declared length cannot be sent. */
export function serializeHead(req: UpstreamRequest): HeadResult {
  const { method, path, headers, body } = req;
  if (BAD_PATH.test(path)) throw invalid('the path holds a space, a control byte or a character above U+00FF');
  if (!isTokenString(method)) throw invalid('the method is not a token');
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let declared = -1;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    const n = name.length;
    // Length first: only these lengths can be names this leg owns (content-length 14,
    // connection/keep-alive 10, transfer-encoding 17, upgrade 7).
    if (n === 14 || n === 10 || n === 17 || n === 7) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (declared >= 0 && declared !== Number(value))) throw invalid('a bad content-length');
        if (declared >= 0) continue;
        declared = Number(value);
      } else if (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding' || lower === 'upgrade') {
        continue;
      }
    }
    if (!isTokenString(name)) throw invalid(`header name ${JSON.stringify(name)}`);
    if (BAD_VALUE.test(value)) throw invalid(`a control byte in header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  result.length = -1;
  if (body === null) {
    if (declared > 0) throw invalid('content-length without a body');
    if (declared < 0 && (method === 'POST' || method === 'PUT' || method === 'PATCH')) head += 'content-length: 0\r\n';
    result.framing = BODY_NONE;
  } else if (body instanceof Readable) {
    if (declared >= 0) { result.framing = BODY_STREAM_LENGTH; result.length = declared; } else {
      head += 'transfer-encoding: chunked\r\n';
      result.framing = BODY_STREAM_CHUNKED;
    }
  } else {
    if (declared >= 0 && declared !== body.length) throw invalid('the body length differs from content-length');
    if (declared < 0 && (body.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH')) head += `content-length: ${body.length}\r\n`;
    result.framing = BODY_BUFFER;
  }
  result.head = `${head}\r\n`;
  return result;
}
