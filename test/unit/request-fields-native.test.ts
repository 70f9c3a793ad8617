/**
 * The request head towards a backend written by the addon (native/src/request_fields.c) against
 * the JavaScript writer: the same bytes, framing and declared length, or the same coded error,
 * for random requests built from what matters to the writer (owned hop-by-hop names in any case,
 * repeated and malformed Content-Lengths, CR, LF, NUL, DEL, obs-text, characters above U+00FF,
 * empty and long strings, every body kind); the addon must answer every plain request, and
 * declines what it does not write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { writeRequestHead, writeFieldsNative, DECLINED } from '../../src/gateway/upstream/request-writer.js';
import type { UpstreamRequest } from '../../src/gateway/upstream/upstream-types.js';
import { HeadWriter } from '../../src/shared/head-writer.js';
import { OutpostError } from '../../src/shared/errors.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

const skip = nativeSkip;
/** As the worker's staging buffer. */
const REGISTERED = registeredBuffer(256 * 1024);

type Written = { head: string; framing: number; length: number } | { error: string };

/** writeRequestHead into `buf` at `at` (the native path when `buf` is registered). */
function write(req: UpstreamRequest, buf: Buffer, at: number): Written {
  const w = new HeadWriter(buf);
  w.pos = at;
  try {
    const r = writeRequestHead(req, w);
    return { head: buf.toString('latin1', at, w.pos), framing: r.framing, length: r.length };
  } catch (err) {
    assert.ok(err instanceof OutpostError, String(err));
    return { error: `${err.code}: ${err.message}` };
  }
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const PLAIN_NAMES = ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-request-id', 'x-forwarded-host', 'Host', 'X-Forwarded-For', 'x-request-ID', 'Accept', 'user-agent', 'X-Custom_Name!#$%&\'*+-.^`|~', 'content-type', 'a'];
const OWNED = ['connection', 'Connection', 'KEEP-ALIVE', 'keep-alive', 'Transfer-Encoding', 'transfer-encoding', 'upgrade', 'UpGrade'];
const LENGTHS = ['0', '5', '0005', '123456789', '1234567890', '12a', '', ' 5', '-1', '5 ', '٣'];
const ODD = ['\r', '\n', '\0', '\x7f', '\x01', '\t', ' ', '\x80', '\xe9', '\xff', '\u0100', '\u010a', '\u2028', '😀', ':', '"', '('];

function plainText(r: () => number, max: number, alphabet: string): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}
const VALUE_CHARS = 'abcXYZ019 ;=,/"\t\x80\xe9\xff-_.~';
const PATH_CHARS = 'abcXYZ019/?=&%-_.~\x80\xff';

function spoil(r: () => number, s: string): string {
  const at = Math.floor(r() * (s.length + 1));
  return s.slice(0, at) + pick(r, ODD) + s.slice(at);
}

/** A request: `plain` ones are always sendable as they are; the others may break any rule. */
function randomRequest(r: () => number, plain: boolean): UpstreamRequest {
  const headers: string[] = [];
  // The addon takes at most 16 pairs; a random request may have more.
  const pairs = Math.floor(r() * (r() < 0.05 ? (plain ? 17 : 20) : 8));
  let declared = false;
  for (let i = 0; i < pairs; i++) {
    const kind = r();
    if (kind < 0.1) {
      headers.push(pick(r, OWNED), plainText(r, 10, VALUE_CHARS));
    } else if (kind < 0.2 && (!plain || !declared)) {
      headers.push(r() < 0.5 ? 'content-length' : 'Content-Length', plain ? pick(r, ['0', '7', '0012', '98765']) : pick(r, LENGTHS));
      declared = true;
    } else {
      headers.push(pick(r, PLAIN_NAMES), plainText(r, 60, VALUE_CHARS));
    }
  }
  let method = pick(r, ['GET', 'POST', 'PUT', 'PATCH', 'HEAD', 'DELETE', 'OPTIONS', 'M-SEARCH']);
  let path = '/' + plainText(r, 40, PATH_CHARS);
  if (!plain && r() < 0.3) {
    const spoilt = Math.floor(r() * (headers.length + 2));
    if (spoilt === headers.length) method = r() < 0.2 ? '' : spoil(r, method);
    else if (spoilt === headers.length + 1) path = r() < 0.1 ? '' : spoil(r, path);
    else headers[spoilt] = r() < 0.1 ? '' : spoil(r, headers[spoilt]);
  }
  if (!plain && r() < 0.01) path = '/' + 'a'.repeat(20_000);
  const bodyKind = r();
  const body = bodyKind < 0.6 ? null : bodyKind < 0.8 ? Buffer.alloc(Math.floor(r() * 3) * 7) : Readable.from([]);
  // A plain request's declared length must match a buffered body, and no length goes without one.
  if (plain && declared) {
    const at = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length');
    const length = Number(headers[at + 1]);
    return { method, path, headers, body: body === null && length > 0 ? Readable.from([]) : Buffer.isBuffer(body) ? Buffer.alloc(length) : body };
  }
  return { method, path, headers, body };
}

