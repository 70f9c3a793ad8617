/**
 * Runs the same response bytes through Outpost's response parser and through llhttp (Node 20's
 * own HTTP parser, reached through node's `_http_common` module, set up as a RESPONSE parser
 * with no lenient flags), fed in the same pieces and then closed, and reduces each run to one
 * comparable outcome: verdict, status, header list, body bytes, keep-alive decision.
 *
 * The model is the gateway's: one request was sent, one final response is expected; interim
 * (1xx) responses are skipped, 101 is a refusal, and any byte after the final response (a second
 * response included: Outpost never pipelines) is a framing error.
 */
import { createRequire } from 'node:module';
import { ResponseParser, type ResponseSink } from '../../src/http1/response-parser.js';

export interface Outcome {
  verdict: 'accept' | 'reject';
  status: number;
  headers: string[];
  body: string;
  keepAlive: boolean;
}

const REJECT: Outcome = { verdict: 'reject', status: 0, headers: [], body: '', keepAlive: false };

/** Split `wire` at the given offsets (sorted, inside the buffer). */
function pieces(wire: Buffer, splits: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const s of splits) { if (s > at && s < wire.length) { out.push(wire.subarray(at, s)); at = s; } }
  out.push(wire.subarray(at));
  return out;
}

export function runOutpost(wire: Buffer, isHead: boolean, splits: number[] = [], pauseEvery = 0): Outcome {
  let status = 0;
  let headers: string[] = [];
  const body: Buffer[] = [];
  let ended = false;
  let keepAlive = false;
  let bodyCalls = 0;
  const sink: ResponseSink = {
    onResponseHead(p, buf) {
      status = p.head.statusCode;
      const f = p.head.fields;
      headers = [];
      for (let i = 0; i < f.count; i++) {
        headers.push(buf.toString('latin1', f.nameStart(i), f.nameEnd(i)), buf.toString('latin1', f.valueStart(i), f.valueEnd(i)));
      }
      return true;
    },
    onResponseBody(buf, start, end) {
      body.push(Buffer.from(buf.subarray(start, end)));
      return pauseEvery === 0 || ++bodyCalls % pauseEvery !== 0;
    },
    onResponseEnd(k) { ended = true; keepAlive = k; },
  };
  const parser = new ResponseParser(sink);
  parser.begin(isHead);
  for (const piece of pieces(wire, splits)) {
    // Copy each piece into its own buffer, as a socket would deliver it.
    const buf = Buffer.from(piece);
    let at = 0;
    // Bounded: every call but the last consumes at least one byte (a pause resumes at once here).
    for (let guard = 0; guard <= buf.length + 1; guard++) {
      const r = parser.execute(buf, at, buf.length);
      if (r < 0) return REJECT;
      if (r === buf.length) {
        // A pause on the last body bytes leaves the end pending until the next call, as after resume().
        if (parser.execute(buf, r, r) < 0) return REJECT;
        break;
      }
      at = r;
    }
  }
  if (parser.finish() < 0) return REJECT;
  if (!ended) return REJECT;
  return { verdict: 'accept', status, headers, body: Buffer.concat(body).toString('latin1'), keepAlive };
}

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(buf: Buffer): number | Error;
  finish(): undefined | Error;
  close(): void;
  [key: number]: unknown;
}
interface LlhttpBinding {
  HTTPParser: {
    new(): LlhttpParser;
    RESPONSE: number;
    kOnMessageBegin: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number;
  };
}
/** node:http's llhttp, through `_http_common` (process.binding('http_parser') is gone in Node 24). */
const binding = createRequire(import.meta.url)('_http_common') as LlhttpBinding;

export function runLlhttp(wire: Buffer, isHead: boolean, splits: number[] = []): Outcome {
  const { HTTPParser } = binding;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, 64 * 1024, 0);
  let status = 0;
  let headers: string[] = [];
  let partialHeaders: string[] = [];
  const body: Buffer[] = [];
  let finalDone = false;
  let extra = false;
  let upgrade = false;
  let keepAlive = false;
  let currentFinal = false;
  parser[HTTPParser.kOnMessageBegin] = () => { if (finalDone) extra = true; };
  parser[HTTPParser.kOnHeaders] = (h: string[]) => { partialHeaders.push(...h); };
  parser[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, h: string[] | undefined, _m: unknown, _u: unknown,
    statusCode: number, _sm: string, up: boolean, shouldKeepAlive: boolean): number => {
    const all = [...partialHeaders, ...(h ?? [])];
    partialHeaders = [];
    if (finalDone) { extra = true; return 0; }
    if (statusCode === 101 || up) { upgrade = true; return 2; }
    currentFinal = statusCode >= 200;
    if (!currentFinal) return 0;
    status = statusCode;
    headers = all;
    keepAlive = shouldKeepAlive;
    return isHead ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (b: Buffer) => { if (currentFinal && !finalDone) body.push(Buffer.from(b)); };
  parser[HTTPParser.kOnMessageComplete] = () => { if (currentFinal) finalDone = true; };
  try {
    for (const piece of pieces(wire, splits)) {
      const r = parser.execute(Buffer.from(piece));
      if (r instanceof Error || upgrade || extra) return REJECT;
    }
    const f = parser.finish();
    if (f instanceof Error || extra || upgrade || !finalDone) return REJECT;
    // llhttp's keep-alive flag is the parser's; the connection is still closed after EOF framing.
    return { verdict: 'accept', status, headers, body: Buffer.concat(body).toString('latin1'), keepAlive };
  } finally {
    parser.close();
  }
}
