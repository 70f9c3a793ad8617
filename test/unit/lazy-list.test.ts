/** lazyList: array semantics for code that indexes generation arrays, with each element built once, on first use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lazyList } from '../../src/gateway/router/table-records.js';

test('elements load on first access, once; length, iteration and `in` behave like an array', () => {
  const loads: number[] = [];
  const list = lazyList(5, (i) => { loads.push(i); return { i }; });
  assert.equal(loads.length, 0);
  assert.equal(Array.isArray(list), true);
  assert.equal(list.length, 5);
  assert.equal(list[3], list[3]);
  assert.deepEqual(loads, [3]);
  assert.deepEqual(list.map((x) => x.i), [0, 1, 2, 3, 4]);
  assert.deepEqual(loads, [3, 0, 1, 2, 4]);
  assert.equal(list[7], undefined);
  assert.equal(2 in list, true);
  assert.equal(9 in list, false);
  assert.throws(() => { (list as unknown as Array<{ i: number }>)[0] = { i: 9 }; }, TypeError);
});
