/**
 * Small HTTP helpers for the control plane (node:http; its traffic is admin calls and one long
 * poll per gateway node, so the gateway's uWS machinery would buy nothing here).
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, type ErrorCode } from '../shared/errors.js';

/** Admin documents are small; a bound keeps a bad client from filling memory. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** APIM's error shape `{ statusCode, message }` plus the code in `x-outpost-error`. */
export function sendError(res: ServerResponse, code: ErrorCode, message?: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): void {
  const { status } = ERRORS[code];
  sendJson(res, status, { statusCode: status, message: message ?? ERRORS[code].message, ...extra }, { 'x-outpost-error': code, ...headers });
}

/** 429 while an address is throttled after failed credentials (auth-throttle.ts). */
export function sendThrottled(res: ServerResponse, retryAfterSeconds: number): void {
  sendError(res, 'OUTPOST_ERR_AUTH_THROTTLED', undefined, {}, { 'retry-after': String(retryAfterSeconds) });
}

export class BadRequest extends Error {}

/** A body over its limit: answered 413 with `Connection: close`, and the connection is not read further. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) { super(`the body is larger than ${limit} bytes`); }
}

/**
 * 413 and close: the rest of the oversized body (and anything pipelined behind it) is never
 * parsed as a request. The socket is ended once the response is written.
 */
export function sendBodyTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  req.unpipe();
  req.pause();
  // Node detaches the socket from the response once it is done: hold on to it first.
  const socket = res.socket ?? req.socket;
  if (!res.headersSent) {
    res.shouldKeepAlive = false;
    sendError(res, 'OUTPOST_ERR_BODY_TOO_LARGE', `Request body too large: the limit is ${limit} bytes`, {}, { connection: 'close' });
  }
  if (socket === null) return;
  lingerBeforeClose(socket);
  if (res.writableFinished) socket.end();
  else res.once('finish', () => socket.end());
}

/** How long a refused connection stays open, unread, after its 413 and FIN. */
const LINGER_MS = 2_000;

/**
 * Closing a socket that still holds unread bytes (the rest of the refused body) makes the kernel
 * send a reset, and a reset that reaches the client before it has read the 413 discards it: the
 * client then sees only "connection reset". So the server half-closes now (FIN after the 413) and
 * closes the socket when the client closes its side or after LINGER_MS, instead of at once (Node's
 * http server calls destroySoon() once a `Connection: close` response is written). Nothing more is
 * read, so nothing behind the body is ever parsed.
 */
function lingerBeforeClose(socket: Socket): void {
  socket.destroySoon = function lingering(this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

/** The request body as JSON (an empty body is undefined). */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readText(req, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The body as UTF-8 text, bounded as readBytes. */
export async function readText(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return (await readBytes(req, limit)).toString('utf8');
}

/**
 * Refuses before reading when Content-Length already says too much; counts bytes otherwise
 * (chunked). Events rather than `for await`: leaving that loop destroys the request, and with it
 * the socket the 413 has to go out on.
 */
export function readBytes(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  if (declaredLength(req) > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) { chunks.push(chunk); return; }
      req.off('data', onData);
      req.pause();
      reject(new BodyTooLarge(limit));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Content-Length as a number (0 when absent; node has already refused malformed ones). */
export function declaredLength(req: IncomingMessage): number {
  const value = req.headers['content-length'];
  return value === undefined ? 0 : Number(value);
}
