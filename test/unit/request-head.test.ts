/**
 * RequestHead.read: what the gateway forwards from a parsed request head. Every listed name
 * (REQUEST_NAMES, classified in advance) and unlisted ones, in any case, against the rules
 * written out plainly here: Host and Expect dropped, hop-by-hop fields (and every Proxy-*) dropped,
 * X-Request-Id taken aside (the first one), forwarding fields set aside, the rest kept in order
 * with their values byte for byte; names in Connection dropped too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParsedRequest, parseRequestHead } from '../../src/http1/request-parser.js';
import { REQUEST_NAMES } from '../../src/http1/field-strings.js';
import { RequestHead } from '../../src/gateway/worker/request-head.js';
import { mulberry32 } from '../conformance/random-routes.js';

const HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip']);

interface Expected { headers: string[]; forwarding: string[]; requestId: string }

/** The rules, one field at a time (no Connection-named fields in these requests). */
function expected(fields: Array<[string, string]>): Expected {
  const out: Expected = { headers: [], forwarding: [], requestId: '' };
  for (const [rawName, value] of fields) {
    const name = rawName.toLowerCase();
    if (name === 'host' || name === 'expect' || HOP.has(name) || name.startsWith('proxy-')) continue;
    if (name === 'x-request-id') { if (out.requestId === '') out.requestId = value; continue; }
    if (FORWARDING.has(name)) { out.forwarding.push(name, value); continue; }
    out.headers.push(name, value);
  }
  return out;
}

function read(fields: Array<[string, string]>): RequestHead {
  const text = `GET /a?b=1 HTTP/1.1\r\nHost: example.test\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  const buf = Buffer.from(text, 'latin1');
  const req = new ParsedRequest(200);
  assert.equal(parseRequestHead(buf, 0, buf.length - 2, req), null, text);
  const head = new RequestHead();
  head.read(req);
  return head;
}

/** Mixed case, as clients write names: every other letter upper-cased from `phase`. */
function mixedCase(name: string, phase: number): string {
  return [...name].map((c, i) => ((i + phase) % 2 === 0 ? c.toUpperCase() : c)).join('');
}

test('every listed name, in three casings, is dropped, kept or set aside as the rules say', () => {
  // Content-Length and Transfer-Encoding frame the request: they are covered by the framing tests.
  const names = REQUEST_NAMES.entries.filter((n) => n !== 'content-length' && n !== 'transfer-encoding' && n !== 'host' && n !== 'connection' && n !== 'expect');
  assert.ok(names.length > 30);
  for (let phase = 0; phase < 3; phase++) {
    const fields: Array<[string, string]> = names.map((n, i) => [phase === 2 ? n : mixedCase(n, phase), `v${i}-\u00e9 x`]);
    const head = read(fields);
    const want = expected(fields);
    assert.deepEqual(head.headers, want.headers);
    assert.deepEqual(head.forwarding, want.forwarding);
    assert.equal(head.requestId, want.requestId);
    assert.ok(!head.headers.includes('keep-alive') && !head.headers.includes('upgrade'));
  }
});

test('unlisted names take the same rules: Proxy-* dropped, the rest kept as written in lower case', () => {
  const fields: Array<[string, string]> = [
    ['X-Custom', 'a'], ['Proxy-Authorization', 'secret'], ['proxy-anything', 'b'], ['Trailer', 'x'],
    ['X-Request-Id', 'first'], ['x-request-id', 'second'], ['X-Real-IP', '10.0.0.9'], ['Forwarded', 'for=1.2.3.4'],
    ['X-Api-Version', '2'], ['Expect', '100-continue'], ['ocp-apim-subscription-key', 'k0123456789'], ['A', ''], ['x-forwarded-for', '9.9.9.9'],
  ];
  const head = read(fields);
  assert.deepEqual(head.headers, ['x-custom', 'a', 'x-api-version', '2', 'ocp-apim-subscription-key', 'k0123456789', 'a', '']);
  assert.deepEqual(head.forwarding, ['x-real-ip', '10.0.0.9', 'forwarded', 'for=1.2.3.4', 'x-forwarded-for', '9.9.9.9']);
  assert.equal(head.requestId, 'first');
  assert.deepEqual({ headers: head.headers, forwarding: head.forwarding, requestId: head.requestId }, expected(fields));
});

test('random mixes of listed and unlisted names agree with the rules, and one head read after another shares nothing', () => {
  const pool = [...REQUEST_NAMES.entries.filter((n) => n !== 'content-length' && n !== 'transfer-encoding' && n !== 'host' && n !== 'connection' && n !== 'expect'),
    'x-one', 'proxy-two', 'x-request-idx', 'forwarded-for', 'hosts', 'X-Forwarded-Fors'];
  // mulberry32: the LCG `(seed * 1103515245 + 12345) & 0x7fffffff` lost bits above 2^53 and its
  // low bits cycled, so `% n` picked a few entries of a list only (test/unit/request-log-native.test.ts).
  const random = mulberry32(7);
  const next = (n: number): number => Math.floor(random() * n);
  const head = new RequestHead();
  const poolUsed = new Set<number>();
  for (let round = 0; round < 300; round++) {
    const fields: Array<[string, string]> = [];
    for (let k = next(12); k > 0; k--) {
      const at = next(pool.length);
      poolUsed.add(at);
      fields.push([mixedCase(pool[at], next(2)), `r${round}v${k}`]);
    }
    const text = `GET / HTTP/1.1\r\nHost: h\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
    const buf = Buffer.from(text, 'latin1');
    const req = new ParsedRequest(200);
    assert.equal(parseRequestHead(buf, 0, buf.length - 2, req), null);
    head.read(req);
    const want = expected(fields);
    assert.deepEqual(head.headers, want.headers, text);
    assert.deepEqual(head.forwarding, want.forwarding, text);
    assert.equal(head.requestId, want.requestId, text);
  }
  assert.equal(poolUsed.size, pool.length, 'every name of the pool was tried');
});
