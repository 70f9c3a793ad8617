import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedDecoder, CHUNK_ERR_SIZE, CHUNK_ERR_EXTENSION, CHUNK_ERR_LINE_ENDING, CHUNK_ERR_DATA_END, CHUNK_ERR_TRAILER, CHUNK_ERR_TOO_LONG } from '../../src/http1/chunked-decoder.js';

/** Decodes `wire` fed in pieces of `step` bytes; returns the body, the end index or the error. */
function decode(wire: string, step = wire.length): { body: string; end: number } {
  const buf = Buffer.from(wire, 'latin1');
  const d = new ChunkedDecoder({ maxLineBytes: 64, maxTrailerBytes: 64 });
  let body = '';
  for (let at = 0; at < buf.length; at += step) {
    const to = Math.min(buf.length, at + step);
    const r = d.decode(buf, at, to, (b, s, e) => { body += Buffer.from(b.subarray(s, e)).toString('latin1'); });
    if (r < 0) return { body, end: r };
    if (d.done) return { body, end: r };
  }
  return { body, end: Number.NaN };
}

const accepted: Array<[string, string, string]> = [
  ['one chunk', '5\r\nhello\r\n0\r\n\r\n', 'hello'],
  ['two chunks, upper-case hex', 'A\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n', '0123456789x'],
  ['extension without value', '5;a\r\nhello\r\n0\r\n\r\n', 'hello'],
  ['extension with token and quoted values', '5;a=b;c="d \\" e"\r\nhello\r\n0;z\r\n\r\n', 'hello'],
  ['trailer dropped', '5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n', 'hello'],
  ['leading zeros', '0005\r\nhello\r\n000\r\n\r\n', 'hello'],
  // (The decoder here allows 64 bytes of trailers.)
  ['trailers whose names only start or end like Content-Length', '5\r\nhello\r\n0\r\nContent-Lengths: 1\r\nX-Content-Length: 1\r\nContent: z\r\n\r\n', 'hello'],
  ['a trailer whose name starts like Transfer-Encoding', '5\r\nhello\r\n0\r\nTransfer-Encoding-X: y\r\nT: 1\r\n\r\n', 'hello'],
];
for (const [name, wire, body] of accepted) {
  test(`chunked: accepts ${name}, whole and byte by byte`, () => {
    for (const step of [wire.length, 1, 3]) {
      const r = decode(wire + 'GET /next', step);
      assert.equal(r.body, body);
      assert.equal(r.end, wire.length, 'consumed exactly the message');
    }
  });
}

const refused: Array<[string, string, number]> = [
  ['extension misread as hex (0;a is not 10)', '0;\r\n\r\n', CHUNK_ERR_EXTENSION],
  ['space after size', '5 \r\nhello\r\n0\r\n\r\n', CHUNK_ERR_SIZE],
  ['space before size', ' 5\r\nhello\r\n0\r\n\r\n', CHUNK_ERR_SIZE],
  ['empty size', '\r\nhello\r\n0\r\n\r\n', CHUNK_ERR_SIZE],
  ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', CHUNK_ERR_SIZE],
  ['bare LF after size', '5\nhello\r\n0\r\n\r\n', CHUNK_ERR_SIZE],
  ['CR without LF after size', '5\rhello\r\n0\r\n\r\n', CHUNK_ERR_LINE_ENDING],
  ['data longer than size', '5\r\nhello!\r\n0\r\n\r\n', CHUNK_ERR_DATA_END],
  ['bare LF after data', '5\r\nhello\n0\r\n\r\n', CHUNK_ERR_DATA_END],
  ['size overflow', 'fffffffffffffffff\r\n', CHUNK_ERR_SIZE],
  ['space in extension', '5; a=b\r\nhello\r\n0\r\n\r\n', CHUNK_ERR_EXTENSION],
  ['unterminated quoted extension', '5;a="b\r\nhello\r\n0\r\n\r\n', CHUNK_ERR_EXTENSION],
  ['obs-fold in trailer', '0\r\nX: 1\r\n 2\r\n\r\n', CHUNK_ERR_TRAILER],
  ['trailer without colon', '0\r\nX\r\n\r\n', CHUNK_ERR_TRAILER],
  // Framing fields may not come from trailers (RFC 9110 §6.5.1); llhttp refuses them too.
  ['Content-Length among the trailers', '5\r\nhello\r\n0\r\nX-T: 1\r\nContent-Length: 5\r\n\r\n', CHUNK_ERR_TRAILER],
  ['TRANSFER-ENCODING among the trailers', '5\r\nhello\r\n0\r\nTRANSFER-ENCODING: chunked\r\n\r\n', CHUNK_ERR_TRAILER],
  ['long size line', '5;' + 'a'.repeat(100) + '\r\n', CHUNK_ERR_TOO_LONG],
  ['long trailers', '0\r\n' + 'X: y\r\n'.repeat(20) + '\r\n', CHUNK_ERR_TOO_LONG],
];
for (const [name, wire, code] of refused) {
  test(`chunked: refuses ${name}`, () => {
    for (const step of [wire.length, 1]) assert.equal(decode(wire, step).end, code);
  });
}
