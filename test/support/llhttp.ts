/**
 * llhttp, the parser inside node:http, driven directly on raw bytes: the reference the request
 * parser is compared with case by case. It is reached through node's internal `_http_common`
 * module, present on Node 20, 22 and 24 (`process.binding('http_parser')` is gone in Node 24).
 */
import { createRequire } from 'node:module';

interface HTTPParserCtor {
  new (): HTTPParserInstance;
  REQUEST: number;
  kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number;
}
interface HTTPParserInstance {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buf: Buffer): number | Error & { code?: string };
  [key: number]: unknown;
}

export interface ReferenceMessage { method: string; target: string; version: string; headers: string[]; body: Buffer; complete: boolean; keepAlive: boolean }
export interface ReferenceResult { error: string | null; messages: ReferenceMessage[] }

/** llhttp as node:http uses it: `_http_common` exports the parser on Node 20, 22 and 24 (process.binding('http_parser') is gone in 24). */
const binding = createRequire(import.meta.url)('_http_common') as { HTTPParser: HTTPParserCtor; methods: string[] };

/** Parses every request in `bytes` with llhttp (no lenient flags). */
export function llhttpParse(bytes: Buffer): ReferenceResult {
  const { HTTPParser, methods } = binding;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 1 << 20, 0); // 1 MiB heads: size limits are not what is compared
  const messages: ReferenceMessage[] = [];
  let pending: string[] = [];
  let url = '';
  let body: Buffer[] = [];
  parser[HTTPParser.kOnHeaders] = (h: string[], u: string) => { pending.push(...h); url += u; };
  parser[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, u: string | undefined, _s: unknown, _m: unknown, _up: unknown, keepAlive: boolean) => {
    body = [];
    messages.push({ method: methods[method], target: u ?? url, version: `${major}.${minor}`, headers: headers ?? pending, body: Buffer.alloc(0), complete: false, keepAlive });
    pending = [];
    url = '';
  };
  parser[HTTPParser.kOnBody] = (b: Buffer, start?: number, len?: number) => { body.push(Buffer.from(start === undefined ? b : b.subarray(start, start + len!))); };
  // Trailer fields come through kOnHeaders after the body: they belong to no request's head.
  parser[HTTPParser.kOnMessageComplete] = () => { const m = messages.at(-1)!; m.body = Buffer.concat(body); m.complete = true; pending = []; url = ''; };
  const r = parser.execute(bytes);
  return { error: r instanceof Error ? (r.code ?? 'ERROR') : null, messages };
}
