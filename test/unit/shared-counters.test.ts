/**
 * SharedCounters: fixed-window counts, window resets, peek, the full-table (overflow) behaviour,
 * taking over expired slots, and exactness across real worker threads sharing one buffer.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import * as L from '../../src/shared/counter-layout.js';
import type { CounterPhase, CounterWorkerData, CounterWorkerResult } from '../support/counter-worker.js';

const WORKER_FILE = new URL('../support/counter-worker.js', import.meta.url);

/** A table with a clock the test moves by hand (seconds). */
function table(capacity?: number, startSec = 1_000) {
  const clock = { sec: startSec };
  const buffer = SharedCounters.allocate(capacity);
  return { buffer, clock, counters: new SharedCounters(buffer, () => clock.sec * 1000) };
}

function keyWords(buffer: SharedArrayBuffer): bigint[] {
  const words = new BigUint64Array(buffer);
  const capacity = Number(words[L.H_CAPACITY]);
  const keys: bigint[] = [];
  for (let i = 0; i < capacity; i++) keys.push(words[L.HEADER_WORDS + i * L.SLOT_WORDS + L.SLOT_KEY]);
  return keys;
}

async function runWorkers(buffer: SharedArrayBuffer, parties: number, phases: CounterPhase[], peek = false, chaos = 0) {
  const sameOrder = chaos > 0;
  const barrier = new SharedArrayBuffer(4);
  const runs = Array.from({ length: parties }, (_, i) => new Promise<CounterWorkerResult>((resolve, reject) => {
    const workerData: CounterWorkerData = { buffer, barrier, parties, phases, peek, chaos, sameOrder, seed: 0x9e3779b9 + i * 7919 };
    const worker = new Worker(WORKER_FILE, { workerData });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`counter worker exited with ${code}`)); });
  }));
  return Promise.all(runs);
}

describe('SharedCounters: one thread', () => {
  test('counts 1..N for one key in one window', () => {
    const { counters } = table();
    for (let i = 1; i <= 1000; i++) assert.equal(counters.hit('rl\u0000alice', 1_010), i);
  });

  test('separate keys count independently', () => {
    const { counters } = table();
    assert.equal(counters.hit('rl\u0000a', 1_010), 1);
    assert.equal(counters.hit('rl\u0000b', 1_010), 1);
    assert.equal(counters.hit('rl\u0000a', 1_010), 2);
    assert.equal(counters.hit('quota\u0000a', 1_010), 1);
    assert.equal(counters.hit('rl\u0000b', 1_010), 2);
    assert.equal(counters.hit('rl\u0000a', 1_010), 3);
  });

  test('a newer window starts again at 1', () => {
    const { counters } = table();
    for (let i = 1; i <= 3; i++) assert.equal(counters.hit('k', 1_010), i);
    assert.equal(counters.hit('k', 1_020), 1);
    assert.equal(counters.hit('k', 1_020), 2);
  });

  test('a hit for an older window counts in the newer one and does not reset it', () => {
    const { counters } = table();
    assert.equal(counters.hit('k', 1_020), 1);
    assert.equal(counters.hit('k', 1_020), 2);
    assert.equal(counters.hit('k', 1_010), 3);
    assert.equal(counters.hit('k', 1_020), 4);
    assert.equal(counters.peek('k', 1_020), 4);
  });

  test('peek reads without counting', () => {
    const { counters } = table();
    assert.equal(counters.peek('k', 1_010), 0);
    counters.hit('k', 1_010);
    counters.hit('k', 1_010);
    assert.equal(counters.peek('k', 1_010), 2);
    assert.equal(counters.peek('k', 1_010), 2);
    assert.equal(counters.peek('k', 1_020), 0, 'a newer window has no hits yet');
    assert.equal(counters.peek('k', 1_000), 2, 'an older window reads the stored newer one, as hit counts in it');
    assert.equal(counters.peek('other', 1_010), 0);
    assert.equal(counters.hit('k', 1_010), 3);
  });

  test('allocate refuses a capacity that is not a power of two; the constructor refuses a foreign buffer', () => {
    assert.throws(() => SharedCounters.allocate(1000));
    assert.throws(() => SharedCounters.allocate(0));
    assert.throws(() => new SharedCounters(new SharedArrayBuffer(1024)));
  });
});

