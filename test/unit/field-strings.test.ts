/**
 * The head's string tables (src/http1/field-strings.ts): every answer is, by value, the string a
 * slice would have made (lower-cased for request names), for listed and unlisted names in any
 * case and for arbitrary bytes; listed strings and repeated values are made without a slice;
 * credentials are never remembered. The slices are counted through Buffer.prototype.latin1Slice,
 * wrapped before the module is loaded (each test file runs in a process of its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';

let slices = 0;
const proto = Buffer.prototype as unknown as { latin1Slice(this: Buffer, start: number, end: number): string };
const realSlice = proto.latin1Slice;
proto.latin1Slice = function countedSlice(this: Buffer, start: number, end: number): string {
  slices++;
  return realSlice.call(this, start, end);
};
const { StringTable, METHODS, REQUEST_NAMES, RESPONSE_NAMES } = await import('../../src/http1/field-strings.js');
const { ParsedRequest, parseRequestHead } = await import('../../src/http1/request-parser.js');

const slice = (b: Buffer, s = 0, e = b.length): string => realSlice.call(b, s, e);

/** A small deterministic generator (the cases are the same on every run). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x1_0000_0000; };
}

test('methods: listed methods come from the table, exact case only; others are sliced', () => {
  for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT']) {
    const before = slices;
    assert.equal(METHODS.text(Buffer.from(`x${m}y`), 1, m.length + 1), m);
    assert.equal(slices, before, `${m} was sliced`);
  }
  for (const m of ['get', 'Get', 'PURGE', 'GETX', 'PROPFIND', 'M-SEARCH']) {
    const before = slices;
    assert.equal(METHODS.text(Buffer.from(m), 0, m.length), m);
    assert.equal(slices, before + 1);
  }
});

test('request names: any case of a listed name is its lower-case entry without a slice; unlisted names are sliced and lower-cased', () => {
  for (const name of ['Host', 'HOST', 'host', 'User-Agent', 'accept-ENCODING', 'Ocp-Apim-Subscription-Key', 'X-Forwarded-For']) {
    const before = slices;
    const i = REQUEST_NAMES.indexOf(Buffer.from(name), 0, name.length);
    assert.ok(i >= 0, name);
    assert.equal(REQUEST_NAMES.text(Buffer.from(name), 0, name.length), name.toLowerCase());
    assert.equal(slices, before);
  }
  for (const name of ['X-Custom', 'Hostx', 'Hos', 'x-forwarded-fo', 'X_Forwarded_For']) {
    assert.equal(REQUEST_NAMES.indexOf(Buffer.from(name), 0, name.length), -1, name);
    assert.equal(REQUEST_NAMES.text(Buffer.from(name), 0, name.length), name.toLowerCase());
  }
});

test('a folded match folds A-Z only: bytes that differ from a listed name in anything but letter case are not that name', () => {
  // 0x0d | 0x20 is '-', 0x5f | 0x20 is DEL, 0xc8 | 0x20 is 0xe8: none of them is the name's byte.
  for (const bytes of [Buffer.from('x\rforwarded-for'), Buffer.from('Accept\x5fEncoding'), Buffer.from([0x48, 0x4f, 0x53, 0x54 | 0x80])]) {
    assert.equal(REQUEST_NAMES.indexOf(bytes, 0, bytes.length), -1, JSON.stringify(slice(bytes)));
    assert.equal(REQUEST_NAMES.text(bytes, 0, bytes.length), slice(bytes).toLowerCase());
  }
});

test('response names: exact bytes only (they go out as the backend wrote them)', () => {
  for (const name of ['Content-Type', 'content-type', 'ETag', 'etag', 'Server']) {
    assert.ok(RESPONSE_NAMES.indexOf(Buffer.from(name), 0, name.length) >= 0, name);
    assert.equal(RESPONSE_NAMES.text(Buffer.from(name), 0, name.length), name);
  }
  for (const name of ['CONTENT-TYPE', 'Content-type', 'Etag', 'X-Thing']) {
    assert.equal(RESPONSE_NAMES.indexOf(Buffer.from(name), 0, name.length), -1, name);
    assert.equal(RESPONSE_NAMES.text(Buffer.from(name), 0, name.length), name);
  }
});

test('differential: 20,000 random names and values give what a slice gives (lower-cased for request names)', () => {
  const next = rng(7);
  const listed = [...REQUEST_NAMES.entries, ...RESPONSE_NAMES.entries, ...METHODS.entries];
  let matched = 0;
  for (let n = 0; n < 20_000; n++) {
    // Half start from a listed string, then some bytes are changed: case flips, any byte at all.
    let bytes: Buffer;
    if (next() < 0.5) {
      bytes = Buffer.from(listed[Math.floor(next() * listed.length)], 'latin1');
      const edits = Math.floor(next() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = next() < 0.6 ? bytes[at] ^ 0x20 : Math.floor(next() * 256);
      }
    } else {
      bytes = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 20) }, () => Math.floor(next() * 256)));
    }
    const padded = Buffer.concat([Buffer.from('ab'), bytes, Buffer.from('cd')]);
    const end = 2 + bytes.length;
    const plain = slice(bytes);
    assert.equal(REQUEST_NAMES.text(padded, 2, end), plain.toLowerCase());
    assert.equal(RESPONSE_NAMES.text(padded, 2, end), plain);
    assert.equal(METHODS.text(padded, 2, end), plain);
    const ri = RESPONSE_NAMES.indexOf(padded, 2, end);
    if (ri >= 0) matched++;
    // A value read twice under any name: the same text both times.
    for (const index of [-1, ri, REQUEST_NAMES.indexOf(padded, 2, end)]) {
      const table = index === ri ? RESPONSE_NAMES : REQUEST_NAMES;
      assert.equal(table.value(index, padded, 2, end), plain);
      assert.equal(table.value(index, padded, 2, end), plain);
    }
  }
  assert.ok(matched > 1_000, `only ${matched} cases hit a listed response name`);
});

test('a remembered value is sliced once while it repeats, and again when it changes', () => {
  const head = Buffer.from('Content-Type: application/json\r\nContent-Type: text/plain\r\n');
  const ct = RESPONSE_NAMES.indexOf(head, 0, 12);
  assert.ok(ct >= 0);
  const before = slices;
  for (let i = 0; i < 5; i++) assert.equal(RESPONSE_NAMES.value(ct, head, 14, 30), 'application/json');
  assert.equal(slices, before + 1);
  assert.equal(RESPONSE_NAMES.value(ct, head, 46, 56), 'text/plain');
  assert.equal(RESPONSE_NAMES.value(ct, head, 14, 30), 'application/json');
  assert.equal(slices, before + 3);
  assert.equal(RESPONSE_NAMES.value(ct, head, 14, 14), '');
});

test('credentials are never remembered: each Authorization, Cookie or subscription key value is sliced anew', () => {
  for (const name of ['authorization', 'cookie', 'ocp-apim-subscription-key', 'x-api-key']) {
    const index = REQUEST_NAMES.indexOf(Buffer.from(name), 0, name.length);
    assert.ok(index >= 0, name);
    const value = Buffer.from('Bearer secret-token');
    const before = slices;
    assert.equal(REQUEST_NAMES.value(index, value, 0, value.length), 'Bearer secret-token');
    assert.equal(REQUEST_NAMES.value(index, value, 0, value.length), 'Bearer secret-token');
    assert.equal(slices, before + 2, name);
  }
  for (const name of ['Set-Cookie', 'set-cookie', 'Location', 'WWW-Authenticate', 'ETag']) {
    const index = RESPONSE_NAMES.indexOf(Buffer.from(name), 0, name.length);
    const value = Buffer.from('session=abc');
    const before = slices;
    RESPONSE_NAMES.value(index, value, 0, value.length);
    RESPONSE_NAMES.value(index, value, 0, value.length);
    assert.equal(slices, before + 2, name);
  }
});

test('a table refuses a remembered name it does not list, and an upper-case entry when it folds', () => {
  assert.throws(() => new StringTable(['a'], false, ['b']), /"b" is remembered but not listed/);
  assert.throws(() => new StringTable(['Host'], true), /must be lower-case/);
});

test('the parser keeps each head\'s own Host and method on a reused ParsedRequest', () => {
  const req = new ParsedRequest(16);
  const heads = ['GET / HTTP/1.1\r\nHost: a.example\r\n', 'POST / HTTP/1.1\r\nHost: a.example\r\n', 'PURGE / HTTP/1.1\r\nHost: b.example:8080\r\n',
    'GET / HTTP/1.1\r\nHost: a.example\r\n', 'GET / HTTP/1.1\r\nHost: A.example\r\n', 'GET / HTTP/1.1\r\nHost: a.exampl\r\n',
    `GET / HTTP/1.1\r\nHost: ${'a'.repeat(150)}\r\n`, `GET / HTTP/1.1\r\nHost: ${'b'.repeat(150)}\r\n`, 'GET / HTTP/1.1\r\nHost: a.exampl\r\n'];
  const seen = heads.map((h) => {
    const buf = Buffer.from(`${h}\r\n`);
    assert.equal(parseRequestHead(buf, 0, buf.length - 2, req), null);
    return `${req.method} ${req.host}`;
  });
  assert.deepEqual(seen, ['GET a.example', 'POST a.example', 'PURGE b.example:8080', 'GET a.example', 'GET A.example', 'GET a.exampl',
    `GET ${'a'.repeat(150)}`, `GET ${'b'.repeat(150)}`, 'GET a.exampl']);
});
