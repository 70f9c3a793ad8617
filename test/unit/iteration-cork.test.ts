import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { once } from 'node:events';
import { corkForIteration } from '../../src/shared/iteration-cork.js';

/** A loopback pair: the client socket we write on, and a log of each read the server side got. */
async function pair(): Promise<{ client: Socket; reads: string[]; server: Server; closed: Promise<void> }> {
  const reads: string[] = [];
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => { ended = resolve; });
  const server = createServer((s) => {
    s.on('data', (chunk: Buffer) => reads.push(chunk.toString('latin1')));
    s.on('end', () => { s.end(); ended(); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await once(client, 'connect');
  return { client, reads, server, closed };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const settle = async (reads: string[], bytes: number): Promise<void> => {
  for (let i = 0; i < 200 && reads.join('').length < bytes; i++) await new Promise((r) => setTimeout(r, 5));
};

test('writes of one iteration leave together, in order, once the iteration ends', async () => {
  const { client, reads, server } = await pair();
  corkForIteration(client);
  assert.equal(client.writableCorked, 1);
  client.write('GET /a HTTP/1.1\r\n');
  corkForIteration(client); // already corked: not corked twice
  assert.equal(client.writableCorked, 1);
  client.write(Buffer.from('Host: x\r\n\r\n'));
  // Nothing left yet: the bytes wait for the check phase.
  assert.equal(client.writableLength, 'GET /a HTTP/1.1\r\n'.length + 'Host: x\r\n\r\n'.length);
  await turn();
  assert.equal(client.writableCorked, 0);
  await settle(reads, 28);
  assert.equal(reads.join(''), 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
  // Two writes, one burst: the server read them in one chunk.
  assert.equal(reads.length, 1);
  client.destroy();
  server.close();
});

test('several sockets corked in one iteration are all flushed; the next iteration corks again', async () => {
  const a = await pair();
  const b = await pair();
  corkForIteration(a.client);
  corkForIteration(b.client);
  a.client.write('one');
  b.client.write('two');
  await turn();
  assert.equal(a.client.writableCorked, 0);
  assert.equal(b.client.writableCorked, 0);
  corkForIteration(a.client);
  a.client.write('three');
  assert.equal(a.client.writableCorked, 1);
  await turn();
  await settle(a.reads, 8);
  await settle(b.reads, 3);
  assert.equal(a.reads.join(''), 'onethree');
  assert.equal(b.reads.join(''), 'two');
  for (const p of [a, b]) { p.client.destroy(); p.server.close(); }
});

test('end() sends corked bytes at once; a nested cork/uncork inside keeps the socket corked', async () => {
  const { client, reads, server, closed } = await pair();
  corkForIteration(client);
  client.cork();
  client.write('head;');
  client.uncork();
  assert.equal(client.writableCorked, 1, 'the caller\'s own uncork does not release the iteration cork');
  client.write('body');
  client.end();
  await closed;
  assert.equal(reads.join(''), 'head;body');
  await turn(); // the pending flush finds an ended socket: nothing breaks
  server.close();
});

test('write() still reports backpressure past the high-water mark while corked', async () => {
  const { client, server } = await pair();
  corkForIteration(client);
  const ok = client.write(Buffer.alloc(client.writableHighWaterMark + 1));
  assert.equal(ok, false);
  client.destroy();
  await turn();
  server.close();
});