describe('SharedCounters: a full table', () => {
  const tiny = 16; // every key's probe run covers the whole table

  test('never throws, keeps existing keys exact, and overflowing keys of one policy share a counter', () => {
    assert.notEqual(L.overflowIndex('rl\u0000x'), L.overflowIndex('quota\u0000x'), 'test prefixes must not share an overflow counter');
    const { buffer, counters } = table(tiny);
    for (let i = 0; i < tiny; i++) assert.equal(counters.hit(`rl\u0000owner${i}`, 1_010), 1);
    assert.ok(keyWords(buffer).every((k) => k !== 0n), 'the table is full');

    for (let i = 1; i <= 200; i++) assert.equal(counters.hit(`rl\u0000intruder${i}`, 1_010), i, 'one shared counter for the prefix');
    for (let i = 1; i <= 5; i++) assert.equal(counters.hit(`quota\u0000intruder${i}`, 1_010), i, 'another prefix, its own counter');
    assert.equal(counters.peek('rl\u0000someone-new', 1_010), 200, 'peek of an overflowing key reads the shared counter');
    assert.equal(counters.hit('rl\u0000intruder1', 1_020), 1, 'the overflow counter has windows too');

    for (let i = 0; i < tiny; i++) assert.equal(counters.hit(`rl\u0000owner${i}`, 1_010), 2, 'keys with a slot stay exact');
    for (let i = 0; i < tiny; i++) assert.equal(counters.peek(`rl\u0000owner${i}`, 1_010), 2);
  });

  test('many random keys on a larger table never throw and stay bounded', () => {
    const { buffer, counters } = table(256);
    const bytes = buffer.byteLength;
    for (let i = 0; i < 20_000; i++) {
      const n = counters.hit(`rl\u0000${Math.random().toString(36)}`, 1_010);
      assert.ok(n >= 1);
    }
    assert.equal(buffer.byteLength, bytes);
  });

  test('slots whose window has ended are taken over by new keys', () => {
    const { counters, clock } = table(tiny);
    for (let i = 0; i < tiny; i++) counters.hit(`rl\u0000old${i}`, 1_010);
    assert.equal(counters.hit('rl\u0000new0', 1_010), 1, 'full: overflow');
    assert.equal(counters.hit('rl\u0000new1', 1_010), 2, 'full: same overflow counter');

    clock.sec = 1_010; // every stored window (ending at 1010) has ended
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < tiny; i++) assert.equal(counters.hit(`rl\u0000new${i}`, 1_020), round, `new${i} has its own counter`);
    }
    for (let i = 0; i < tiny; i++) assert.equal(counters.peek(`rl\u0000new${i}`, 1_020), 3);
    assert.equal(counters.peek('rl\u0000old0', 1_020), 0);
    assert.equal(counters.hit('rl\u0000old0', 1_020), 1, 'full again (windows still running): overflow, new window');
    assert.equal(counters.hit('rl\u0000old1', 1_020), 2);
  });
});

describe('SharedCounters: paired keys (rate-limit\'s sliding window)', () => {
  test('hitPaired and peekPaired count in the counters of key + suffix, as hit and peek of that string do', () => {
    const a = table(1024);
    const b = table(1024);
    for (let i = 0; i < 50; i++) {
      const key = `rl\u0000user-${i % 7}`;
      const which = (i % 3 === 0 ? 1 : 0) as 0 | 1;
      const end = 1_010 + (i % 2) * 10;
      assert.equal(a.counters.hitPaired(key, which, end, 1 + (i % 4)), b.counters.hit(key + L.PAIR_SUFFIXES[which], end, 1 + (i % 4)));
      assert.equal(a.counters.peekPaired(key, (which ^ 1) as 0 | 1, end), b.counters.peek(key + L.PAIR_SUFFIXES[which ^ 1], end));
    }
    // The same slots hold the same words: the two tables are byte for byte alike.
    assert.deepEqual(new BigUint64Array(a.buffer), new BigUint64Array(b.buffer));
    // And each is readable through the other form.
    assert.equal(a.counters.peek(`rl\u0000user-1${L.PAIR_SUFFIXES[0]}`, 1_020), b.counters.peekPaired('rl\u0000user-1', 0, 1_020));
  });

  test('an overflowing paired key shares its policy\'s overflow counter, as the string would', () => {
    const tiny = 16;
    const a = table(tiny);
    const b = table(tiny);
    for (let i = 0; i < tiny; i++) { a.counters.hit(`rl\u0000owner${i}`, 1_010); b.counters.hit(`rl\u0000owner${i}`, 1_010); }
    for (let i = 1; i <= 30; i++) {
      assert.equal(a.counters.hitPaired(`rl\u0000intruder${i}`, (i & 1) as 0 | 1, 1_010), i);
      assert.equal(b.counters.hit(`rl\u0000intruder${i}${L.PAIR_SUFFIXES[i & 1]}`, 1_010), i);
    }
    assert.equal(a.counters.peekPaired('rl\u0000someone', 0, 1_010), 30);
    // A key with no policy prefix: the overflow counter is picked by the whole suffixed string.
    for (let i = 0; i < 3; i++) assert.equal(a.counters.hitPaired('bare', 1, 1_010), b.counters.hit(`bare${L.PAIR_SUFFIXES[1]}`, 1_010));
    assert.deepEqual(new BigUint64Array(a.buffer), new BigUint64Array(b.buffer));
  });
});

