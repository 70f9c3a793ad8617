/** LazyRecords: a generation's per-API and per-operation objects, each built once, on first use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyRecords } from '../../src/gateway/router/table-records.js';

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
