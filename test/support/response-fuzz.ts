/**
 * Differential fuzzing of the response parser against llhttp: seeded, so a failing case number
 * reproduces. Each case builds a response (Content-Length, chunked or close-delimited; 1xx in
 * front; HEAD, 204, 304), applies a few mutations (header case and whitespace, duplicated or
 * off-by-one lengths, chunk-size edits, byte flips, truncation, trailing bytes), picks split
 * points, and runs both parsers. Shapes where Outpost is deliberately stricter than llhttp (the
 * documented differences of response-cases.ts) are recognised from the bytes and counted as
 * excused rather than compared.
 */
import { runLlhttp, runOutpost, type Outcome } from './response-harness.js';
import { mulberry32 } from '../conformance/random-routes.js';

/** The suite's one seeded PRNG (mulberry32). */
export const prng = mulberry32;

export interface FuzzCase { wire: Buffer; isHead: boolean; splits: number[] }
export interface Disagreement { index: number; wire: string; isHead: boolean; splits: number[]; ours: Outcome; llhttp: Outcome }
export interface FuzzResult { cases: number; compared: number; excused: number; accepted: number; disagreements: Disagreement[] }

const NAMES = ['X-A', 'Content-Type', 'Set-Cookie', 'Cache-Control', 'ETag', 'Vary', 'X-Long-Header-Name'];
const VALUES = ['1', 'text/plain', 'a=b; Path=/', 'no-cache', '"v1"', 'Accept-Encoding', 'two words', ''];

