/** Response framing of the server: lengths, chunked, close-delimited, no body where none belongs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { ClientResponse, TRY_END_ACCEPTED, TRY_END_DONE, type ResponseOwner } from '../../src/http1/server/client-response.js';

/** A response over a fake socket that records what is written; `finished` says how it ended. */
function response(opts: { head?: boolean; http10?: boolean; keepAlive?: boolean; draining?: boolean; full?: () => boolean } = {}) {
  const out: Buffer[] = [];
  const socket = { write: (d: string | Buffer, enc?: BufferEncoding) => { out.push(typeof d === 'string' ? Buffer.from(d, enc ?? 'utf8') : Buffer.from(d)); return !(opts.full?.() ?? false); }, cork() {}, uncork() {}, destroy() {} };
  const state = { finished: null as null | { close: boolean } };
  const owner: ResponseOwner = {
    socket: socket as unknown as Socket, fd: -1, draining: opts.draining ?? false,
    responseFinished: (_r, close) => { state.finished = { close }; },
    requestBodyWanted() {}, pauseBody() {}, requestEnded() {},
  };
  const res = new ClientResponse(owner, opts.head ?? false, opts.http10 ?? false, opts.keepAlive ?? true, '127.0.0.1');
  return { res, state, text: () => Buffer.concat(out).toString('latin1').replace(/Date: [^\r]*\r\n/, '') };
}

test('end(body): Content-Length, Date, the body in one write', () => {
  const r = response();
  r.res.writeStatus('200 OK').writeHeader('X-A', 'b').end('hello');
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 5\r\n\r\nhello');
  assert.deepEqual(r.state.finished, { close: false });
});

test('write() without a length: chunked, ended by the last chunk', () => {
  const r = response();
  r.res.writeStatus('200 OK');
  r.res.write(Buffer.from('abc'));
  r.res.write(Buffer.from('defgh'));
  r.res.end();
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n');
});

test('HTTP/1.0 without a length: close-delimited, the connection closes', () => {
  const r = response({ http10: true, keepAlive: false });
  r.res.writeStatus('200 OK');
  r.res.write(Buffer.from('abc'));
  r.res.end();
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc');
  assert.deepEqual(r.state.finished, { close: true });
});

test('HTTP/1.0 keep-alive says so', () => {
  const r = response({ http10: true, keepAlive: true });
  r.res.writeStatus('200 OK').end('x');
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx');
});

test('tryEnd streams a known length and is done at the last byte', () => {
  const r = response();
  r.res.writeStatus('200 OK');
  assert.equal(r.res.tryEnd(Buffer.from('ab'), 4), TRY_END_ACCEPTED);
  assert.equal(r.res.getWriteOffset(), 2);
  assert.equal(r.res.tryEnd(Buffer.from('cd'), 4), TRY_END_ACCEPTED | TRY_END_DONE);
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd');
  assert.deepEqual(r.state.finished, { close: false });
});

test('tryEnd says when the socket buffer is full (not accepted, not done), and done at the last byte whatever the buffer says', () => {
  let full = true;
  const r = response({ full: () => full });
  r.res.writeStatus('200 OK');
  assert.equal(r.res.tryEnd(Buffer.from('ab'), 5), 0);
  full = false;
  assert.equal(r.res.tryEnd(Buffer.from('c'), 5), TRY_END_ACCEPTED);
  full = true;
  assert.equal(r.res.tryEnd(Buffer.from('de'), 5), TRY_END_ACCEPTED | TRY_END_DONE);
  assert.equal(r.res.tryEnd(Buffer.from('f'), 5), TRY_END_ACCEPTED | TRY_END_DONE, 'after the end: nothing written');
  assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde');
});

test('HEAD keeps the length but sends no body; 204 has neither', () => {
  const head = response({ head: true });
  head.res.writeStatus('200 OK').end('hello');
  assert.equal(head.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
  const none = response();
  none.res.writeStatus('204 No Content').endWithoutBody();
  assert.equal(none.text(), 'HTTP/1.1 204 No Content\r\n\r\n');
});

test('a caller\'s Connection: close, end(…, true) and draining all close the connection, with one header', () => {
  for (const make of [
    () => { const r = response(); r.res.writeStatus('200 OK').writeHeader('Connection', 'close').end('x'); return r; },
    () => { const r = response(); r.res.writeStatus('200 OK').end('x', true); return r; },
    () => { const r = response({ draining: true }); r.res.writeStatus('200 OK').end('x'); return r; },
  ]) {
    const r = make();
    assert.equal(r.text(), 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx');
    assert.deepEqual(r.state.finished, { close: true });
  }
});

test('writeFields: the lines as given, then writeHeader\'s, the same bytes as the string path; a status above U+00FF keeps its low bytes there too', () => {
  const lines = Buffer.from('X-From: backend\r\nSet-Cookie: a=1\r\n', 'latin1');
  const fields = {
    maxBytes: lines.length,
    writeFields(w: { bytes(src: Uint8Array, start: number, end: number): void }) { w.bytes(lines, 0, lines.length); },
  };
  // Ā (U+0100) and ĊĊ (U+010A): written a character a byte they would have spilled into the next bytes.
  for (const status of ['200 OK', '200 Ā\u010a\u010a']) {
    const withFields = response();
    withFields.res.writeStatus(status).writeFields(fields).writeHeader('X-Extra', 'e').end('hello');
    const asText = response();
    asText.res.writeStatus(status).writeHeader('X-From', 'backend').writeHeader('Set-Cookie', 'a=1').writeHeader('X-Extra', 'e').end('hello');
    assert.equal(withFields.text(), asText.text(), status);
    assert.equal(withFields.text(), `HTTP/1.1 ${Buffer.from(status, 'latin1').toString('latin1')}\r\nX-From: backend\r\nSet-Cookie: a=1\r\nX-Extra: e\r\nContent-Length: 5\r\n\r\nhello`);
  }
});
