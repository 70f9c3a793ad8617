/** GrowableInts: the table writer's append-only typed arrays keep every value across growth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrowableInts, int32s, uint16s } from '../../src/gateway/router/growable-ints.js';

test('values survive growth; reserve returns where a record starts; view covers exactly what was written', () => {
  const ints = new GrowableInts((n) => new Int32Array(n), 2);
  const expected: number[] = [];
  for (let i = 1; i <= 1000; i++) {
    if (i % 3 === 0) {
      const at = ints.reserve(3);
      assert.equal(at, expected.length);
      ints.data[at] = -i; ints.data[at + 1] = i; ints.data[at + 2] = 2 ** 31 - 1 - i;
      expected.push(-i, i, 2 ** 31 - 1 - i);
    } else if (i % 3 === 1) { ints.push(i * 7); expected.push(i * 7); }
    else { ints.push2(i, -i); expected.push(i, -i); }
  }
  assert.equal(ints.length, expected.length);
  assert.deepEqual([...ints.view()], expected);
  assert.ok(ints.data.length >= expected.length);
});

test('the typed array decides the range: int32s keep negatives, uint16s keep UTF-16 code units', () => {
  const a = int32s();
  a.push2(-1, -(2 ** 31));
  assert.deepEqual([...a.view()], [-1, -(2 ** 31)]);
  const chars = uint16s();
  const s = 'é€😀';
  const at = chars.reserve(s.length);
  for (let i = 0; i < s.length; i++) chars.data[at + i] = s.charCodeAt(i);
  assert.equal(String.fromCharCode(...chars.view()), s);
});
