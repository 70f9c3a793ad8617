/**
 * Workers that cannot stay up: a worker whose replacements fail at start (a real module that
 * throws, injected through the test-only OUTPOST_TEST_WORKER_PRELOAD) makes liveness fail and the
 * process exit 3 with one line saying why, instead of restarting forever with /health/live at 200;
 * workers that fail from the first start stop startup with exit 3. A worker count outside 1..256
 * is refused with a coded error whatever it comes from.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { opsGet, startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

/** A module each worker imports before its own code: it throws while `marker` exists (always without one). */
function failingPreload(marker?: string): string {
  const dir = testTempDir('outpost-preload-');
  const file = join(dir, 'preload.mjs');
  writeFileSync(file, marker === undefined
    ? "throw new Error('test preload: this worker fails at start');\n"
    : `import { existsSync } from 'node:fs';\nif (existsSync(${JSON.stringify(marker)})) throw new Error('test preload: this worker fails at start');\n`);
  return file;
}

const crashLoopLines = (gw: GatewayProcess) => gw.logs.filter((l) => l.errorCode === 'OUTPOST_ERR_WORKER_CRASH_LOOP');

describe('workers that cannot stay up', () => {
  test('replacements that fail at start: liveness goes 503, then the process exits 3 with one line saying why', { timeout: 60_000 }, async () => {
    const backend = await startBackend(() => { /* never answers: holds the drain open */ });
    const marker = join(testTempDir('outpost-marker-'), 'fail-now');
    const gw = await startGateway(oneApiConfig(backend.url, { drainTimeoutSeconds: 3 }), {
      workers: 2,
      env: { OUTPOST_FAULT_INJECTION: '1', OUTPOST_TEST_WORKER_PRELOAD: failingPreload(marker), OUTPOST_CRASH_LOOP_MAX_RESTARTS: '3' },
    });
    try {
      assert.equal((await opsGet(gw, '/health/live')).status, 200);
      writeFileSync(marker, '');
      assert.equal((await fetch(`http://127.0.0.1:${gw.opsPort}/debug/workers/1/crash`, { method: 'POST' })).status, 202);
      await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_WORKER_CRASHED' && l.worker === 1);
      // Only worker 0 listens now (replacements fail before listening): this request is in flight
      // on it, so the drain after the verdict lasts the grace period and liveness can be seen.
      const hung = request(gw.url('/echo/hang'));
      let live = await opsGet(gw, '/health/live');
      for (let i = 0; i < 400 && live.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 25));
        live = await opsGet(gw, '/health/live');
      }
      assert.equal(live.status, 503);
      assert.equal(live.body.errorCode, 'OUTPOST_ERR_WORKER_CRASH_LOOP');
      const res = await hung;
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_SHUTTING_DOWN');
      await res.body.dump();
      assert.equal(await gw.exited, 3);
      const lines = crashLoopLines(gw);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0].level, 'error');
      assert.equal(lines[0].worker, 1);
      assert.equal(lines[0].restartsInWindow, 4);
      assert.deepEqual(gw.badLines, []);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('workers that fail from the first start: startup ends with exit 3 (restart rule)', { timeout: 60_000 }, async () => {
    const gw = await startGateway(oneApiConfig('http://127.0.0.1:9'), {
      workers: 1, expectFailure: true,
      env: { OUTPOST_TEST_WORKER_PRELOAD: failingPreload(), OUTPOST_CRASH_LOOP_MAX_RESTARTS: '2' },
    });
    assert.equal(await gw.exited, 3);
    assert.equal(crashLoopLines(gw).length, 1, JSON.stringify(gw.logs.slice(-5)));
    assert.ok(!gw.logs.some((l) => l.msg === 'gateway started'));
  });

  test('workers that fail from the first start: startup ends with exit 3 (no worker up for too long)', { timeout: 60_000 }, async () => {
    const gw = await startGateway(oneApiConfig('http://127.0.0.1:9'), {
      workers: 1, expectFailure: true,
      env: { OUTPOST_TEST_WORKER_PRELOAD: failingPreload(), OUTPOST_CRASH_LOOP_MAX_RESTARTS: '10000', OUTPOST_WORKERS_DOWN_MAX_SECONDS: '1' },
    });
    assert.equal(await gw.exited, 3);
    assert.equal(crashLoopLines(gw).length, 1, JSON.stringify(gw.logs.slice(-5)));
  });

  test('a bad crash-loop setting stops startup with OUTPOST_ERR_SETTINGS_INVALID', { timeout: 60_000 }, async () => {
    const gw = await startGateway(oneApiConfig('http://127.0.0.1:9'), { workers: 1, expectFailure: true, env: { OUTPOST_CRASH_LOOP_MAX_RESTARTS: 'many' } });
    assert.equal(await gw.exited, 1);
    assert.ok(gw.logs.some((l) => l.errorCode === 'OUTPOST_ERR_SETTINGS_INVALID'), JSON.stringify(gw.logs));
  });
});

describe('worker count', () => {
  // The supervisor refuses counts outside 1..256 wherever they come from; on the command line
  // 257 is already a usage error, and 0 means one per core (as `gateway.workers: 0` does).
  test('--workers 257 is refused before any worker starts (usage, exit 2)', { timeout: 60_000 }, async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url), { workers: 257, expectFailure: true });
    try {
      assert.equal(await gw.exited, 2);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('--workers 0 starts one worker per core', { timeout: 60_000 }, async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url), { workers: 0 });
    try {
      const started = await gw.waitForLog((l) => l.msg === 'gateway started');
      assert.equal(started.workers, availableParallelism());
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});
