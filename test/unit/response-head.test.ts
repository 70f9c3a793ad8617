/**
 * The pieces of the response parser used on their own: scanFields' offsets (what the exchange
 * forwards byte for byte), the framing fields read from them, and the chunked decoder's pause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldList, scanFields, FIELDS_OK, FIELDS_OBS_FOLD, FIELDS_TOO_MANY } from '../../src/http1/head-fields.js';
import { ResponseHead, HEAD_OK, HEAD_BAD_CONTENT_LENGTH, HEAD_BAD_TRANSFER_ENCODING, HEAD_BAD_FIELDS } from '../../src/http1/response-head.js';
import { ChunkedDecoder } from '../../src/http1/chunked-decoder.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

test('scanFields: offsets of names and OWS-trimmed values, byte for byte', () => {
  const buf = bytes('X-A: 1\r\nx-b:\t two words \r\nEmpty:\r\n\r\n');
  const list = new FieldList(8);
  assert.equal(scanFields(buf, 0, buf.length - 2, list), FIELDS_OK);
  const got = [];
  for (let i = 0; i < list.count; i++) got.push(buf.toString('latin1', list.nameStart(i), list.nameEnd(i)), buf.toString('latin1', list.valueStart(i), list.valueEnd(i)));
  assert.deepEqual(got, ['X-A', '1', 'x-b', 'two words', 'Empty', '']);
});

test('scanFields: obs-fold and too many fields are refused', () => {
  const fold = bytes('X-A: 1\r\n 2\r\n\r\n');
  assert.equal(scanFields(fold, 0, fold.length - 2, new FieldList(8)), FIELDS_OBS_FOLD);
  const many = bytes('A: 1\r\nB: 2\r\nC: 3\r\n\r\n');
  assert.equal(scanFields(many, 0, many.length - 2, new FieldList(2)), FIELDS_TOO_MANY);
});

function parseHead(text: string): { code: number; head: ResponseHead } {
  const buf = bytes(text);
  const head = new ResponseHead(16);
  return { code: head.parse(buf, 0, buf.indexOf('\r\n\r\n') + 2), head };
}

test('response head: status, version, reason and framing fields', () => {
  const { code, head } = parseHead('HTTP/1.0 404 Not Here\r\nContent-Length: 12\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=7, max=5\r\n\r\n');
  assert.equal(code, HEAD_OK);
  assert.equal(head.statusCode, 404);
  assert.equal(head.versionMinor, 0);
  assert.equal(head.contentLength, 12);
  assert.equal(head.connectionKeepAlive, true);
  assert.equal(head.keepAliveTimeoutSec, 7);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n').head.chunked, true);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n').head.connectionClose, true);
});

test('response head: malformed framing fields have their own codes', () => {
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n').code, HEAD_BAD_CONTENT_LENGTH);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n').code, HEAD_BAD_TRANSFER_ENCODING);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n').code, HEAD_BAD_TRANSFER_ENCODING);
  assert.equal(parseHead('HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n').code, HEAD_BAD_FIELDS);
});

test('chunked decoder: a sink returning false pauses right after its range', () => {
  const wire = bytes('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  const d = new ChunkedDecoder();
  const seen: string[] = [];
  const sink = (b: Uint8Array, s: number, e: number) => { seen.push(Buffer.from(b.subarray(s, e)).toString()); return false; };
  let at = d.decode(wire, 0, wire.length, sink);
  assert.equal(at, 6);
  assert.deepEqual(seen, ['abc']);
  at = d.decode(wire, at, wire.length, sink);
  assert.deepEqual(seen, ['abc', 'de']);
  at = d.decode(wire, at, wire.length, sink);
  assert.equal(d.done, true);
  assert.equal(at, wire.length);
});

test('ResponseHeaders.isHopByHop: the bytes rule equals isHopByHop() of the lower-cased name', async () => {
  const { ResponseHeaders } = await import('../../src/gateway/upstream/response-headers.js');
  const { isHopByHop } = await import('../../src/gateway/upstream/hop-by-hop.js');
  // Hop-by-hop names in several cases, Proxy-* names of the lengths the other names have, and
  // near misses (a byte off, a prefix, a length off, '_' for '-').
  const names = ['Connection', 'CONNECTION', 'connection', 'Keep-Alive', 'keep-alive', 'TE', 'te', 'Trailer', 'Upgrade', 'UPGRADE',
    'Transfer-Encoding', 'transfer-encoding', 'Proxy-Connection', 'proxy-authenticate', 'Proxy-', 'PROXY-X', 'Proxy-abcd', 'proxy-abcdefghijk',
    'Connectio', 'Connections', 'Keep-Alivf', 'Keep_Alive', 'Trailers', 'Upgrad', 'T', 'TEE', 'Transfer-Encodin', 'Proxy', 'Proxyx-a', 'Proxy_a',
    'Content-Type', 'Server', 'Set-Cookie', 'X-Request-Id', 'Date', 'Content-Length'];
  const head = names.map((n) => `${n}: v\r\n`).join('');
  const buf = Buffer.from(`${head}\r\n`, 'latin1');
  const list = new FieldList(64);
  assert.equal(scanFields(buf, 0, head.length, list), FIELDS_OK);
  const headers = new ResponseHeaders();
  headers.reset(buf, list);
  assert.equal(headers.count, names.length);
  for (let i = 0; i < names.length; i++) assert.equal(headers.isHopByHop(i), isHopByHop(names[i].toLowerCase()), names[i]);
});
