/**
 * Differential fuzzing of the request side (head-end finder, request-head parser, chunked decoder)
 * against llhttp: seeded, so a failing case number reproduces. Each case is one to three pipelined
 * requests (no body, Content-Length or chunked; HTTP/1.1 or 1.0; a few common fields), a few
 * mutations (lengths off by one or doubled, Transfer-Encoding beside or instead of a length, chunk
 * size edits, header-name case and whitespace, obs-fold, stray CR/LF/NUL/space bytes, truncation,
 * trailing bytes; the framing fields' names and values bent as smuggling write-ups bend them,
 * overlong chunk sizes and extensions, chunk and trailer line endings, framing fields among the
 * trailers), and a feed of the bytes in pieces of a random size, as reads arrive.
 *
 * What must hold, for a front end that can never be desynchronised: every request Outpost
 * completes, llhttp completes too, with the same method, target, field list, body bytes and
 * keep-alive decision; and where Outpost still waits for bytes, llhttp has not completed a request
 * there either (Outpost would take the next request's bytes as body). Outpost may refuse what
 * llhttp accepts (it is stricter on purpose: request-parser.test.ts lists where); it may never
 * accept what llhttp refuses, with one documented exception, valid HTTP and no framing question:
 * a method that is a valid token but not one llhttp knows (`put`, `options`: methods are
 * case-sensitive, RFC 9110 §9.1), which Outpost passes on as it came, frames by its fields like
 * any other and routes only to operations of method `*`, where llhttp refuses every method outside
 * its list. (Keep-alive may differ where a Connection value holds a tab: `same`.)
 * How the bytes are split must not change Outpost's answer.
 *
 * What it found, each refused by Outpost now as llhttp refuses it: a tab after a Content-Length or
 * Transfer-Encoding value (`chunked<TAB>`, read as optional whitespace), and a Content-Length or
 * Transfer-Encoding among a chunked body's trailer fields (dropped unread). It also found the 414
 * or 400 for an overlong request line depending on how the line was split into reads.
 */
import { METHODS } from 'node:http';
import { HeadEndFinder, HEAD_INCOMPLETE } from '../../src/http1/head-end.js';
import { ParsedRequest, parseRequestHead } from '../../src/http1/request-parser.js';
import { ChunkedDecoder } from '../../src/http1/chunked-decoder.js';
import { llhttpParse } from './llhttp.js';
import { mulberry32 } from '../conformance/random-routes.js';

export interface Message { method: string; target: string; headers: string[]; body: string; keepAlive: boolean }
/** Complete requests in order, then why parsing stopped: null (out of bytes, or a request that closes the connection) or an error. */
export interface Outcome { messages: Message[]; error: string | null }

const MAX_HEAD = 8192;
const MAX_LINE = 4096;

/** Outpost's request side over `bytes` arriving `step` bytes at a time, as a connection reads them. */
export function runOutpost(bytes: Buffer, step: number): Outcome {
  const finder = new HeadEndFinder(MAX_HEAD, MAX_LINE);
  const req = new ParsedRequest(100);
  const messages: Message[] = [];
  let available = Math.min(step, bytes.length);
  const more = (): boolean => {
    if (available >= bytes.length) return false;
    available = Math.min(available + step, bytes.length);
    return true;
  };
  let at = 0;
  for (;;) {
    // Empty lines before a request are skipped (RFC 9112 §2.2), as llhttp does.
    for (;;) {
      while (at + 1 < available && bytes[at] === 0x0d && bytes[at + 1] === 0x0a) at += 2;
      if (at + 1 < available || !more()) break;
    }
    if (at >= bytes.length) return { messages, error: null };
    let end = finder.find(bytes, at, available);
    while (end === HEAD_INCOMPLETE && more()) end = finder.find(bytes, at, available);
    if (end === HEAD_INCOMPLETE) return { messages, error: null };
    if (end < 0) return { messages, error: `head ${end}` };
    const code = parseRequestHead(bytes, at, end, req);
    if (code !== null) return { messages, error: code };
    const headers: string[] = [];
    for (let i = 0; i < req.fields.count; i++) headers.push(bytes.toString('latin1', req.fields.nameStart(i), req.fields.nameEnd(i)), req.value(i));
    at = end + 2;
    let body = '';
    if (req.chunked) {
      const decoder = new ChunkedDecoder();
      for (;;) {
        const r = decoder.decode(bytes, at, available, (b, s, e) => { body += Buffer.from(b.subarray(s, e)).toString('latin1'); });
        if (r < 0) return { messages, error: `chunked ${r}` };
        at = r;
        if (decoder.done) break;
        if (!more()) return { messages, error: null };
      }
    } else if (req.contentLength > 0) {
      while (available < at + req.contentLength) if (!more()) return { messages, error: null };
      body = bytes.toString('latin1', at, at + req.contentLength);
      at += req.contentLength;
    }
    messages.push({ method: req.method, target: req.target, headers, body, keepAlive: req.keepAlive });
    // A request that closes the connection is the last one read from it.
    if (!req.keepAlive) return { messages, error: null };
  }
}

