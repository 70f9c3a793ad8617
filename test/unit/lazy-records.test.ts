/** LazyRecords: a generation's per-API and per-operation objects, built on first use and kept while used. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyRecords, RecentMap } from '../../src/gateway/router/table-records.js';

test('elements load on first get, once each; null is kept like any other value', () => {
  const loads: number[] = [];
  const records = new LazyRecords(5, (i) => { loads.push(i); return i === 4 ? null : { i }; });
  assert.equal(records.length, 5);
  assert.equal(records.loadedCount, 0);
  const third = records.get(3);
  assert.deepEqual(third, { i: 3 });
  assert.equal(records.get(3), third);
  assert.equal(records.get(4), null);
  assert.equal(records.get(4), null);
  assert.deepEqual(loads, [3, 4]);
  assert.equal(records.loadedCount, 2);
});

test('an index outside the records is a RangeError, never a load', () => {
  const loads: number[] = [];
  const records = new LazyRecords(2, (i) => { loads.push(i); return i; });
  for (const bad of [-1, 2, 1.5, Number.NaN]) assert.throws(() => records.get(bad), RangeError);
  assert.deepEqual(loads, []);
});

test('a worker holds at most the limit of records, however many the traffic reaches', () => {
  let loads = 0;
  const records = new LazyRecords(500_000, (i) => { loads++; return { i }; }, 1_000);
  for (let i = 0; i < 500_000; i++) assert.equal(records.get(i).i, i);
  assert.equal(loads, 500_000);
  assert.ok(records.loadedCount <= 1_000, `held ${records.loadedCount}`);
  assert.ok(records.loadedCount >= 500, `held ${records.loadedCount}`);
});

test('a record in steady use is never dropped, whatever else passes through', () => {
  const loads = new Map<number, number>();
  const records = new LazyRecords(1_000_000, (i) => { loads.set(i, (loads.get(i) ?? 0) + 1); return { i }; }, 100);
  const hot = records.get(7);
  // One use of the hot record per 40 others (under limit / 2): it stays, the same object.
  for (let i = 1_000; i < 101_000; i++) {
    records.get(i);
    if (i % 40 === 0) assert.equal(records.get(7), hot);
  }
  assert.equal(loads.get(7), 1);
  // A cold record comes back equal, from a new load.
  assert.deepEqual(records.get(1_000), { i: 1_000 });
  assert.equal(loads.get(1_000), 2);
});

test('RecentMap: set and promoted entries count once; the limit is checked', () => {
  const m = new RecentMap<string, number>(4);
  m.set('a', 1); m.set('b', 2);
  assert.equal(m.size, 2);
  m.set('c', 3); // a and b now make the round before
  assert.equal(m.size, 3);
  assert.equal(m.get('a'), 1); // promoted, not counted twice
  assert.equal(m.size, 3);
  m.set('d', 4); // c and a become the round before; b is dropped
  assert.equal(m.get('b'), undefined);
  assert.equal(m.get('c'), 3);
  assert.ok(m.size <= 4);
  assert.equal(m.get('zz'), undefined);
  for (const bad of [0, 1, 2.5, -4, Number.NaN]) assert.throws(() => new RecentMap(bad), RangeError);
  const unbounded = new RecentMap<number, number>(Infinity);
  for (let i = 0; i < 10_000; i++) unbounded.set(i, i);
  assert.equal(unbounded.size, 10_000);
  assert.equal(unbounded.get(0), 0);
});
