/** The crash-loop guard's two rules, its settings, and the supervisor's worker-count bounds. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopGuard, crashLoopSettings } from '../../src/gateway/primary/crash-loop-guard.js';
import { checkWorkerCount } from '../../src/gateway/primary/supervisor.js';
import { OutpostError } from '../../src/shared/errors.js';

const settings = { maxRestarts: 3, windowMs: 60_000, maxDownMs: 30_000 };

describe('crash-loop guard', () => {
  test('more than maxRestarts restarts of one slot within the window trips it, for good', () => {
    const guard = new CrashLoopGuard(settings, 0);
    guard.observe(2, 0);
    for (const t of [1_000, 2_000, 3_000]) assert.equal(guard.recordRestart(1, t), null);
    const verdict = guard.recordRestart(1, 4_000);
    assert.equal(verdict?.worker, 1);
    assert.equal(verdict?.restartsInWindow, 4);
    assert.equal(guard.observe(2, 5_000), verdict);
  });

  test('restarts spread over several slots, or older than the window, do not', () => {
    const guard = new CrashLoopGuard(settings, 0);
    guard.observe(4, 0);
    for (let w = 0; w < 4; w++) for (let i = 0; i < 3; i++) assert.equal(guard.recordRestart(w, i), null);
    for (const t of [70_000, 140_000, 210_000, 280_000, 350_000]) assert.equal(guard.recordRestart(0, t), null);
  });

  test('no worker accepting for longer than maxDownMs trips it; one accepting resets the clock', () => {
    const guard = new CrashLoopGuard(settings, 0);
    assert.equal(guard.observe(0, 29_000), null);
    assert.equal(guard.observe(1, 29_500), null);
    assert.equal(guard.observe(0, 40_000), null);
    assert.equal(guard.observe(0, 70_000), null);
    assert.equal(typeof guard.observe(0, 70_001)?.downForMs, 'number');
  });

  test('settings: defaults, and a coded error naming the variable', () => {
    assert.deepEqual(crashLoopSettings({}), { maxRestarts: 5, windowMs: 60_000, maxDownMs: 30_000 });
    assert.deepEqual(crashLoopSettings({ OUTPOST_CRASH_LOOP_MAX_RESTARTS: '2', OUTPOST_CRASH_LOOP_WINDOW_SECONDS: '10', OUTPOST_WORKERS_DOWN_MAX_SECONDS: '5' }),
      { maxRestarts: 2, windowMs: 10_000, maxDownMs: 5_000 });
    for (const bad of ['0', '-1', '1.5', 'x']) {
      assert.throws(() => crashLoopSettings({ OUTPOST_CRASH_LOOP_MAX_RESTARTS: bad }), (e: OutpostError) => e.code === 'OUTPOST_ERR_SETTINGS_INVALID');
    }
  });
});

describe('worker count', () => {
  test('1..256 accepted; anything else refused with OUTPOST_ERR_WORKER_COUNT_INVALID', () => {
    for (const ok of [1, 2, 256]) checkWorkerCount(ok);
    for (const bad of [0, -1, 257, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => checkWorkerCount(bad), (e: OutpostError) => e.code === 'OUTPOST_ERR_WORKER_COUNT_INVALID');
    }
  });
});
