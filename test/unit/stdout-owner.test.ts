/**
 * StdoutOwner, the primary's single writer of fd 1: everything queued reaches the fd whole and in
 * order, on a regular file and on a pipe (a chunk over 1 MiB goes out in pieces cut after a
 * newline); past its bound a chunk is refused; at exit the queue is written synchronously.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { StdoutOwner } from '../../src/gateway/primary/stdout-owner.js';
import { testTempDir } from '../support/temp-dir.js';

const line = (i: number, size = 120): string => `{"type":"request","n":${i},"pad":"${'x'.repeat(size)}"}\n`;

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('a regular file gets every chunk, in order', async () => {
  const file = join(testTempDir('outpost-owner-'), 'log');
  const fd = openSync(file, 'w');
  const out = new StdoutOwner(fd);
  let expected = '';
  for (let batch = 0; batch < 20; batch++) {
    let text = '';
    for (let i = 0; i < 50; i++) text += line(batch * 50 + i);
    expected += text;
    assert.equal(out.enqueue(Buffer.from(text)), true);
  }
  await until(() => out.pendingBytes === 0);
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8'), expected);
});

test('on a pipe, a chunk over the piece size arrives whole, in order, cut only after newlines', async () => {
  const dir = testTempDir('outpost-fifo-');
  const fifo = join(dir, 'p');
  try { execFileSync('mkfifo', [fifo]); } catch { return; } // coreutils' mkfifo; Debian has it
  const fd = openSync(fifo, 'r+'); // read and write ends at once: no blocking open
  const out = new StdoutOwner(fd);
  let text = '';
  for (let i = 0; i < 6000; i++) text += line(i, 300); // ~2 MB: more than one piece
  out.enqueue(Buffer.from(text));
  out.enqueue(Buffer.from(line(-1)));
  const expected = text + line(-1);
  let got = '';
  const buf = Buffer.alloc(1 << 20);
  while (got.length < expected.length) {
    await new Promise((r) => setTimeout(r, 5));
    got += buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString('utf8');
  }
  closeSync(fd);
  assert.equal(got, expected);
});

test('past its bound a chunk is refused (the caller counts its lines); drained() waits for the rest', async () => {
  const file = join(testTempDir('outpost-owner-'), 'log');
  const fd = openSync(file, 'w');
  const out = new StdoutOwner(fd, 64 * 1024);
  const first = line(0, 40 * 1024);
  assert.equal(out.enqueue(Buffer.from(first)), true);
  assert.equal(out.enqueue(Buffer.from(line(1, 40 * 1024)), true), false, 'a request-log batch over 64 KiB waiting is refused');
  await out.drained(5_000);
  assert.equal(out.pendingBytes, 0);
  // The process's own lines are never refused, whatever waits.
  const big = line(5, 70 * 1024);
  assert.equal(out.enqueue(Buffer.from(big)), true);
  await out.drained(5_000);
  const more = [line(2), line(3), line(4)];
  for (const l of more) assert.equal(out.enqueue(Buffer.from(l)), true, 'room again once written');
  await out.drained(5_000);
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8'), first + big + more.join(''));
});

test('flushSync writes what is queued behind nothing in flight, in order', () => {
  const file = join(testTempDir('outpost-owner-'), 'log');
  const fd = openSync(file, 'w');
  const out = new StdoutOwner(fd);
  // Queue behind a write that cannot start: the owner thinks one is in flight.
  (out as unknown as { writing: boolean }).writing = true;
  out.enqueue(Buffer.from(line(1)));
  out.enqueue(Buffer.from(line(2)));
  out.flushSync();
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8'), line(1) + line(2));
  assert.equal(out.pendingBytes, 0);
});

test('a non-blocking pipe whose reader is behind (EAGAIN): nothing is dropped, it is written once the reader reads', async () => {
  const dir = testTempDir('outpost-fifo-');
  const fifo = join(dir, 'p');
  try { execFileSync('mkfifo', [fifo]); } catch { return; }
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const out = new StdoutOwner(fd);
  let text = '';
  for (let i = 0; i < 4000; i++) text += line(i, 200); // ~880 KB: far more than the pipe holds
  out.enqueue(Buffer.from(text));
  await new Promise((r) => setTimeout(r, 100)); // the pipe is full; the owner keeps retrying
  let got = '';
  const buf = Buffer.alloc(1 << 16);
  for (let i = 0; i < 2000 && got.length < text.length; i++) {
    try { got += buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString('utf8'); } catch { /* EAGAIN: empty for now */ }
    await new Promise((r) => setTimeout(r, 2));
  }
  closeSync(fd);
  assert.equal(got.length, text.length);
  assert.equal(got, text);
});

test('a chunk enqueued with done is handed back once, after its last byte is written, in order; a refused one at once', async () => {
  const dir = testTempDir('outpost-fifo-');
  const fifo = join(dir, 'p');
  try { execFileSync('mkfifo', [fifo]); } catch { return; }
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const out = new StdoutOwner(fd, 4 * 1024 * 1024);
  // A chunk over the piece size (written in pieces), then small ones, through a pipe that pushes back.
  const chunks = [2_200, 30, 900].map((n, k) => { let t = ''; for (let i = 0; i < n; i++) t += line(k * 10_000 + i, 200); return Buffer.from(t); });
  const handedBack: Array<{ chunk: Uint8Array; pendingAfter: number }> = [];
  for (const c of chunks) assert.equal(out.enqueue(c, true, (chunk) => handedBack.push({ chunk, pendingAfter: out.pendingBytes })), true);
  const refused = Buffer.from(line(-1, 5 * 1024 * 1024));
  let refusedBack: Uint8Array | null = null;
  assert.equal(out.enqueue(refused, true, (chunk) => { refusedBack = chunk; }), false);
  assert.equal(refusedBack, refused, 'a refused chunk is handed back at once');
  assert.equal(handedBack.length, 0, 'nothing handed back before it is written');
  let got = 0;
  const buf = Buffer.alloc(1 << 16);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  for (let i = 0; i < 4000 && got < total; i++) {
    try { got += readSync(fd, buf, 0, buf.length, null); } catch { /* EAGAIN: empty for now */ }
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => handedBack.length === chunks.length);
  closeSync(fd);
  assert.equal(got, total);
  assert.deepEqual(handedBack.map((h) => h.chunk), chunks, 'each chunk once, the same object, in order');
  // When chunk k comes back, only the chunks after it are still waiting: none of its bytes are.
  handedBack.forEach((h, k) => assert.equal(h.pendingAfter, chunks.slice(k + 1).reduce((n, c) => n + c.length, 0), `chunk ${k}`));
});
