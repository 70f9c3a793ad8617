/**
 * StdoutLines: a worker's request-log batches reach the fd whole and in order, on a regular file
 * and on a pipe (where they go out in pieces of at most PIPE_BUF bytes, one over-long line alone);
 * the queue's bound says no past it and calls back once drained.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdoutLines } from '../../src/gateway/telemetry/stdout-lines.js';

const line = (i: number, size = 120): string => `{"type":"request","n":${i},"pad":"${'x'.repeat(size)}"}\n`;

test('a regular file gets every line, in order', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'outpost-lines-')), 'log');
  const fd = openSync(file, 'w');
  const out = new StdoutLines(fd);
  let expected = '';
  for (let batch = 0; batch < 20; batch++) {
    let text = '';
    for (let i = 0; i < 50; i++) text += line(batch * 50 + i);
    expected += text;
    out.write(text);
  }
  await new Promise<void>((resume) => { const check = () => (readFileSync(file, 'utf8').length >= expected.length ? resume() : setTimeout(check, 10)); check(); });
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8'), expected);
});

test('on a pipe (pieces of at most PIPE_BUF bytes cut after a newline), everything arrives whole and in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-fifo-'));
  const fifo = join(dir, 'p');
  try { execFileSync('mkfifo', [fifo]); } catch { return; } // coreutils' mkfifo; Debian has it
  const fd = openSync(fifo, 'r+'); // read and write ends at once: no blocking open
  const out = new StdoutLines(fd);
  let text = '';
  for (let i = 0; i < 30; i++) text += line(i, 300); // ~10 KB: three pieces at least
  text += line(999, 6000); // one line longer than PIPE_BUF goes out alone
  out.write(text);
  const chunks: string[] = [];
  let got = '';
  const buf = Buffer.alloc(65536);
  while (got.length < text.length) {
    await new Promise((r) => setTimeout(r, 20));
    const n = readSync(fd, buf, 0, buf.length, null);
    chunks.push(buf.subarray(0, n).toString('utf8'));
    got += chunks.at(-1);
  }
  closeSync(fd);
  assert.equal(got, text);
});

test('past its bound the writer says no, and calls back once drained', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'outpost-lines-')), 'log');
  const fd = openSync(file, 'w');
  const out = new StdoutLines(fd);
  const big = line(0, 1024 * 1024 - 40).repeat(5); // 5 MiB of lines, over the 4 MiB bound
  assert.equal(out.write(big), false);
  await new Promise<void>((resume) => out.whenDrained(resume));
  assert.equal(out.write(line(1)), true);
  await new Promise((r) => setTimeout(r, 200));
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8').length, big.length + line(1).length);
});
