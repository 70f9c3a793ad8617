/** The request head towards a backend: framing chosen from the body, smuggling shapes refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { serializeHead, BODY_BUFFER, BODY_NONE, BODY_STREAM_CHUNKED, BODY_STREAM_LENGTH } from '../../src/gateway/upstream/request-writer.js';
import { OutpostError } from '../../src/shared/errors.js';

const req = (over: Partial<Parameters<typeof serializeHead>[0]>) => ({ path: '/a?b=1', method: 'GET', headers: ['host', 'backend', 'x-a', '1'], body: null, ...over });

test('request head: one string, request line, fields in order, empty line', () => {
  const h = serializeHead(req({}));
  assert.equal(h.head, 'GET /a?b=1 HTTP/1.1\r\nhost: backend\r\nx-a: 1\r\n\r\n');
  assert.equal(h.framing, BODY_NONE);
});

test('request head: body framing', () => {
  assert.match(serializeHead(req({ method: 'POST' })).head, /\r\ncontent-length: 0\r\n\r\n$/);
  const buffered = serializeHead(req({ method: 'POST', body: Buffer.from('hello') }));
  assert.equal(buffered.framing, BODY_BUFFER);
  assert.match(buffered.head, /\r\ncontent-length: 5\r\n\r\n$/);
  const chunked = serializeHead(req({ method: 'POST', body: Readable.from([]) }));
  assert.equal(chunked.framing, BODY_STREAM_CHUNKED);
  assert.match(chunked.head, /\r\ntransfer-encoding: chunked\r\n\r\n$/);
  const declared = serializeHead(req({ method: 'PUT', headers: ['content-length', '9'], body: Readable.from([]) }));
  assert.equal(declared.framing, BODY_STREAM_LENGTH);
  assert.equal(declared.length, 9);
  assert.doesNotMatch(declared.head, /transfer-encoding/);
});

test('request head: hop-by-hop names a policy put back are not sent', () => {
  const h = serializeHead(req({ headers: ['Connection', 'close', 'Transfer-Encoding', 'chunked', 'UPGRADE', 'h2c', 'keep-alive', '1', 'x-b', '2'] })).head;
  assert.equal(h, 'GET /a?b=1 HTTP/1.1\r\nx-b: 2\r\n\r\n');
  // Same length, not the same name: a byte that only matches with its case bit set is not a letter.
  assert.throws(() => serializeHead(req({ headers: ['keep\ralive', '1'] })), (e: unknown) => e instanceof OutpostError && e.code === 'OUTPOST_ERR_BACKEND_PROTOCOL');
});

test('request head: CR/LF in a value, a bad name, a bad path or a mismatched length is refused (coded)', () => {
  const refused = (over: Partial<Parameters<typeof serializeHead>[0]>) => assert.throws(() => serializeHead(req(over)),
    (e: unknown) => e instanceof OutpostError && e.code === 'OUTPOST_ERR_BACKEND_PROTOCOL');
  refused({ headers: ['x-a', 'ok\r\nx-injected: 1'] });
  refused({ headers: ['x-a', 'a\nb'] });
  refused({ headers: ['x a', '1'] });
  refused({ headers: ['', '1'] });
  refused({ path: '/a b' });
  refused({ path: '/a\r\nX: 1' });
  refused({ method: 'POST', headers: ['content-length', '4'], body: Buffer.from('hello') });
  refused({ headers: ['content-length', '1', 'content-length', '2'], body: Buffer.from('x') });
  refused({ headers: ['content-length', '-1'], body: Buffer.from('x') });
  // A character above U+00FF has no byte of its own: written as latin1, U+010A was LF (a header
  // line nobody wrote) and U+0120 a space in the request line.
  refused({ headers: ['x-a', 'ok\u010ax-injected: 1'] });
  refused({ path: '/a\u0120HTTP/1.1\u010d\u010aX: 1' });
  refused({ path: '/a\tb' });
  refused({ method: 'GET /x' });
});

test('request head: obs-text (0x80-0xFF) in a value is forwarded byte for byte; duplicate equal lengths go once', () => {
  const h = serializeHead(req({ method: 'POST', headers: ['x-a', 'caf\u00e9', 'Content-Length', '2', 'content-length', '2'], body: Buffer.from('hi') }));
  assert.deepEqual([...Buffer.from(h.head, 'latin1')], [...Buffer.from('POST /a?b=1 HTTP/1.1\r\nx-a: caf\u00e9\r\nContent-Length: 2\r\n\r\n', 'latin1')]);
});