test('the addon writes 20,000 plain request heads, byte for byte as the JavaScript writer', { skip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const scratch = Buffer.alloc(64 * 1024);
  for (let i = 0; i < 20_000; i++) {
    const req = randomRequest(r, true);
    const at = Math.floor(r() * 1000);
    const w = new HeadWriter(REGISTERED);
    w.pos = at;
    assert.notEqual(writeFieldsNative(req, w), DECLINED, `seed ${seed}, request ${i}: declined ${JSON.stringify(req)}`);
    const native = write(req, REGISTERED, at);
    assert.ok(!('error' in native), `seed ${seed}, request ${i}: ${JSON.stringify(native)}`);
    assert.deepEqual(native, write(req, scratch, 0), `seed ${seed}, request ${i}`);
  }
});

test('20,000 random requests: the same head or the same coded error whichever writer answers', { skip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const scratch = Buffer.alloc(64 * 1024);
  let errors = 0;
  let declined = 0;
  for (let i = 0; i < 20_000; i++) {
    const req = randomRequest(r, false);
    const w = new HeadWriter(REGISTERED);
    if (writeFieldsNative(req, w) === DECLINED) declined++;
    const native = write(req, REGISTERED, 0);
    const js = write(req, scratch, 0);
    if ('error' in js) errors++;
    assert.deepEqual(native, js, `seed ${seed}, request ${i}: ${JSON.stringify(req)}`);
  }
  // Both kinds were compared: refused heads, and heads the addon wrote itself.
  assert.ok(errors > 1000, `seed ${seed}: ${errors} refused`);
  assert.ok(20_000 - declined > 10_000, `seed ${seed}: the addon declined ${declined}`);
});

test('the addon declines what it does not write, and each is then written or refused in JavaScript', { skip }, () => {
  const base: UpstreamRequest = { method: 'GET', path: '/a', headers: ['host', 'b'], body: null };
  const w = new HeadWriter(REGISTERED);
  assert.notEqual(writeFieldsNative(base, w), DECLINED);
  assert.equal(REGISTERED.toString('latin1', 0, w.pos), 'GET /a HTTP/1.1\r\nhost: b\r\n');
  const declines: Array<[string, UpstreamRequest]> = [
    ['a 10-digit length', { ...base, headers: ['content-length', '1234567890'], body: Readable.from([]) }],
    ['U+0100 in a value (its low byte is LF)', { ...base, headers: ['x', 'a\u010ab'] }],
    ['an empty method', { ...base, method: '' }],
    ['an empty name', { ...base, headers: ['', 'v'] }],
    ['more than 16 pairs', { ...base, headers: Array.from({ length: 34 }, (_, i) => (i % 2 === 0 ? `x-${i}` : 'v')) }],
    ['a string too long for its copy', { ...base, path: '/' + 'p'.repeat(17_000) }],
  ];
  for (const [why, req] of declines) {
    const at = new HeadWriter(REGISTERED);
    assert.equal(writeFieldsNative(req, at), DECLINED, why);
    assert.equal(at.pos, 0, why);
  }
  // Not the registered buffer: declined.
  assert.equal(writeFieldsNative(base, new HeadWriter(Buffer.alloc(1024))), DECLINED);
  // No room left in the buffer: declined, nothing past its end.
  const end = new HeadWriter(REGISTERED);
  end.pos = REGISTERED.length - 10;
  assert.equal(writeFieldsNative(base, end), DECLINED);
  // 16 pairs are still the addon's.
  assert.notEqual(writeFieldsNative({ ...base, headers: Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? `x-${i}` : 'v')) }, new HeadWriter(REGISTERED)), DECLINED);
});
