/**
 * gateway.warmupRequests: every worker, replacements too, sends requests through its own request
 * path on loopback before it listens. Nothing of it reaches a configured backend, /metrics or the
 * request log; a warm-up that fails is logged and the worker starts all the same; the variable
 * and the flag override the config key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, oneApiConfig, opsGet, type GatewayProcess, type LogLine } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';

const warmed = (gw: GatewayProcess): LogLine[] => gw.logs.filter((l) => l.msg === 'worker warmed up');
const requestLines = (gw: GatewayProcess): LogLine[] => gw.logs.filter((l) => l.type === 'request');

async function metricsText(gw: GatewayProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();
}

describe('worker warm-up', () => {
  test('each worker warms up before it listens; no backend, metric or request-log line sees it', async () => {
    const backend = await startBackend(echoHandler);
    // OUTPOST_WARMUP_REQUESTS empty: unset, so the config key counts (the test helper sets it to 0).
    const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 400 }), { workers: 2, env: { OUTPOST_WARMUP_REQUESTS: '' } });
    try {
      const lines = warmed(gw);
      assert.deepEqual(lines.map((l) => l.worker).sort(), [0, 1]);
      for (const l of lines) assert.deepEqual([l.requests, l.answered, l.level], [400, 400, 'info']);
      // Each worker listens only after its warm-up: both lines come before "gateway started".
      const startedAt = gw.logs.findIndex((l) => l.msg === 'gateway started');
      for (const l of lines) assert.ok(gw.logs.indexOf(l) < startedAt, 'warmed up before the gateway started');
      assert.equal(backend.seen.length, 0, 'the configured backend saw no warm-up request');
      assert.deepEqual(requestLines(gw), [], 'no request-log line for the warm-up');
      // Let the workers' once-a-second telemetry reports arrive: they must hold none of the 800 requests.
      await new Promise((r) => setTimeout(r, 1_300));
      const before = await metricsText(gw);
      assert.ok(!before.includes('outpost-warm-up'), 'no series of the warm-up API');
      assert.doesNotMatch(before, /^outpost_requests_total\{/m, 'no request counted yet');

      const res = await fetch(gw.url('/echo/items/1'));
      assert.equal(res.status, 200);
      assert.equal((await res.json() as { url: string }).url, '/items/1');
      assert.equal(backend.seen.length, 1);
      await gw.waitForLog((l) => l.type === 'request');
      assert.deepEqual(requestLines(gw).map((l) => [l.apiId, l.status]), [['echo', 200]]);
      assert.deepEqual(gw.badLines, []);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('OUTPOST_WARMUP_REQUESTS overrides the config key', async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 0 }), { workers: 1, env: { OUTPOST_WARMUP_REQUESTS: '150' } });
    try {
      assert.deepEqual(warmed(gw).map((l) => [l.requests, l.answered]), [[150, 150]]);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a warm-up that fails is logged with its reason, and the worker starts all the same', async () => {
    const backend = await startBackend(echoHandler);
    // At most 8 header fields: the warm-up's nine-field GETs get 431, which stops it.
    const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 200, maxHeaderCount: 8 }), { workers: 1, env: { OUTPOST_WARMUP_REQUESTS: '' } });
    try {
      assert.deepEqual(warmed(gw), []);
      const stopped = gw.logs.find((l) => l.msg === 'worker warm-up stopped early; the worker starts all the same');
      assert.ok(stopped, 'the stop is logged');
      assert.equal(stopped.level, 'warn');
      assert.equal(stopped.reason, 'the gateway answered 431');
      assert.ok(typeof stopped.answered === 'number' && stopped.answered < 200, 'it stopped at the first nine-field request');
      const res = await fetch(gw.url('/echo/items/2'));
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(backend.seen.length, 1);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a replacement worker warms up too before it takes connections', async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 300 }), { workers: 2, env: { OUTPOST_WARMUP_REQUESTS: '', OUTPOST_FAULT_INJECTION: '1' } });
    try {
      assert.equal(warmed(gw).length, 2);
      const crash = await fetch(`http://127.0.0.1:${gw.opsPort}/debug/workers/1/crash`, { method: 'POST' });
      assert.equal(crash.status, 202);
      await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_WORKER_CRASHED');
      await gw.waitForLog(() => warmed(gw).length === 3);
      const again = warmed(gw)[2]!;
      assert.deepEqual([again.worker, again.answered], [1, 300]);
      const deadline = Date.now() + 10_000;
      let ready = await opsGet(gw, '/health/ready');
      while (ready.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        ready = await opsGet(gw, '/health/ready');
      }
      assert.deepEqual((ready.body.workers as Array<{ phase: string }>).map((w) => w.phase), ['accepting', 'accepting']);
      assert.equal(backend.seen.length, 0);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});
