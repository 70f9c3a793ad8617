/**
 * What a worker's warm-up optimizes is what serves: nothing the first real requests do makes V8
 * throw the warmed request path away to recompile it under load. Real gateways run with V8's
 * traces on (they print to stdout, in order with the JSON log lines):
 * - the ArrayBufferDetaching protector is invalidated when each thread starts
 *   (src/shared/detach-protector.ts), never by the first request-log batch or telemetry report a
 *   worker transfers to the primary;
 * - the first request that queues for a backend connection (the warm-up never fills a pool) does
 *   not deoptimize the code that makes a Dispatch (upstream-pool.ts `start`).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/primary/memory-reducer.js';
import { CLI, oneApiConfig } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

interface TracedGateway {
  port: number;
  /** stdout lines so far, in order. */
  lines: string[];
  waitFor(pred: (line: string) => boolean, what: string): Promise<string>;
  /** Index of the worker's "worker warmed up" line. */
  warmedAt(): number;
}

/** A one-worker gateway started with `v8Flags` on `config`; killed when the test ends. */
async function startTraced(t: TestContext, config: object, v8Flags: string[]): Promise<TracedGateway> {
  const configFile = join(testTempDir('outpost-warmed-'), 'gateway.yaml');
  writeFileSync(configFile, stringify(config));
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...v8Flags, CLI, 'gateway', '--config', configFile, '--port', '0', '--ops-port', '0', '--workers', '1'], {
    env: { ...process.env, OUTPOST_WARMUP_REQUESTS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => { proc.kill('SIGKILL'); });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => { lines.push(line); for (const w of waiters) w(); });
  const waitFor = (pred: (line: string) => boolean, what: string): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${what} in 30 s; last lines: ${lines.slice(-5).join(' | ')}`)); }, 30_000);
    const check = (): void => {
      const found = lines.find(pred);
      if (found === undefined) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(found);
    };
    waiters.add(check);
    check();
  });
  const started = JSON.parse(await waitFor((l) => l.includes('"gateway started"'), 'gateway started line')) as { port: number };
  return { port: started.port, lines, waitFor, warmedAt: () => lines.findIndex((l) => l.includes('"worker warmed up"')) };
}

test('the ArrayBufferDetaching protector is invalidated at thread start, never once requests flow', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const gw = await startTraced(t, oneApiConfig(backend.url, { warmupRequests: 300 }), ['--trace-protector-invalidation']);

  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${gw.port}/echo/items/${i}`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // The request lines reach stdout only through a transferred batch; a telemetry report (also
  // transferred) follows within a second.
  await gw.waitFor((l) => l.includes('"type":"request"') && l.includes('/echo/items/19'), 'request line of the last request');
  await new Promise((r) => setTimeout(r, 1_500));

  const warmedAt = gw.warmedAt();
  assert.ok(warmedAt > 0, 'the worker warmed up');
  const invalidations = gw.lines.flatMap((l, i) => (l.includes('Invalidating protector cell ArrayBufferDetaching') ? [i] : []));
  assert.deepEqual(invalidations.filter((i) => i > warmedAt), [], 'no invalidation after the warm-up');
  // The primary's and the worker's (the compiler thread may add its own, also before).
  assert.ok(invalidations.length >= 2, `each thread invalidated it (${invalidations.length} lines)`);
  assert.equal(gw.lines.filter((l) => l.includes('"type":"request"')).length, 20);
});

test("a worker's first request queued for a backend connection does not deoptimize the Dispatch code", async (t) => {
  // A backend that holds each answer 100 ms, counting the requests it holds at once.
  let holding = 0;
  let mostHeld = 0;
  const backend = await startBackend((req, res) => {
    holding++;
    mostHeld = Math.max(mostHeld, holding);
    setTimeout(() => { holding--; echoHandler(req, res); }, 100);
  });
  t.after(() => backend.close());
  // The full default warm-up: enough requests for V8 to optimize the Dispatch code, and none
  // queued (its 16 connections send one request at a time each: src/gateway/worker/warm-up.ts).
  const gw = await startTraced(t, oneApiConfig(backend.url, { warmupRequests: 10_000, upstream: { connections: 16 } }), ['--trace-deopt']);

  const answers = await Promise.all(Array.from({ length: 48 }, async (_, i) => {
    const res = await fetch(`http://127.0.0.1:${gw.port}/echo/queued/${i}`);
    await res.arrayBuffer();
    return res.status;
  }));
  assert.deepEqual(answers, Array(48).fill(200));
  assert.equal(mostHeld, 16, 'the pool held 16 connections and queued the rest');

  const warmedAt = gw.warmedAt();
  assert.ok(warmedAt > 0, 'the worker warmed up');
  // V8's lines: "[marking dependent code … (… <SharedFunctionInfo Dispatch>) … for deoptimization …]"
  // and "[bailout (…): begin. deoptimizing … <JSFunction Dispatch (…)> …]".
  const dispatchDeopts = gw.lines.slice(warmedAt).filter((l) => /^\[marking dependent code .*<SharedFunctionInfo Dispatch>|^\[bailout .*deoptimizing .*<JSFunction Dispatch /.test(l));
  assert.deepEqual(dispatchDeopts, []);
});
