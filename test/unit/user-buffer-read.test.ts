/**
 * The accepted-socket `onread` path (src/http1/server/user-buffer-read.ts) is available on this
 * Node, for plain and TLS sockets, and delivers every byte, in order, through the one shared
 * buffer; pause/resume still work; a socket whose stream already holds bytes is left to 'data'.
 * If a Node upgrade removes the fields it relies on, the first test fails here (the gateway would
 * quietly fall back to 'data' events and lose the saving).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { attachUserBufferRead, type UserBufferReader } from '../../src/http1/server/user-buffer-read.js';
import { hasOpenssl, TestPki } from '../support/test-pki.js';

/** A reader that copies out every read and notes which buffer object each came in. */
function recorder(): { reader: UserBufferReader; received: Buffer[]; buffers: Set<Buffer> } {
  const received: Buffer[] = [];
  // Every read arrives in the same buffer object: one per worker, never one per read.
  const buffers = new Set<Buffer>();
  const reader: UserBufferReader = (n, buf) => {
    buffers.add(buf);
    received.push(Buffer.from(buf.subarray(0, n)));
    return true;
  };
  return { reader, received, buffers };
}

/**
 * Sends a head in three pieces and then `body` from `client`, with the accepted socket paused
 * after the first piece: nothing is read while it is paused, and after it resumes every byte
 * arrives, in order, in the one shared buffer.
 */
async function pausedAndResumed(client: Socket, accepted: () => Socket, rec: ReturnType<typeof recorder>, body: string, what: string): Promise<void> {
  const pieces = ['GET / HTTP/1.1\r\n', 'Host: x\r\n', '\r\n', body];
  client.write(pieces[0]);
  await new Promise((r) => setTimeout(r, 100));
  accepted().pause();
  client.write(pieces[1]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(Buffer.concat(rec.received).length, pieces[0].length, `${what}: nothing is read while paused`);
  accepted().resume();
  client.write(pieces[2]);
  client.end(pieces[3]);
  await once(accepted(), 'end');
  assert.equal(Buffer.concat(rec.received).toString('latin1'), pieces.join(''), what);
  assert.equal(rec.buffers.size, 1, what);
  assert.ok(rec.received.length >= 3, `${what}: ${rec.received.length} reads`);
}

test('an accepted plain socket reads into the shared buffer: all bytes in order, paused and resumed', async () => {
  const rec = recorder();
  let attached: boolean | null = null;
  let again: boolean | null = null;
  let accepted: Socket | null = null;
  const server = createServer((socket) => {
    accepted = socket;
    attached = attachUserBufferRead(socket, rec.reader);
    again = attachUserBufferRead(socket, () => true);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(attached, true, 'this Node offers no user-buffer read for accepted sockets');
  assert.equal(again, false, 'a socket that already reads into a buffer is left alone');
  await pausedAndResumed(client, () => accepted!, rec, 'x'.repeat(100_000), 'plain');
  server.close();
});

test('an accepted TLS socket reads its decrypted bytes into the shared buffer: all in order, paused and resumed', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, async () => {
  const pki = new TestPki('user-buffer-tls');
  const leaf = pki.issue('server', 'localhost', ['localhost']);
  const rec = recorder();
  let attached: boolean | null = null;
  let accepted: TLSSocket | null = null;
  const server = createTlsServer({ cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) }, (socket) => {
    accepted = socket;
    attached = attachUserBufferRead(socket, rec.reader);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = tlsConnect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, servername: 'localhost', ca: pki.rootPem });
  await once(client, 'secureConnect');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(attached, true, 'this Node offers no user-buffer read for accepted TLS sockets');
  await pausedAndResumed(client, () => accepted!, rec, 'y'.repeat(300_000), 'TLS');
  client.destroy();
  server.close();
});

test('a socket whose stream already holds bytes keeps its data events: nothing it held is lost', { timeout: 10_000 }, async () => {
  let accepted: Socket | null = null;
  const server = createServer((socket) => { accepted = socket; socket.pause(); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  try {
    await once(client, 'connect');
    client.write('held before the reader came');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(accepted!.readableLength > 0, 'the paused stream buffered the bytes');
    assert.equal(attachUserBufferRead(accepted!, () => true), false);
    const got: Buffer[] = [];
    accepted!.on('data', (c: Buffer) => got.push(c));
    accepted!.resume();
    client.end(' and after');
    await once(accepted!, 'end');
    assert.equal(Buffer.concat(got).toString(), 'held before the reader came and after');
  } finally {
    client.destroy();
    (accepted as Socket | null)?.destroy();
    server.close();
  }
});
