import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { once } from 'node:events';
import { readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corkForIteration, flushStaged, headWriter, iterationNow, MAX_STAGED_WRITE, SEND_EVERY, sendWritten, stageableFd, writeOut } from '../../src/shared/iteration-writes.js';
import { FIELD_VALUE } from '../../src/http1/chars.js';
import { nativeAddon } from '../../src/gateway/native.js';

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

// Staged writes: small writes on plain sockets, sent by the addon's sendBatch at the iteration's end.

test('the addon is built and a plain TCP socket is stageable (CI builds it with npm ci)', async () => {
  assert.equal(typeof nativeAddon()?.sendBatch, 'function');
  const { client, server } = await pair();
  assert.ok(stageableFd(client) > 2);
  client.destroy();
  server.close();
});

test('staged writes: nothing leaves before the iteration ends; two writes on one socket are one send; order kept', async () => {
  const { client, reads, server } = await pair();
  const fd = stageableFd(client);
  assert.equal(writeOut(client, fd, 'HTTP/1.1 200 OK\r\n', null), true);
  assert.equal(writeOut(client, fd, 'Content-Length: 2\r\n\r\n', Buffer.from('hi')), true);
  assert.equal(client.writableLength, 0, 'staged bytes are not in the stream');
  await new Promise((r) => setTimeout(r, 20));
  // setTimeout callbacks run in a later iteration: the staged bytes left at the end of this one.
  await settle(reads, 40);
  assert.equal(reads.join(''), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  assert.equal(reads.length, 1);
  client.destroy();
  server.close();
});

test('staged writes to several sockets in one iteration each reach their own peer', async () => {
  const peers = await Promise.all([pair(), pair(), pair()]);
  peers.forEach((p, i) => writeOut(p.client, stageableFd(p.client), `to ${i};`, Buffer.from(`body ${i}`)));
  await turn();
  for (const [i, p] of peers.entries()) {
    await settle(p.reads, 11);
    assert.equal(p.reads.join(''), `to ${i};body ${i}`);
    p.client.destroy();
    p.server.close();
  }
});

/**
 * A loopback pair whose server side Node never reads (paused on connect): the test reads its fd
 * itself, synchronously, so it can tell what the kernel holds while this iteration still runs.
 */
async function rawPair(): Promise<{ client: Socket; serverFd: number; close: () => void; resetPeer: () => void }> {
  let accepted!: (s: Socket) => void;
  const got = new Promise<Socket>((resolve) => { accepted = resolve; });
  const server = createServer({ pauseOnConnect: true }, (s) => accepted(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.setNoDelay(true);
  await once(client, 'connect');
  const s = await got;
  const serverFd = (s as unknown as { _handle: { fd: number } })._handle.fd;
  return { client, serverFd, close: () => { client.destroy(); s.destroy(); server.close(); }, resetPeer: () => { s.resetAndDestroy(); } };
}

/** What the kernel holds for `fd` now ('' when nothing: the socket is non-blocking, EAGAIN). */
function readNow(fd: number): string {
  const buf = Buffer.alloc(256);
  try {
    return buf.toString('latin1', 0, readSync(fd, buf));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw err;
  }
}

/** Reads `fd` in a busy loop, without yielding to the event loop, until bytes come (or 2 s pass). */
function readWithinThisIteration(fd: number): string {
  const until = Date.now() + 2000;
  for (;;) {
    const got = readNow(fd);
    if (got !== '' || Date.now() > until) return got;
  }
}

test('staged writes on SEND_EVERY sockets are sent at once, before the iteration ends; the next ones wait for its end', async () => {
  const peers = await Promise.all(Array.from({ length: SEND_EVERY + 1 }, () => rawPair()));
  try {
    await stagedInBatches(peers);
  } finally {
    for (const p of peers) p.close();
  }
});

async function stagedInBatches(peers: Array<{ client: Socket; serverFd: number }>): Promise<void> {
  for (let i = 0; i < SEND_EVERY - 1; i++) writeOut(peers[i].client, stageableFd(peers[i].client), `r${i};`, null);
  // A second write on the last socket joins its entry: still SEND_EVERY - 1 sockets waiting.
  writeOut(peers[SEND_EVERY - 2].client, stageableFd(peers[SEND_EVERY - 2].client), 'more;', null);
  assert.equal(readNow(peers[0].serverFd), '', 'fewer sockets than SEND_EVERY: nothing sent yet');
  writeOut(peers[SEND_EVERY - 1].client, stageableFd(peers[SEND_EVERY - 1].client), `r${SEND_EVERY - 1};`, null);
  // Still the same iteration (nothing here yields): the kernel has every one of them.
  for (let i = 0; i < SEND_EVERY; i++) {
    assert.equal(readWithinThisIteration(peers[i].serverFd), i === SEND_EVERY - 2 ? `r${i};more;` : `r${i};`, `socket ${i}`);
  }
  const last = peers[SEND_EVERY];
  writeOut(last.client, stageableFd(last.client), 'late;', null);
  assert.equal(readNow(last.serverFd), '', 'a new batch waits again');
  await turn();
  let late = '';
  for (let i = 0; i < 200 && late === ''; i++) { late = readNow(last.serverFd); if (late === '') await new Promise((r) => setTimeout(r, 5)); }
  assert.equal(late, 'late;');
}

test('iterationNow: the clock is read once per event-loop iteration and forgotten when it ends', async () => {
  await turn();
  const first = iterationNow();
  const spinUntil = Date.now() + 15;
  while (Date.now() < spinUntil) { /* the same iteration, 15 ms later */ }
  assert.equal(iterationNow(), first, 'one read per iteration');
  await turn();
  const next = iterationNow();
  assert.ok(next >= first + 15, `a new iteration reads the clock again (${next - first} ms later)`);
  assert.ok(Date.now() - next < 1000, "not an old reading");
});

test('a head written in place: staged (fd) and through the stream (fd -1) send the same bytes; a dropped writer sends nothing', async () => {
  for (const staged of [true, false]) {
    const { client, reads, server } = await pair();
    const fd = staged ? stageableFd(client) : -1;
    writeOut(client, fd, 'first;', null);
    // Dropped: a value that cannot be sent was found half-way (writeRequestHead throws then).
    const dropped = headWriter(client, fd, 64, 0);
    dropped.text('NEVER SENT ');
    assert.equal(dropped.checked('a\r\nb', FIELD_VALUE), false);
    const w = headWriter(client, fd, 64, 4);
    w.text('GET / HTTP/1.1');
    w.crlf();
    assert.equal(w.checked('x: caf\u00e9', FIELD_VALUE), true);
    assert.equal(w.checked('\u0100', FIELD_VALUE), false, 'a character above U+00FF has no byte');
    w.text(';len=');
    w.uint(1234567);
    assert.equal(sendWritten(client, fd, w, Buffer.from('body')), true);
    writeOut(client, fd, ';last', null);
    await turn();
    const want = 'first;GET / HTTP/1.1\r\nx: caf\u00e9;len=1234567body;last';
    await settle(reads, want.length);
    assert.equal(reads.join(''), want, staged ? 'staged' : 'stream');
    client.destroy();
    server.close();
  }
});

test('a write too large to stage, or through the stream, goes after what is staged for the socket', async () => {
  const { client, reads, server } = await pair();
  const fd = stageableFd(client);
  const big = Buffer.alloc(MAX_STAGED_WRITE + 1, 0x62);
  writeOut(client, fd, 'head;', null);
  writeOut(client, fd, '', big); // through the stream: the staged head is sent first
  writeOut(client, fd, ';tail', null); // the stream holds bytes: this one queues behind them
  assert.ok(client.writableLength > 0);
  await turn();
  const total = 5 + big.length + 5;
  await settle(reads, total);
  const got = reads.join('');
  assert.equal(got.length, total);
  assert.equal(got.slice(0, 5), 'head;');
  assert.equal(got.slice(-5), ';tail');
  assert.equal(got.slice(5, -5), big.toString('latin1'));
  client.destroy();
  server.close();
});

test('a socket destroyed before the flush loses its staged bytes, and a new socket on the same fd gets none of them', { timeout: 5000 }, async () => {
  const a = await pair();
  const fd = stageableFd(a.client);
  writeOut(a.client, fd, 'SECRET-FOR-A', null);
  a.client.destroy(); // closes the fd now
  // A new connection in the same iteration: Linux hands out the lowest free fd, the one just closed.
  const { port } = a.server.address() as { port: number };
  const b = connect(port, '127.0.0.1');
  await new Promise((r) => process.nextTick(r)); // Node opens the socket on the next tick, still before the flush
  assert.equal(stageableFd(b), fd, 'the new socket reuses the fd');
  await once(b, 'connect');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(a.reads.join(''), '', 'neither peer received the destroyed socket\'s bytes');
  b.destroy();
  a.server.close();
});

test('a write on a socket already destroyed is dropped, even when a new socket has its fd', { timeout: 5000 }, async () => {
  const a = await pair();
  const fd = stageableFd(a.client);
  a.client.destroy(); // closes the fd now
  const { port } = a.server.address() as { port: number };
  const b = connect(port, '127.0.0.1');
  await new Promise((r) => process.nextTick(r));
  assert.equal(stageableFd(b), fd, 'the new socket reuses the fd');
  // A late response for the destroyed connection, with the fd it was given when it was alive.
  assert.equal(writeOut(a.client, fd, 'LATE-FOR-A', null), true);
  await once(b, 'connect');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(a.reads.join(''), '', "the new connection's peer received none of it");
  b.destroy();
  a.server.close();
});

test('the addon ends the iterations: staged bytes leave with no setImmediate queued (nothing keeps the loop from sleeping but the addon)', async () => {
  const { client, serverFd, close } = await rawPair();
  try {
    await new Promise<void>((resolve) => setTimeout(() => {
      // A timer callback: the timers phase, before the poll. Nothing else is pending, so the loop
      // would sleep in epoll with the bytes staged unless the addon sends them before it does.
      writeOut(client, stageableFd(client), 'from a timer;', null);
      resolve();
    }, 1));
    let got = '';
    for (let i = 0; i < 200 && got === ''; i++) { got = readNow(serverFd); if (got === '') await new Promise((r) => setTimeout(r, 5)); }
    assert.equal(got, 'from a timer;');
  } finally {
    close();
  }
});

test('startIterationFlush: once per thread, and its arguments are checked', () => {
  const addon = nativeAddon()!;
  const state = new Int32Array(4);
  const entries = new Int32Array(32);
  assert.throws(() => addon.startIterationFlush(state, entries, Buffer.alloc(8), () => {}), /already started on this thread/);
  assert.throws(() => addon.startIterationFlush(new Int32Array(2), entries, Buffer.alloc(8), () => {}), /already started|at least 3 numbers/);
});

/**
 * A unix socket pair whose reading side is paused: a unix socket's send buffer (~200 KiB) is
 * smaller than a full staging batch, so a large staged send is partial. `chunks` collects what the
 * peer reads once resumed.
 */
async function pausedUnixPair(tag: string): Promise<{ client: Socket; peer: Socket; chunks: Buffer[]; server: Server }> {
  const path = join(tmpdir(), `outpost-stage-${tag}-${process.pid}-${Date.now()}.sock`);
  const chunks: Buffer[] = [];
  let peer: Socket | undefined;
  const server = createServer((s) => { peer = s; s.pause(); s.on('data', (c: Buffer) => chunks.push(c)); });
  server.listen(path);
  await once(server, 'listening');
  const client = connect(path);
  await once(client, 'connect');
  while (peer === undefined) await new Promise((r) => setTimeout(r, 5));
  return { client, peer, chunks, server };
}

test('at the iteration end the addon hands what the kernel did not take to the stream; it arrives whole and in order', async () => {
  // As below, but the iteration's end (native/src/iteration_flush.c) sends, not flushStaged().
  const { client, peer, chunks, server } = await pausedUnixPair('end');
  const fd = stageableFd(client);
  const parts: Buffer[] = [];
  // One socket, one entry: it is never SEND_EVERY entries, so only the iteration's end sends it.
  for (let i = 0; i < 15; i++) {
    const part = Buffer.alloc(MAX_STAGED_WRITE, 0x61 + i);
    parts.push(part);
    writeOut(client, fd, '', part);
  }
  assert.equal(client.writableLength, 0, 'all staged, nothing in the stream yet');
  await turn();
  assert.ok(client.writableLength > 0, 'the rest waits in the stream');
  writeOut(client, fd, 'after', null); // the stream holds bytes: this goes behind them
  peer.resume();
  const total = 15 * MAX_STAGED_WRITE + 5;
  for (let i = 0; i < 400 && chunks.reduce((n, c) => n + c.length, 0) < total; i++) await new Promise((r) => setTimeout(r, 5));
  const got = Buffer.concat(chunks);
  assert.equal(got.length, total);
  assert.ok(got.subarray(0, total - 5).equals(Buffer.concat(parts)), 'every byte, in order');
  assert.equal(got.subarray(total - 5).toString('latin1'), 'after');
  client.destroy();
  server.close();
});

test('what a tick of the end-of-iteration callback stages is sent, not forgotten: a write failing there, and its error handler writing to another socket', { timeout: 5000 }, async () => {
  const a = await rawPair();
  const b = await pair();
  try {
    const fdA = stageableFd(a.client);
    const fdB = stageableFd(b.client);
    // The handler runs in a tick of the addon's call into JavaScript (the rest of A's failed send
    // goes to A's stream, whose write fails at once and emits on the next tick).
    const failed = new Promise<string>((resolve) => a.client.once('error', (err: NodeJS.ErrnoException) => {
      writeOut(b.client, fdB, 'from the error handler', null);
      resolve(err.code ?? '');
    }));
    // A's peer resets the connection (an RST, at once on loopback): A's send fails at the iteration's end.
    a.resetPeer();
    writeOut(a.client, fdA, 'to a reset peer', null);
    assert.match(await failed, /^(EPIPE|ECONNRESET)$/);
    await settle(b.reads, 22);
    assert.equal(b.reads.join(''), 'from the error handler');
  } finally {
    a.close();
    b.client.destroy();
    b.server.close();
  }
});

test('what the kernel does not take at once goes to the stream, in order, and arrives whole', async () => {
  const { client, peer, chunks, server } = await pausedUnixPair('flush');
  const fd = stageableFd(client);
  assert.ok(fd > 2);
  const parts: Buffer[] = [];
  for (let i = 0; i < 15; i++) {
    const part = Buffer.alloc(MAX_STAGED_WRITE, 0x41 + i);
    parts.push(part);
    writeOut(client, fd, '', part);
  }
  flushStaged();
  assert.ok(client.writableLength > 0, 'the rest waits in the stream');
  writeOut(client, fd, 'end', null); // queued behind the rest, not staged
  peer.resume();
  const expected = Buffer.concat([...parts, Buffer.from('end')]);
  for (let i = 0; i < 400 && Buffer.concat(chunks).length < expected.length; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(Buffer.concat(chunks).equals(expected));
  client.destroy();
  server.close();
});

test('a borrowed body is copied when it goes through the stream (unstageable socket, too large, a stream holding bytes); overwriting its source afterwards changes nothing sent', async () => {
  const { client, reads, server } = await pair();
  try {
    const fd = stageableFd(client);
    const source = Buffer.alloc(MAX_STAGED_WRITE + 10, 0x61);
    const sent: string[] = [];
    // Three ways through the stream: no fd (TLS, no addon), too large to stage, and a stream with bytes queued.
    const cases: Array<[number, number]> = [[-1, 40], [fd, MAX_STAGED_WRITE + 10], [fd, 30]];
    for (const [useFd, length] of cases) {
      source.fill(0x61 + sent.length);
      const body = source.subarray(0, length);
      sent.push(body.toString('latin1'));
      if (useFd >= 0 && length < MAX_STAGED_WRITE) client.write('x'); // the stream holds a byte now
      writeOut(client, useFd, '', body, true);
      source.fill(0x7a); // the next read overwrites the buffer the body was a view of
    }
    await turn();
    const expected = sent[0] + sent[1] + 'x' + sent[2];
    await settle(reads, expected.length);
    assert.equal(reads.join(''), expected);
    assert.ok(!reads.join('').includes('z'), 'a byte written after the call reached the peer');
  } finally {
    client.destroy();
    server.close();
  }
});

test('a borrowed body staged is copied at once: overwriting its source after the call changes nothing sent', async () => {
  const { client, reads, server } = await pair();
  try {
    const fd = stageableFd(client);
    assert.ok(fd >= 0);
    const source = Buffer.from('borrowed body bytes');
    writeOut(client, fd, 'head:', source, true);
    source.fill(0x7a);
    await turn();
    await settle(reads, 24);
    assert.equal(reads.join(''), 'head:borrowed body bytes');
  } finally {
    client.destroy();
    server.close();
  }
});

/** The length of each chunk `socket.write` is given from now on (its stream's writes). */
function countWrites(socket: Socket): number[] {
  const writes: number[] = [];
  const write = socket.write.bind(socket);
  socket.write = ((chunk: Buffer | string, ...rest: never[]) => { writes.push(chunk.length); return write(chunk, ...rest); }) as typeof socket.write;
  return writes;
}

test('a head and its body through the stream: one write when the body is small, two when it is not; bytes in order, a borrowed body copied', async () => {
  const { client, reads, server } = await pair();
  try {
    const writes = countWrites(client);
    const source = Buffer.alloc(MAX_STAGED_WRITE + 10, 0x61);
    const expected: string[] = [];
    for (const [length, borrowed] of [[40, true], [MAX_STAGED_WRITE, false], [MAX_STAGED_WRITE + 10, true]] as Array<[number, boolean]>) {
      // An owned body is the stream's once written: its own bytes, never touched again.
      const body = borrowed ? source.subarray(0, length) : Buffer.alloc(length);
      body.fill(0x62 + expected.length);
      const w = headWriter(client, -1, 64, length);
      w.text(`HEAD ${expected.length};`);
      expected.push(`HEAD ${expected.length};${body.toString('latin1')}`);
      sendWritten(client, -1, w, body, borrowed);
      if (borrowed) source.fill(0x7a); // the next read overwrites what a borrowed body was a view of
    }
    await turn();
    const want = expected.join('');
    await settle(reads, want.length);
    assert.equal(reads.join(''), want);
    // 40 and 16,384 body bytes went with their heads; the 16,394 went after its own.
    assert.deepEqual(writes, [7 + 40, 7 + MAX_STAGED_WRITE, 7, MAX_STAGED_WRITE + 10]); // "HEAD n;" is 7 bytes
  } finally {
    client.destroy();
    server.close();
  }
});

test('writeOut through the stream: text and a small body in one write, a larger body after its text; bytes in order, a borrowed body copied', async () => {
  const { client, reads, server } = await pair();
  try {
    const writes = countWrites(client);
    const source = Buffer.alloc(MAX_STAGED_WRITE + 10, 0x61);
    const expected: string[] = [];
    for (const length of [40, MAX_STAGED_WRITE + 10]) {
      source.fill(0x62 + expected.length);
      const body = source.subarray(0, length);
      const text = `TEXT ${expected.length};`;
      expected.push(text + body.toString('latin1'));
      writeOut(client, -1, text, body, true);
      source.fill(0x7a); // the next read overwrites what the borrowed body was a view of
    }
    await turn();
    const want = expected.join('');
    await settle(reads, want.length);
    assert.equal(reads.join(''), want);
    assert.deepEqual(writes, [7 + 40, 7, MAX_STAGED_WRITE + 10]); // "TEXT n;" is 7 bytes
  } finally {
    client.destroy();
    server.close();
  }
});
