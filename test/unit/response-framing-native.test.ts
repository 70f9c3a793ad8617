/**
 * A backend response's head parsed where the addon reads it (a registered buffer: the field
 * scanner and then the framing fields in C, native/src/head_fields.c) and where JavaScript does
 * (any other buffer): the same code, status, version, framing (Content-Length, chunked,
 * Connection's close and keep-alive, Keep-Alive's timeout), refusal detail and field offsets,
 * for random heads built around the framing fields and their malformed shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { ResponseHead, HEAD_OK, HEAD_BAD_CONTENT_LENGTH, HEAD_BAD_TRANSFER_ENCODING, HEAD_BAD_FIELDS } from '../../src/http1/response-head.js';
import { lastScanWasNative } from '../../src/http1/head-fields.js';
import { NATIVE_IO, NATIVE_IO_FRAMING } from '../../src/shared/native-buffers.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

const skip = nativeSkip;
/** As a worker's read buffer; PLAIN is not registered, so JavaScript reads heads there. */
const REGISTERED = registeredBuffer(16 * 1024);
const PLAIN = Buffer.alloc(16 * 1024);

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];

const FIELDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Content-Length', ['0', '93', '0093', '2147483647', '2147483648', '999999999999999', '1000000000000000', '5, 5', '-1', '+5', '5 ', '\t5', '5\t', '', '1e3', '０']],
  ['content-length', ['93', '94', '7']],
  ['Transfer-Encoding', ['chunked', 'Chunked', 'CHUNKED', 'gzip, chunked', 'chunked, chunked', 'chunked\t', ' chunked', 'identity', '']],
  ['Connection', ['keep-alive', 'close', 'Keep-Alive, Upgrade', 'close,keep-alive', ' , close ,', 'closed', 'x-close', 'upgrade\tclose', '']],
  ['Keep-Alive', ['timeout=5', 'timeout=5, max=100', 'max=100,timeout=9', 'max=1, timeout=12345678901', 'xtimeout=5', 'timeout=', 'timeout=x', 'Timeout=7', 'a timeout=3', '']],
  ['Server', ['nginx/1.22.1', '']],
  ['Content-Type', ['application/json', 'text/plain; charset=utf-8']],
  ['Date', ['Sat, 05 Dec 2026 22:00:00 GMT']],
  ['content-lengths', ['5']],
  ['Connectiox', ['close']],
];

function randomHead(r: () => number): string {
  const version = r() < 0.15 ? 'HTTP/1.0' : 'HTTP/1.1';
  const status = pick(r, ['200 OK', '204 No Content', '304 Not Modified', '404 Not Found', '200', '500 Oops']);
  const lines = [`${version} ${status}`];
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const [name, values] = pick(r, FIELDS);
    const shaped = r() < 0.1 ? name.toUpperCase() : name;
    lines.push(`${shaped}:${r() < 0.8 ? ' ' : r() < 0.5 ? '' : '\t'}${pick(r, values)}${r() < 0.1 ? ' ' : ''}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

function parsed(buf: Buffer, at: number, text: string): Record<string, unknown> {
  buf.write(text, at, 'latin1');
  const head = new ResponseHead(32);
  const code = head.parse(buf, at, at + text.length - 2);
  const { statusCode, versionMinor, reasonStart, reasonEnd, contentLength, chunked, connectionClose, connectionKeepAlive, keepAliveTimeoutSec, detail } = head;
  const offsets = Array.from(head.fields.offsets.subarray(0, head.fields.count * 4));
  return { code, statusCode, versionMinor, reasonStart, reasonEnd, contentLength, chunked, connectionClose, connectionKeepAlive, keepAliveTimeoutSec, detail, count: head.fields.count, offsets };
}

test('20,000 random response heads: the same framing whether the addon or JavaScript reads it', { skip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const codes = new Map<number, number>();
  let framedNatively = 0;
  for (let i = 0; i < 20_000; i++) {
    const text = randomHead(r);
    const at = Math.floor(r() * 4000);
    const native = parsed(REGISTERED, at, text);
    const wasNative = lastScanWasNative;
    if (wasNative && NATIVE_IO![NATIVE_IO_FRAMING + 1] === 1) framedNatively++;
    const js = parsed(PLAIN, at, text);
    assert.equal(lastScanWasNative, false);
    assert.ok(wasNative, `seed ${seed}, head ${i}: the addon did not scan`);
    assert.deepEqual(native, js, `seed ${seed}, head ${i}: ${JSON.stringify(text)}`);
    codes.set(native.code as number, (codes.get(native.code as number) ?? 0) + 1);
  }
  for (const code of [HEAD_OK, HEAD_BAD_CONTENT_LENGTH, HEAD_BAD_TRANSFER_ENCODING]) {
    assert.ok((codes.get(code) ?? 0) >= 200, `seed ${seed}: code ${code} reached ${codes.get(code) ?? 0} times`);
  }
  // Nearly every scanned head had its framing read by the addon; the rest (lengths over 2^31 - 1) by JavaScript.
  assert.ok(framedNatively > 15_000, `seed ${seed}: ${framedNatively} framed by the addon`);
});

test('framing the addon reads, case by case', { skip }, () => {
  const cases: Array<[string, Partial<Record<string, unknown>>]> = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 93\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n\r\n',
      { code: HEAD_OK, contentLength: 93, connectionKeepAlive: true, connectionClose: false, keepAliveTimeoutSec: 5, chunked: false }],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n', { code: HEAD_OK, chunked: true, connectionClose: true, contentLength: -1 }],
    ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { code: HEAD_BAD_TRANSFER_ENCODING }],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', { code: HEAD_BAD_TRANSFER_ENCODING }],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n', { code: HEAD_BAD_CONTENT_LENGTH }],
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\t\r\n\r\n', { code: HEAD_BAD_CONTENT_LENGTH }],
    ['HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\n', { code: HEAD_OK, contentLength: 999999999999999 }],
    ['HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n', { code: HEAD_BAD_FIELDS }],
  ];
  for (const [text, expected] of cases) {
    const got = parsed(REGISTERED, 100, text);
    for (const [k, v] of Object.entries(expected)) assert.equal(got[k], v, `${k} of ${JSON.stringify(text)}`);
    assert.deepEqual(got, parsed(PLAIN, 100, text));
  }
});
