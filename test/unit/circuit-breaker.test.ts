/** The Redis circuit breaker's states with an injected clock: open after N failures, probe, back off, close. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../src/gateway/redis/circuit-breaker.js';
import type { BreakerState } from '../../src/gateway/redis/redis-stats.js';

function breaker(threshold = 3, openMs = 100) {
  const clock = { ms: 1_000 };
  const changes: BreakerState[] = [];
  return { clock, changes, b: new CircuitBreaker(threshold, openMs, (s) => changes.push(s), () => clock.ms) };
}

test('opens after `threshold` consecutive failures; a success in between resets the run', () => {
  const { b, changes } = breaker(3);
  b.failure(); b.failure(); b.success(); b.failure(); b.failure();
  assert.equal(b.allows(), true);
  b.failure();
  assert.equal(b.allows(), false);
  assert.deepEqual(changes, ['open']);
});

test('a probe is due after the backoff; success closes, failure reopens with the backoff doubled', () => {
  const { b, clock, changes } = breaker(1, 100);
  b.failure();
  assert.equal(b.probeDue(), false);
  clock.ms += 100;
  assert.equal(b.probeDue(), true);
  b.probeStarted();
  assert.equal(b.allows(), false, 'half-open: only the probe asks');
  b.failure();
  clock.ms += 150;
  assert.equal(b.probeDue(), false, 'backoff doubled to 200 ms');
  clock.ms += 50;
  assert.equal(b.probeDue(), true);
  b.probeStarted();
  b.success();
  assert.equal(b.allows(), true);
  assert.deepEqual(changes, ['open', 'half-open', 'open', 'half-open', 'closed']);
  // Closed again: the backoff is back to its base.
  b.failure();
  clock.ms += 100;
  assert.equal(b.probeDue(), true);
});

test('the backoff stops doubling at 30 s', () => {
  const { b, clock } = breaker(1, 20_000);
  b.failure();
  for (let i = 0; i < 3; i++) {
    clock.ms += 60_000;
    b.probeStarted();
    b.failure();
  }
  clock.ms += 29_999;
  assert.equal(b.probeDue(), false);
  clock.ms += 1;
  assert.equal(b.probeDue(), true);
});