/** llhttp over the same bytes, cut the same way: complete requests up to the first that closes. */
export function runLlhttp(bytes: Buffer): Outcome {
  const r = llhttpParse(bytes);
  const messages: Message[] = [];
  for (const m of r.messages) {
    if (!m.complete) break;
    messages.push({ method: m.method, target: m.target, headers: m.headers, body: m.body.toString('latin1'), keepAlive: m.keepAlive });
    if (!m.keepAlive) break;
  }
  return { messages, error: r.error };
}

export interface Disagreement { index: number; wire: string; step: number; why: string; ours: Outcome; llhttp: Outcome }
export interface FuzzResult { cases: number; requestsCompleted: number; stricter: number; bothRefused: number; excused: number; disagreements: Disagreement[] }

const NAMES = ['Accept', 'User-Agent', 'X-Request-Id', 'Cookie', 'Content-Type', 'Authorization', 'X-Forwarded-For'];
const VALUES = ['*/*', 'curl/8.5', 'a1b2', 'a=b; c=d', 'application/json', 'Bearer x.y.z', '10.0.0.1', ''];
const TARGETS = ['/', '/a/b?c=d', '/items/123', '/x%20y', '/api/v1/users?id=1&x=%2F', 'http://example.com/abs'];

function pickOne<T>(rand: () => number, a: readonly T[]): T { return a[Math.floor(rand() * a.length)]; }

