import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableSpace, TableBuffers } from '../../src/gateway/primary/table-buffers.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

/** What the compiler thread does with a table (compile-task.ts lays it out into tableSpace()): its buffer. */
function placeTable(table: Uint8Array, spare: SharedArrayBuffer | null): SharedArrayBuffer {
  const space = tableSpace(table.length, spare);
  space.set(table);
  return space.buffer as SharedArrayBuffer;
}

/** What a compile does (table-compiler.ts and compile-task.ts), in one thread: lend, place, adopt. */
function take(b: TableBuffers, table: Uint8Array): SharedArrayBuffer {
  const lent = b.lend();
  const buffer = placeTable(table, lent);
  b.adopt(buffer, lent);
  return buffer;
}

test('table buffers: a buffer is reused once every worker serves a newer generation, never while its own is live', () => {
  const b = new TableBuffers();
  const g1 = take(b, bytes(1000, 1)); b.bind(g1, 1);
  b.servedEverywhere(1);
  const g2 = take(b, bytes(1000, 2)); b.bind(g2, 2);
  assert.notEqual(g2, g1, 'generation 1 is live: its buffer is not lent');
  // Generation 2 is published but some worker still serves 1: neither buffer may be written.
  const g3 = take(b, bytes(1000, 3)); b.bind(g3, 3);
  assert.notEqual(g3, g1);
  assert.notEqual(g3, g2);
  assert.equal(new Uint8Array(g1)[0], 1);
  b.servedEverywhere(3); // generations 1 and 2: nothing starts on them any more
  const g4 = take(b, bytes(1000, 4)); b.bind(g4, 4);
  assert.ok(g4 === g1 || g4 === g2, 'an older generation\'s buffer is reused');
  assert.equal(new Uint8Array(g4)[0], 4);
  assert.equal(new Uint8Array(g3)[0], 3, 'the live table is untouched');
  assert.deepEqual(b.counts(), { held: 2, free: 1, allocated: 3 });
});

test('table buffers: 1,000 reloads allocate two buffers, the live table and the one compiled into', () => {
  const b = new TableBuffers();
  for (let g = 1; g <= 1000; g++) {
    b.bind(take(b, bytes(50_000 + (g % 7) * 1000)), g);
    b.servedEverywhere(g);
  }
  assert.deepEqual(b.counts(), { held: 1, free: 1, allocated: 2 });
});

test('table buffers: a compile that was never published is freed with the generations before it', () => {
  const b = new TableBuffers();
  b.bind(take(b, bytes(10)), 1);
  take(b, bytes(10)); // compiled, then superseded by a newer reload
  b.bind(take(b, bytes(10)), 2);
  b.bind(take(b, bytes(10)), 3);
  b.servedEverywhere(3);
  assert.deepEqual(b.counts(), { held: 1, free: 3, allocated: 4 });
});

test('table buffers: a larger table gets a larger buffer; capacity is a power of two', () => {
  const b = new TableBuffers();
  const small = take(b, bytes(10));
  assert.equal(small.byteLength, 64 * 1024);
  const big = take(b, bytes(300_000));
  assert.equal(big.byteLength, 512 * 1024);
});

test('table buffers: a compile is lent the largest free buffer; a table that does not fit gets a new one and the lent one is free again', () => {
  const b = new TableBuffers();
  const small = take(b, bytes(10)); b.bind(small, 1);
  const large = take(b, bytes(200_000)); b.bind(large, 2);
  b.servedEverywhere(2); // small is free
  const again = take(b, bytes(10)); b.bind(again, 3);
  assert.equal(again, small, 'generation 3 reuses the small buffer');
  b.servedEverywhere(3); // large is free too
  assert.equal(b.counts().free, 1);
  const lent = b.lend();
  assert.equal(lent, large);
  assert.equal(b.lend(), null, 'nothing else is free');
  // The thread's table is larger than the lent buffer: a new buffer, and the lent one goes back.
  const bigger = placeTable(bytes(300_000, 7), lent);
  assert.notEqual(bigger, lent);
  assert.equal(bigger.byteLength, 512 * 1024);
  b.adopt(bigger, lent);
  assert.equal(b.lend(), large);
  // A table that fits is written into the lent buffer itself.
  const same = placeTable(bytes(150_000, 9), large);
  assert.equal(same, large);
  assert.equal(new Uint8Array(same)[149_999], 9);
  b.adopt(same, large);
  assert.deepEqual(b.counts(), { held: 3, free: 0, allocated: 3 });
});

test('table buffers: a compile that gives no table hands its lent buffer back', () => {
  const b = new TableBuffers();
  b.bind(take(b, bytes(10)), 1);
  b.bind(take(b, bytes(10)), 2);
  b.servedEverywhere(2);
  const lent = b.lend();
  assert.notEqual(lent, null);
  assert.equal(b.counts().free, 0);
  b.giveBack(lent);
  assert.equal(b.counts().free, 1);
  assert.equal(b.lend(), lent);
});

test('table space: a zeroed view at the start of the lent buffer when the table fits (an older table never shows through), else a new buffer', () => {
  const lent = new SharedArrayBuffer(64 * 1024);
  new Uint8Array(lent).fill(0xee);
  const space = tableSpace(1000, lent);
  assert.equal(space.buffer, lent);
  assert.equal(space.byteOffset, 0);
  assert.equal(space.length, 1000);
  assert.ok(space.every((b) => b === 0), 'the older table is cleared where the new one goes');
  assert.equal(new Uint8Array(lent)[1000], 0xee, 'past the new table nothing is touched');
  const bigger = tableSpace(100_000, lent);
  assert.notEqual(bigger.buffer, lent);
  assert.equal(bigger.buffer.byteLength, 128 * 1024);
  assert.equal(tableSpace(10, null).buffer.byteLength, 64 * 1024);
});
