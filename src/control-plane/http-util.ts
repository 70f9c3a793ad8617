/**
 * Small HTTP helpers for the control plane (node:http; its traffic is admin calls and one long
 * poll per gateway node, so the gateway's uWS machinery would buy nothing here).
 */
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
export function sendError(res: ServerResponse, code: ErrorCode, message?: string, extra: Record<string, unknown> = {}): void {
  const { status } = ERRORS[code];
  sendJson(res, status, { statusCode: status, message: message ?? ERRORS[code].message, ...extra }, { 'x-outpost-error': code });
}

export class BadRequest extends Error {}

/** The request body as JSON (an empty body is undefined). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
