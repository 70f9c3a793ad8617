import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableBuffers } from '../../src/gateway/primary/table-buffers.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

test('table buffers: a buffer is reused only once every worker serves a generation two newer', () => {
  const b = new TableBuffers();
  const g1 = b.take(bytes(1000, 1)); b.bind(g1, 1);
  const g2 = b.take(bytes(1000, 2)); b.bind(g2, 2);
  b.servedEverywhere(2); // workers may still start requests on... nothing older than 1: keep both
  const g3 = b.take(bytes(1000, 3)); b.bind(g3, 3);
  assert.notEqual(g3, g1);
  assert.notEqual(g3, g2);
  b.servedEverywhere(3); // generation 1 is two behind: its buffer is free
  const g4 = b.take(bytes(1000, 4)); b.bind(g4, 4);
  assert.equal(g4, g1, 'the buffer of generation 1 is reused');
  assert.equal(new Uint8Array(g4)[0], 4);
  assert.deepEqual(b.counts(), { held: 3, free: 0, allocated: 3 });
});

test('table buffers: 1,000 reloads allocate a bounded number of buffers', () => {
  const b = new TableBuffers();
  for (let g = 1; g <= 1000; g++) {
    b.bind(b.take(bytes(50_000 + (g % 7) * 1000)), g);
    b.servedEverywhere(g);
  }
  assert.ok(b.counts().allocated <= 3, JSON.stringify(b.counts()));
});

test('table buffers: a compile that was never published is freed with the generations before it', () => {
  const b = new TableBuffers();
  b.bind(b.take(bytes(10)), 1);
  b.take(bytes(10)); // compiled, then superseded by a newer reload
  b.bind(b.take(bytes(10)), 2);
  b.bind(b.take(bytes(10)), 3);
  b.servedEverywhere(3);
  assert.deepEqual(b.counts(), { held: 2, free: 2, allocated: 4 });
});

test('table buffers: a larger table gets a larger buffer; capacity is a power of two', () => {
  const b = new TableBuffers();
  const small = b.take(bytes(10));
  assert.equal(small.byteLength, 64 * 1024);
  const big = b.take(bytes(300_000));
  assert.equal(big.byteLength, 512 * 1024);
});