/** One request; `prefix` (a path such as `/echo/c7r0`) goes in front of its target's path. */
function makeRequest(rand: () => number, last: boolean, prefix: string): string {
  const int = (n: number) => Math.floor(rand() * n);
  const version = rand() < 0.9 ? '1.1' : '1.0';
  const framing = version === '1.0' ? pickOne(rand, ['none', 'length']) : pickOne(rand, ['none', 'none', 'length', 'chunked', 'chunked']);
  const method = framing === 'none' ? pickOne(rand, ['GET', 'GET', 'HEAD', 'DELETE', 'OPTIONS']) : pickOne(rand, ['POST', 'PUT', 'PATCH']);
  const lines: string[] = [];
  if (version === '1.1' || rand() < 0.5) lines.push(`Host: ${pickOne(rand, ['example.com', 'example.com:8080', '127.0.0.1'])}`);
  for (let i = int(4); i > 0; i--) lines.push(`${pickOne(rand, NAMES)}: ${pickOne(rand, VALUES)}`);
  const body = Buffer.alloc(int(30), 0x61 + int(26)).toString('latin1');
  let payload = '';
  if (framing === 'length') { lines.push(`Content-Length: ${body.length}`); payload = body; }
  if (framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    for (let p = 0; p < body.length;) {
      const n = 1 + int(body.length - p);
      payload += `${n.toString(16)}${rand() < 0.15 ? pickOne(rand, [';a=b', ';a', ';a="q r"']) : ''}\r\n${body.slice(p, p + n)}\r\n`;
      p += n;
    }
    payload += rand() < 0.1 ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n';
  }
  if (rand() < 0.15 || (last && rand() < 0.3)) lines.push(pickOne(rand, ['Connection: close', 'Connection: keep-alive']));
  const target = pickOne(rand, TARGETS).replace(/^(https?:\/\/[^/]+)?\//, (_m, origin: string | undefined) => `${origin ?? ''}${prefix}/`);
  return `${method} ${target} HTTP/${version}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n${payload}`;
}

function mutate(wire: string, rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  switch (int(17)) {
    case 0: return wire.replace(/Content-Length: (\d+)/, (_m, n: string) => `Content-Length: ${pickOne(rand, [Number(n) + 1, Math.max(0, Number(n) - 1), Number(n) * 2, `0${n}`, `${n} `, ` ${n}`, `${n}a`, '-1'])}`);
    case 1: return wire.replace(/Content-Length: (\d+)\r\n/, (m, n: string) => `${m}Content-Length: ${rand() < 0.5 ? n : Number(n) + 1}\r\n`);
    case 2: return wire.replace(/\r\n([0-9a-f]+)((;[^\r]*)?)\r\n/, (_m, n: string, ext: string) => `\r\n${pickOne(rand, [(parseInt(n, 16) + 1).toString(16), (Math.max(0, parseInt(n, 16) - 1)).toString(16), n.toUpperCase(), `0${n}`, `${n} `, `${n}\t`, `${n}g`, `-${n}`, `0x${n}`, `${n};`, `${n}; a`])}${ext}\r\n`);
    case 3: return wire.replace(/\r\n([A-Za-z-]+):/, (_m, name: string) => `\r\n${rand() < 0.5 ? name.toUpperCase() : name.toLowerCase()}${pickOne(rand, [':', ' :', ':  ', ':\t', '\t:'])}`);
    case 4: return wire.replace(/\r\n([A-Za-z-]+: [^\r]*)\r\n/, (_m, line: string) => `\r\n${line}\r\n${pickOne(rand, [' ', '\t'])}${pickOne(rand, ['fold', '', 'x'])}\r\n`);
    case 5: { const at = int(wire.length); return wire.slice(0, at) + String.fromCharCode(pickOne(rand, [0, 10, 13, 32, 9, 0x7f, 0xe9, 0x3a, 0x2c, 0x3b])) + wire.slice(at + (rand() < 0.5 ? 1 : 0)); }
    case 6: return wire.slice(0, int(wire.length + 1));
    case 7: return wire + pickOne(rand, ['x', '\r\n', 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n', '0\r\n\r\n']);
    case 8: return wire.replace(/Content-Length: \d+\r\n/, (m) => pickOne(rand, [`${m}Transfer-Encoding: chunked\r\n`, `Transfer-Encoding: chunked\r\n${m}`, 'Transfer-Encoding: identity\r\n']));
    case 9: return wire.replace('Transfer-Encoding: chunked', pickOne(rand, ['Transfer-Encoding: CHUNKED', 'Transfer-Encoding:chunked ', 'Transfer-Encoding: chunked, chunked', 'Transfer-Encoding: xchunked', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding : chunked', 'Transfer-Encoding:\tchunked', 'Transfer-Encoding: chunked\r\nContent-Length: 0']));
    case 10: return wire.replace(/\r\n/, pickOne(rand, ['\n', '\r\r\n', '\r\n\r\n', ' \r\n']));
    // Framing field names and values as smuggling write-ups bend them.
    case 12: return wire.replace(/\r\n(Transfer-Encoding|Content-Length):/, (_m, name: string) => `\r\n${pickOne(rand, [name.replace('-', '_'), `${name}\x0b`, ` ${name}`, `${name}\x00`, `X-${name}`, name.toLowerCase(), `${name} `])}:`);
    case 13: return wire.replace(/\r\n(Transfer-Encoding|Content-Length): ([^\r]*)\r\n/, (_m, name: string, value: string) => `\r\n${name}: ${pickOne(rand, [`\x0b${value}`, `${value}\x0b`, `"${value}"`, `${value},`, `,${value}`, `${value}\x00`, '1_0', '1e1', '99999999999999999999', `${value}\r\n${name}: ${value}`])}\r\n`);
    case 14: return wire.replace(/\r\n([0-9a-f]+)(;[^\r]*)?\r\n/, (_m, n: string, ext: string | undefined) => `\r\n${pickOne(rand, [`ffffffffffffffff${n}`, `1${'0'.repeat(16)}`, `${'0'.repeat(20)}${n}`, `${n};${'a'.repeat(5000)}`])}${ext ?? ''}\r\n`);
    case 15: return wire.replace(/\r\n([0-9a-f]+)(;[^\r]*)?\r\n([a-z]*)\r\n/, (_m, n: string, ext: string | undefined, data: string) => `\r\n${n}${ext ?? ''}${pickOne(rand, ['\n', '\r', '\r\n'])}${data}${pickOne(rand, ['\n', 'X\r\n', '', '\r\r\n'])}`);
    case 16: return wire.replace(/\r\n0\r\n(X-Trailer: t\r\n)?\r\n/, () => `\r\n0\r\n${pickOne(rand, ['Content-Length: 5\r\n\r\n', '\r', 'X: y\n\r\n', 'Transfer-Encoding: chunked\r\n\r\n', 'X: y\r\n', ' X: y\r\n\r\n'])}`);
    default: return wire.replace(/^([A-Z]+) (\S+) HTTP\/1\.[01]/, (_m, method: string, target: string) => pickOne(rand, [`${method}  ${target} HTTP/1.1`, `${method} ${target} HTTP/1.1 `, `${method.toLowerCase()} ${target} HTTP/1.1`, `${method} ${target}#f HTTP/1.1`, `${method} ${target} HTTP/1.2`, `${method} ${target}`]));
  }
}

/**
 * One case: its bytes and the size of the reads they arrive in. `prefix(i)` goes in front of
 * request i's path (the wire-level fuzz routes each request to the gateway's API and tells them
 * apart at the backend); none by default.
 */
export function makeCase(rand: () => number, prefix: (i: number) => string = () => ''): { wire: Buffer; step: number } {
  const count = 1 + Math.floor(rand() * 3);
  let wire = '';
  for (let i = 0; i < count; i++) wire += makeRequest(rand, i === count - 1, prefix(i));
  for (let m = Math.floor(rand() * 3); m > 0; m--) wire = mutate(wire, rand);
  const bytes = Buffer.from(wire, 'latin1');
  const step = rand() < 0.3 ? bytes.length : 1 + Math.floor(rand() * Math.max(1, bytes.length / 2));
  return { wire: bytes, step };
}

/**
 * Equal as far as framing goes. Keep-alive may differ where a Connection value has a tab as
 * optional whitespace (`close<TAB>`): Outpost reads the token as RFC 9110 has it, llhttp does not
 * see it. That decides only whether another request is read from the connection, never where one
 * ends.
 */
const same = (a: Message, b: Message, tabbedConnection: boolean): boolean => a.method === b.method && a.body === b.body
  && (a.keepAlive === b.keepAlive || tabbedConnection)
  && JSON.stringify(a.headers) === JSON.stringify(b.headers)
  // Outpost turns an absolute-form target into origin-form (its authority becomes the host).
  && (a.target === b.target || /^https?:\/\//.test(b.target));

const LLHTTP_METHODS = new Set(METHODS);

/** The documented exception: llhttp refused request `i`'s method, a token outside its list. */
function unknownMethod(ours: Outcome, ll: Outcome, i: number): boolean {
  return ll.error === 'HPE_INVALID_METHOD' && ll.messages.length === i && !LLHTTP_METHODS.has(ours.messages[i].method);
}

/** Why Outpost's outcome could desynchronise it from a compliant parser; null when it could not; 'excused' for the documented exception. */
export function compare(ours: Outcome, ll: Outcome, wire: string): string | null {
  const tabbedConnection = /\r\nconnection:[^\r\n]*\t/i.test(wire);
  for (let i = 0; i < ours.messages.length; i++) {
    const r = ll.messages[i];
    if (r === undefined && unknownMethod(ours, ll, i)) return 'excused';
    if (r === undefined) return `Outpost completed request ${i + 1}, llhttp ${ll.error === null ? 'did not' : `refused it (${ll.error})`}`;
    if (!same(ours.messages[i], r, tabbedConnection)) return `request ${i + 1} differs`;
  }
  // Outpost still waiting where llhttp completed a request: Outpost would read the next request as body.
  // (Not when Outpost's last request closed the connection: it reads nothing more.)
  const closed = ours.messages.length > 0 && !ours.messages[ours.messages.length - 1].keepAlive;
  if (ours.error === null && !closed && ll.messages.length > ours.messages.length) return `llhttp completed request ${ours.messages.length + 1}, Outpost still waits for bytes`;
  return null;
}

export function runFuzz(count: number, seed: number): FuzzResult {
  const rand = mulberry32(seed);
  const result: FuzzResult = { cases: 0, requestsCompleted: 0, stricter: 0, bothRefused: 0, excused: 0, disagreements: [] };
  for (let i = 0; i < count; i++) {
    const c = makeCase(rand);
    result.cases++;
    const ours = runOutpost(c.wire, c.step);
    const whole = runOutpost(c.wire, c.wire.length);
    const ll = runLlhttp(c.wire);
    const record = (why: string, other: Outcome) => result.disagreements.push({ index: i, wire: c.wire.toString('latin1'), step: c.step, why, ours, llhttp: other });
    // How the bytes arrive must never change Outpost's answer.
    if (JSON.stringify(ours) !== JSON.stringify(whole)) { record(`split into ${c.step}-byte reads, Outpost answered otherwise than on the whole`, whole); continue; }
    const why = compare(ours, ll, c.wire.toString('latin1'));
    if (why === 'excused') { result.excused++; continue; }
    if (why !== null) { record(why, ll); continue; }
    result.requestsCompleted += ours.messages.length;
    if (ours.error !== null && ll.error === null) result.stricter++;
    if (ours.error !== null && ll.error !== null) result.bothRefused++;
  }
  return result;
}
