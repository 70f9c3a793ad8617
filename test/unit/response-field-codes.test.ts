/**
 * What the proxy exchange does with each field of a backend's response: the codes the addon gives
 * while it scans a head (native/src/head_fields.c, read_response_fields) against responseFieldCodes, for random
 * heads built from the names the rules care about (the gateway's own, the hop-by-hop ones in any
 * case, Proxy-*, names Connection lists, near misses); and the rules themselves, case by case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { ResponseHead, HEAD_OK } from '../../src/http1/response-head.js';
import { ResponseHeaders } from '../../src/gateway/upstream/response-headers.js';
import {
  responseFieldCodes, FIELD_KEEP, FIELD_REQUEST_ID, FIELD_CONTENT_LENGTH, FIELD_DATE, FIELD_HOP_BY_HOP, FIELD_NAMED_BY_CONNECTION,
} from '../../src/gateway/upstream/response-field-codes.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

/** As a worker's read buffer; PLAIN is not registered, so JavaScript reads heads there. */
const REGISTERED = registeredBuffer(16 * 1024);
const PLAIN = Buffer.alloc(16 * 1024);

const NAMES = ['X-Request-Id', 'x-request-ID', 'Content-Length', 'Date', 'DATE', 'Server', 'Content-Type', 'Connection', 'Keep-Alive', 'TE', 'Te',
  'Trailer', 'Upgrade', 'Transfer-Encoding', 'Proxy-Authenticate', 'proxy-', 'PROXY-X', 'Proxy', 'X-Dropped', 'x-dropped', 'X-Kept', 'Datex', 'Tf',
  'Connections', 'keep-alivf', 'x-request-ie', 'p', 'Set-Cookie'];
const CONNECTION = ['keep-alive', 'close', 'Keep-Alive, close', 'keep-alive, X-Dropped', 'close,x-dropped', 'X-Dropped', ' , keep-alive ,', 'close\xa0', 'upgrade'];
const VALUES = ['1', '93', 'nginx', 'a, b', 'timeout=5', 'chunked', ''];

function parse(buf: Buffer, text: string): ResponseHead {
  buf.write(text, 100, 'latin1');
  const head = new ResponseHead(32);
  assert.equal(head.parse(buf, 100, 100 + text.length - 2), HEAD_OK, JSON.stringify(text));
  return head;
}

function jsCodes(buf: Buffer, head: ResponseHead): number[] {
  const headers = new ResponseHeaders();
  headers.reset(buf, head.fields);
  const codes = new Uint8Array(head.fields.count);
  responseFieldCodes(headers, codes);
  return Array.from(codes);
}

test('20,000 random response heads: the addon classifies their fields as responseFieldCodes does', { skip: nativeSkip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  let classified = 0;
  const seen = new Set<number>();
  for (let i = 0; i < 20_000; i++) {
    const lines = ['HTTP/1.1 200 OK'];
    const n = Math.floor(r() * 9);
    let length = false;
    for (let f = 0; f < n; f++) {
      const name = NAMES[Math.floor(r() * NAMES.length)];
      if (/^content-length$/i.test(name) || /^transfer-encoding$/i.test(name)) {
        if (length) continue; // one framing field: the head must parse
        length = true;
        lines.push(/^content/i.test(name) ? `${name}: 2` : `${name}: chunked`);
        continue;
      }
      const pool = /^connection$/i.test(name) ? CONNECTION : VALUES;
      lines.push(`${name}: ${pool[Math.floor(r() * pool.length)]}`);
    }
    const text = lines.join('\r\n') + '\r\n\r\n';
    const native = parse(REGISTERED, text);
    const expected = jsCodes(REGISTERED, native);
    for (const c of expected) seen.add(c);
    assert.equal(parse(PLAIN, text).fieldCodes, null, 'JavaScript parses leave the codes to the exchange');
    if (native.fieldCodes === null) {
      // Only when a Connection field names something besides close and keep-alive.
      assert.ok(lines.some((l) => /^connection: /i.test(l) && l.slice(12).split(',').some((t) => !/^[ \t]*(close|keep-alive)?[ \t]*$/i.test(t))), `seed ${seed}, head ${i}: ${JSON.stringify(text)}`);
      continue;
    }
    classified++;
    assert.deepEqual(Array.from(native.fieldCodes.subarray(0, native.fields.count)), expected, `seed ${seed}, head ${i}: ${JSON.stringify(text)}`);
  }
  assert.ok(classified > 10_000, `seed ${seed}: ${classified} heads classified by the addon`);
  for (const code of [FIELD_KEEP, FIELD_REQUEST_ID, FIELD_CONTENT_LENGTH, FIELD_DATE, FIELD_HOP_BY_HOP, FIELD_NAMED_BY_CONNECTION]) assert.ok(seen.has(code), `code ${code} never came up`);
});

test('responseFieldCodes: the gateway\'s own fields, hop-by-hop names and the names Connection lists', () => {
  const text = 'HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: x\r\nContent-Length: 2\r\nX-Request-Id: b\r\nConnection: keep-alive, X-Dropped\r\n'
    + 'Keep-Alive: timeout=5\r\nProxy-Authenticate: y\r\nx-dropped: 1\r\nX-Kept: 2\r\nTE: t\r\n\r\n';
  const head = parse(PLAIN, text);
  assert.deepEqual(jsCodes(PLAIN, head), [FIELD_KEEP, FIELD_DATE, FIELD_CONTENT_LENGTH, FIELD_REQUEST_ID, FIELD_HOP_BY_HOP, FIELD_HOP_BY_HOP,
    FIELD_HOP_BY_HOP, FIELD_NAMED_BY_CONNECTION, FIELD_KEEP, FIELD_HOP_BY_HOP]);
});
