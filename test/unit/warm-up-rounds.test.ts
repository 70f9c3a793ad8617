/**
 * The warm-up's two rounds (src/gateway/worker/warm-up.ts): gateway.warmupRequests in all, the
 * second round a third of them, sent through objects made afresh. What the rounds are for is held
 * by test/integration/warmed-code.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpRounds } from '../../src/gateway/worker/warm-up.js';

test('gateway.warmupRequests splits into two rounds, the second a third of them, the total kept', () => {
  assert.deepEqual(warmUpRounds(10_000), [6_667, 3_333]);
  assert.deepEqual(warmUpRounds(400), [267, 133]);
  assert.deepEqual(warmUpRounds(2), [2, 0]);
  assert.deepEqual(warmUpRounds(0), [0, 0]);
  for (const n of [1, 3, 7, 150, 99_999]) {
    const [first, second] = warmUpRounds(n);
    assert.equal(first + second, n, `${n} requests in all`);
    assert.ok(first >= second, `${n}: the first round is the larger`);
  }
});
