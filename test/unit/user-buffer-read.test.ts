/**
 * The accepted-socket `onread` path (src/http1/server/user-buffer-read.ts) is available on this
 * Node and delivers every byte, in order, through the one shared buffer; pause/resume still work.
 * If a Node upgrade removes the fields it relies on, the first test fails here (the gateway would
 * quietly fall back to 'data' events and lose the saving).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { attachUserBufferRead } from '../../src/http1/server/user-buffer-read.js';

test('an accepted plain socket reads into the shared buffer: all bytes in order, paused and resumed', async () => {
  const received: Buffer[] = [];
  // Every read arrives in the same buffer object: one per worker, never one per read.
  const buffers = new Set<Buffer>();
  let attached: boolean | null = null;
  let again: boolean | null = null;
  let accepted: Socket | null = null;
  const server = createServer((socket) => {
    accepted = socket;
    attached = attachUserBufferRead(socket, (n, buf) => {
      buffers.add(buf);
      received.push(Buffer.from(buf.subarray(0, n)));
      return true;
    });
    again = attachUserBufferRead(socket, () => true);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(client, 'connect');
  const pieces = ['GET / HTTP/1.1\r\n', 'Host: x\r\n', '\r\n', 'x'.repeat(100_000)];
  client.write(pieces[0]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(attached, true, 'this Node offers no user-buffer read for accepted sockets');
  assert.equal(again, false, 'a socket that already reads into a buffer is left alone');
  accepted!.pause();
  client.write(pieces[1]);
  await new Promise((r) => setTimeout(r, 100));
  const whilePaused = Buffer.concat(received).length;
  assert.equal(whilePaused, pieces[0].length, 'nothing is read while paused');
  accepted!.resume();
  client.write(pieces[2]);
  client.end(pieces[3]);
  await once(accepted!, 'end');
  assert.equal(Buffer.concat(received).toString('latin1'), pieces.join(''));
  assert.equal(buffers.size, 1);
  assert.ok(received.length >= 3, `${received.length} reads`);
  server.close();
});