export function makeCase(rand: () => number): FuzzCase {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const body = Buffer.alloc(int(40), 0x61 + int(26)).toString('latin1');
  const status = pick([200, 200, 200, 201, 204, 304, 404, 500]);
  const version = rand() < 0.9 ? '1.1' : '1.0';
  const isHead = rand() < 0.1;
  const framing = version === '1.0' ? pick(['length', 'close']) : pick(['length', 'length', 'chunked', 'chunked', 'close']);
  const lines: string[] = [];
  for (let i = int(4); i > 0; i--) lines.push(`${pick(NAMES)}: ${pick(VALUES)}`);
  let payload = '';
  if (framing === 'length') { lines.push(`Content-Length: ${body.length}`); payload = body; }
  if (framing === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    let at = 0;
    while (at < body.length) {
      const n = 1 + int(body.length - at);
      payload += `${n.toString(16)}${rand() < 0.1 ? ';ext=1' : ''}\r\n${body.slice(at, at + n)}\r\n`;
      at += n;
    }
    payload += rand() < 0.1 ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\n\r\n';
  }
  if (framing === 'close') payload = body;
  if (rand() < 0.2) lines.push(pick(['Connection: close', 'Connection: keep-alive', 'Keep-Alive: timeout=5']));
  if (status === 204 || status === 304 || isHead) payload = '';
  let head = `HTTP/${version} ${status} ${status === 200 ? 'OK' : 'Reason'}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
  if (rand() < 0.1) head = `HTTP/1.1 100 Continue\r\n\r\n${head}`;
  let wire = head + payload;
  const mutations = int(3);
  for (let m = 0; m < mutations; m++) wire = mutate(wire, rand);
  const bytes = Buffer.from(wire, 'latin1');
  const splits = Array.from({ length: int(4) }, () => 1 + int(Math.max(1, bytes.length - 1))).sort((a, b) => a - b);
  return { wire: bytes, isHead, splits };
}

function mutate(wire: string, rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  switch (int(11)) {
    case 0: return wire.replace(/Content-Length: (\d+)/, (_m, n: string) => `Content-Length: ${Number(n) + (rand() < 0.5 ? 1 : -1)}`);
    case 1: return wire.replace(/Content-Length: (\d+)\r\n/, (m, n: string) => `${m}Content-Length: ${rand() < 0.5 ? n : Number(n) + 1}\r\n`);
    case 2: return wire.replace(/\r\n([0-9a-f]+)(;ext=1)?\r\n/, (_m, n: string) => `\r\n${pickOne(rand, [(parseInt(n, 16) + 1).toString(16), (parseInt(n, 16) - 1).toString(16), n.toUpperCase(), `0${n}`, `${n} `, `${n}g`, `-${n}`])}\r\n`);
    case 3: return wire.replace(/\r\n([A-Za-z-]+):/, (_m, name: string) => `\r\n${rand() < 0.5 ? name.toUpperCase() : name.toLowerCase()}${pickOne(rand, [':', ' :', ':  ', ':\t'])}`);
    case 4: return wire.replace(/\r\n([A-Za-z-]+: [^\r]*)\r\n/, (_m, line: string) => `\r\n${line}\r\n ${pickOne(rand, ['fold', '', 'x'])}\r\n`);
    case 5: { const at = int(wire.length); return wire.slice(0, at) + String.fromCharCode(pickOne(rand, [0, 10, 13, 32, 9, 0x7f, 0xe9, 0x3a, 0x2c])) + wire.slice(at + (rand() < 0.5 ? 1 : 0)); }
    case 6: return wire.slice(0, int(wire.length + 1));
    case 7: return wire + pickOne(rand, ['x', '\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
    case 8: return wire.replace('Transfer-Encoding: chunked', pickOne(rand, ['Transfer-Encoding: chunked\r\nContent-Length: 3', 'Transfer-Encoding: CHUNKED', 'Transfer-Encoding:chunked ', 'Transfer-Encoding: chunked, chunked']));
    case 9: return wire.replace(/\r\n/, pickOne(rand, ['\n', '\r\r\n', '\r\n\r\n']));
    default: return wire.replace(/^HTTP\/1\.1 \d{3}/, pickOne(rand, ['HTTP/1.1 1000', 'HTTP/1.1 099', 'HTTP/1.1 20', 'HTTP/1.1 101', 'HTTP/1.1 103', 'HTTP/1.0 200']));
  }
}

function pickOne<T>(rand: () => number, a: readonly T[]): T { return a[Math.floor(rand() * a.length)]; }

/**
 * The documented differences of response-cases.ts, recognised from the bytes of the head (the
 * last one, after any interim responses): Outpost refuses these shapes, or closes where llhttp
 * would reuse, on purpose.
 */
export function knownDifference(wire: Buffer, isHead: boolean): boolean {
  const text = wire.toString('latin1');
  // A bare CR in the status line (llhttp skips it).
  if (/^HTTP[^\n]*\r[^\n]/m.test(text)) return true;
  const headEnd = text.indexOf('\r\n\r\n');
  const heads = (headEnd < 0 ? text : text.slice(0, text.lastIndexOf('\r\n\r\n') + 4));
  const te = [...heads.matchAll(/\r\ntransfer-encoding:([^\r\n]*)/gi)].map((m) => m[1].trim().toLowerCase());
  if (te.length > 1 || te.some((v) => v !== 'chunked')) return true;
  if (te.length === 1 && /^HTTP\/1\.0/m.test(heads)) return true;
  const cl = [...heads.matchAll(/\r\ncontent-length:([^\r\n]*)/gi)].map((m) => m[1].trim());
  if (cl.length > 1) return true;
  if (/\r\nconnection:[^\r\n]*\t/i.test(heads)) return true; // HTAB as OWS
  if (/\r\ntransfer-encoding:[^\r\n]*\t\r\n/i.test(heads)) return true; // trailing HTAB: llhttp reads until close
  if (/\r\nconnection:[^\r\n]*[^\r\n\t ,!#$%&'*+\-.^_`|~0-9A-Za-z]/i.test(heads)) return true; // Connection tokens read loosely
  if (/^HTTP\/1\.[01] 0\d\d/m.test(text)) return true; // a status below 100
  // HEAD without a length: llhttp decides keep-alive before it is told no body follows.
  if (isHead && cl.length === 0 && te.length === 0) return true;
  if (/^HTTP\/1\.0/m.test(heads) && /\r\nconnection:[^\r\n]*keep-alive/i.test(heads)) return true;
  if (/^HTTP\/[02-9]/m.test(text) || /^HTTP\/1\.[2-9]/m.test(text)) return true;
  // Control bytes in a reason phrase.
  return /^HTTP\/1\.[01] \d{3} [^\r\n]*[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]/m.test(text);
}

export function runFuzz(count: number, seed: number): FuzzResult {
  const rand = prng(seed);
  const result: FuzzResult = { cases: 0, compared: 0, excused: 0, accepted: 0, disagreements: [] };
  for (let i = 0; i < count; i++) {
    const c = makeCase(rand);
    const pauseEvery = Math.floor(rand() * 3);
    result.cases++;
    const ours = runOutpost(c.wire, c.isHead, c.splits, pauseEvery);
    const whole = runOutpost(c.wire, c.isHead);
    const ll = runLlhttp(c.wire, c.isHead, c.splits);
    // Split points and pauses must never change Outpost's answer.
    if (JSON.stringify(ours) !== JSON.stringify(whole)) { result.disagreements.push({ index: i, wire: c.wire.toString('latin1'), isHead: c.isHead, splits: c.splits, ours, llhttp: whole }); continue; }
    if (knownDifference(c.wire, c.isHead)) { result.excused++; continue; }
    result.compared++;
    if (ours.verdict === 'accept') result.accepted++;
    if (JSON.stringify(ours) !== JSON.stringify(ll)) result.disagreements.push({ index: i, wire: c.wire.toString('latin1'), isHead: c.isHead, splits: c.splits, ours, llhttp: ll });
  }
  return result;
}