describe('SharedCounters: 4 worker threads on one buffer', { timeout: 60_000 }, () => {
  const nowMs = 1_000_000;

  test('25,000 hits each on one key: 100,000 in all, and every value 1..100,000 returned exactly once', async () => {
    const buffer = SharedCounters.allocate();
    const results = await runWorkers(buffer, 4, [{ keys: ['rl\u0000hot'], rounds: 25_000, windowEndSec: 1_010, nowMs }]);
    const seen = new Uint8Array(100_001);
    let bad = 0;
    for (const { hits } of results) {
      assert.equal(hits.length, 25_000);
      for (const v of hits) {
        if (v < 1 || v > 100_000 || seen[v] !== 0) bad++;
        else seen[v] = 1;
      }
    }
    assert.equal(bad, 0, 'values out of range or returned twice');
    assert.equal(seen.indexOf(0, 1), -1, 'every value 1..100000 returned');
    assert.equal(new SharedCounters(buffer, () => nowMs).peek('rl\u0000hot', 1_010), 100_000);
  });

  test('a limit of 50 lets exactly 50 hits through across threads', async () => {
    const buffer = SharedCounters.allocate();
    const results = await runWorkers(buffer, 4, [{ keys: ['rl\u0000limited'], rounds: 2_000, windowEndSec: 1_010, nowMs }]);
    let allowed = 0;
    for (const { hits } of results) for (const v of hits) if (v <= 50) allowed++;
    assert.equal(allowed, 50);
    assert.equal(new SharedCounters(buffer, () => nowMs).peek('rl\u0000limited', 1_010), 8_000);
  });

  test('many keys inserted concurrently each count exactly', async () => {
    const buffer = SharedCounters.allocate(4096);
    const keys = Array.from({ length: 500 }, (_, i) => `rl\u0000client-${i}`);
    await runWorkers(buffer, 4, [{ keys, rounds: 20, windowEndSec: 1_010, nowMs }]);
    const counters = new SharedCounters(buffer, () => nowMs);
    const wrong = keys.filter((k) => counters.peek(k, 1_010) !== 80);
    assert.deepEqual(wrong, []);
  });

  /**
   * `keysPerWindow` <= 16 keys per window: every key's 16-slot run has room, so none overflows,
   * and from the second window on, keys take over the slots of the previous window's keys.
   */
  async function handOvers(capacity: number, windows: number, keysPerWindow: number, rounds: number, chaos = 0) {
    const buffer = SharedCounters.allocate(capacity);
    const phases: CounterPhase[] = Array.from({ length: windows }, (_, p) => ({
      // Odd keys return every window (their own expired slot is reset, or taken over by a new
      // key first, racing with them); even keys are new in each window.
      keys: Array.from({ length: keysPerWindow }, (_, i) => (i % 2 ? `rl\u0000k${i}` : `rl\u0000w${p}-k${i}`)),
      rounds,
      windowEndSec: 2_000 + 10 * (p + 1),
      nowMs: (2_000 + 10 * p) * 1000, // the previous phase's window has just ended
    }));
    const results = await runWorkers(buffer, 4, phases, true, chaos);
    const total = 4 * rounds;
    for (const { peeks } of results) {
      peeks.forEach((counts, p) => assert.deepEqual(counts, counts.map(() => total), `window ${p}`));
    }
    // Per window, the values returned across threads are 1..total once per key.
    const perPhase = keysPerWindow * rounds;
    for (let p = 0; p < windows; p++) {
      const tally = new Array<number>(total + 1).fill(0);
      for (const { hits } of results) for (const v of hits.subarray(p * perPhase, (p + 1) * perPhase)) tally[Math.min(v, total)]++;
      assert.deepEqual(tally.slice(1), new Array<number>(total).fill(keysPerWindow), `window ${p}`);
    }
    assert.ok(keyWords(buffer).every((k) => k !== 0n), 'the table filled, so later windows took slots over');
  }

  test('expired slots handed over concurrently, window after window, keep every count exact', async () => {
    await handOvers(64, 40, 16, 25);
  });

  test('under simulated preemption (threads stalled between steps): hand-overs stay exact', async () => {
    await handOvers(16, 60, 8, 3, 0.02);
  });

  test('under simulated preemption: one key, every value 1..8,000 returned exactly once', async () => {
    const buffer = SharedCounters.allocate();
    const results = await runWorkers(buffer, 4, [{ keys: ['rl\u0000hot'], rounds: 2_000, windowEndSec: 1_010, nowMs }], false, 0.002);
    const values = results.flatMap(({ hits }) => [...hits]).sort((a, b) => a - b);
    assert.deepEqual(values, Array.from({ length: 8_000 }, (_, i) => i + 1));
  });
});
