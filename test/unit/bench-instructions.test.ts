/**
 * bench:instructions' readers: the keep-alive client's answer framing, callgrind's totals, and JIT
 * addresses named through a --perf-basic-prof map.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionCosts, nameAt, parsePerfMap, readAnswer, totalsOf } from '../../bench/instructions-count.js';

test('readAnswer: one answer at a time, null until its body is whole', () => {
  const one = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5\r\n\r\nhello';
  assert.equal(readAnswer(Buffer.from(one.slice(0, 40))), null);
  assert.equal(readAnswer(Buffer.from(one.slice(0, -1))), null);
  assert.deepEqual(readAnswer(Buffer.from(one + 'HTTP/1.1 429 Too')), { status: 200, length: one.length });
  assert.deepEqual(readAnswer(Buffer.from('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n')), { status: 401, length: 48 });
  assert.throws(() => readAnswer(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')), /without Content-Length/);
});

test('totalsOf: the totals line, else summary; a dump without either is an error', () => {
  assert.equal(totalsOf('version: 1\nevents: Ir\nfn=(1) main\n0 5\nsummary: 99\ntotals: 1234567\n'), 1234567);
  assert.equal(totalsOf('events: Ir\nsummary: 4321\n'), 4321);
  assert.throws(() => totalsOf('events: Ir\n'), /no totals/);
});

test('parsePerfMap and nameAt: the range holding an address, none between or past ranges', () => {
  const ranges = parsePerfMap('2f00 40 JS:*handle file:///a.js:1:1\n1000 10 JS:*first\nnot a line\n2000 100 JS:*scan file:///b.js:2:3\n');
  assert.deepEqual(ranges.map((r) => r[2]), ['JS:*first', 'JS:*scan file:///b.js:2:3', 'JS:*handle file:///a.js:1:1']);
  assert.equal(nameAt(ranges, 0x1000), 'JS:*first');
  assert.equal(nameAt(ranges, 0x100f), 'JS:*first');
  assert.equal(nameAt(ranges, 0x1010), null);
  assert.equal(nameAt(ranges, 0x20ff), 'JS:*scan file:///b.js:2:3');
  assert.equal(nameAt(ranges, 0x2f3f), 'JS:*handle file:///a.js:1:1');
  assert.equal(nameAt(ranges, 0x2f40), null);
  assert.equal(nameAt(ranges, 0x10), null);
  assert.equal(nameAt([], 0x10), null);
});

test('functionCosts: self costs per request, JIT addresses named and summed, sorted', () => {
  const annotated = [
    '--------------------------------------------------------------------------------',
    '1,000,000 (100.0%)  PROGRAM TOTALS',
    '--------------------------------------------------------------------------------',
    '  400,000 (40.00%)  ???:0x0000000000002010 [???]',
    '  300,000 (30.00%)  ???:0x0000000000002050 [???]',
    '  200,000 (20.00%)  ./string/../memmove.S:__memcpy_avx_unaligned_erms [/usr/lib/x86_64-linux-gnu/libc.so.6]',
    '   60,000 ( 6.00%)  ???:0x0000000000009000 [???]',
    '   40,000 ( 4.00%)  ???:0x0000000000001005 [???]',
  ].join('\n');
  const ranges = parsePerfMap('2000 100 JS:*scan\n1000 10 JS:*first\n');
  assert.deepEqual(functionCosts(annotated, ranges, 1000), [
    { name: 'JS:*scan', perRequest: 700 },
    { name: './string/../memmove.S:__memcpy_avx_unaligned_erms', perRequest: 200 },
    { name: 'JIT code without a name (stubs, bytecode handlers)', perRequest: 60 },
    { name: 'JS:*first', perRequest: 40 },
  ]);
});
