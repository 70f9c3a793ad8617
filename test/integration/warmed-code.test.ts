/**
 * What a worker's warm-up optimizes is what serves: nothing the first real requests do makes V8
 * throw the warmed request path away to recompile it under load. Real gateways run with V8's
 * traces on (their lines are the gateway's non-JSON stdout lines, `badLines`; every one printed
 * before "gateway started" came before the worker listened, its warm-up done):
 * - the ArrayBufferDetaching protector is invalidated when each thread starts
 *   (src/shared/detach-protector.ts), never by the first request-log batch or telemetry report a
 *   worker transfers to the primary;
 * - the first request that queues for a backend connection (the warm-up never fills a pool) does
 *   not deoptimize the code that makes a Dispatch (upstream-pool.ts `start`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, oneApiConfig } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';

/** With the config's warmupRequests (the test helper's own default is 0). */
const WARM_UP_FROM_CONFIG = { OUTPOST_WARMUP_REQUESTS: '' };

test('the ArrayBufferDetaching protector is invalidated at thread start, never once requests flow', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 300 }), { workers: 1, env: WARM_UP_FROM_CONFIG, nodeFlags: ['--trace-protector-invalidation'] });
  t.after(() => gw.stop('SIGKILL'));
  const beforeListening = gw.badLines.length;

  for (let i = 0; i < 20; i++) {
    const res = await fetch(gw.url(`/echo/items/${i}`));
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // The request lines reach stdout only through a transferred batch; a telemetry report (also
  // transferred) follows within a second.
  await gw.waitForLog((l) => l.type === 'request' && l.url === '/echo/items/19');
  await new Promise((r) => setTimeout(r, 1_500));

  const invalidated = (l: string): boolean => l.includes('Invalidating protector cell ArrayBufferDetaching');
  assert.deepEqual(gw.badLines.slice(beforeListening).filter(invalidated), [], 'no invalidation once the worker listens');
  // The primary's and the worker's (the compiler thread may add its own, also before).
  const atStart = gw.badLines.slice(0, beforeListening).filter(invalidated).length;
  assert.ok(atStart >= 2, `each thread invalidated it (${atStart} lines)`);
  assert.equal(gw.logs.filter((l) => l.type === 'request').length, 20);
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
  const config = oneApiConfig(backend.url, { warmupRequests: 10_000, upstream: { connections: 16 } });
  const gw = await startGateway(config, { workers: 1, env: WARM_UP_FROM_CONFIG, nodeFlags: ['--trace-deopt'] });
  t.after(() => gw.stop('SIGKILL'));
  const beforeListening = gw.badLines.length;

  const answers = await Promise.all(Array.from({ length: 48 }, async (_, i) => {
    const res = await fetch(gw.url(`/echo/queued/${i}`));
    await res.arrayBuffer();
    return res.status;
  }));
  assert.deepEqual(answers, Array(48).fill(200));
  assert.equal(mostHeld, 16, 'the pool held 16 connections and queued the rest');

  // V8's lines: "[marking dependent code … (… <SharedFunctionInfo Dispatch>) … for deoptimization …]"
  // and "[bailout (…): begin. deoptimizing … <JSFunction Dispatch (…)> …]".
  const dispatchDeopts = gw.badLines.slice(beforeListening).filter((l) => /^\[marking dependent code .*<SharedFunctionInfo Dispatch>|^\[bailout .*deoptimizing .*<JSFunction Dispatch /.test(l));
  assert.deepEqual(dispatchDeopts, []);
});

test("a worker's first real requests do not deoptimize the request path the warm-up optimized", async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  // The full default warm-up: its two rounds (src/gateway/worker/warm-up.ts) take what a worker
  // does once per object (a generation's first lookups and series, a path parser's and a pool's
  // first arrays) inside the warm-up; the real generation, state and pools then meet optimized code
  // that has seen it all.
  const gw = await startGateway(oneApiConfig(backend.url, { warmupRequests: 10_000 }), { workers: 1, env: WARM_UP_FROM_CONFIG, nodeFlags: ['--trace-deopt'] });
  t.after(() => gw.stop('SIGKILL'));
  const beforeListening = gw.badLines.length;

  const answers = await Promise.all(Array.from({ length: 8 }, async (_, c) => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await fetch(gw.url(`/echo/items/${c * 25 + i}`));
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    return statuses;
  }));
  assert.deepEqual(answers.flat(), Array(200).fill(200));

  // Functions of the request path that deoptimized at a worker's first real requests when the
  // warm-up ran one round on one set of objects: the path parser (its new arrays: "out of bounds"),
  // the route records' cache (its first miss), the end-of-request telemetry, and, once there were
  // two rounds, the pool's release (a new idle list: "not a Smi") and any call of a generation's
  // own closure ("wrong call target": operationIds was one per generation).
  const watched = ['parseRequestPath', 'get', 'onResponseEnd', 'release', 'seriesFor', 'requestEnded'];
  const after = gw.badLines.slice(beforeListening);
  const deoptimized = after
    .map((l) => /^\[bailout .*deoptimizing \S+ <JSFunction (\S+) /.exec(l)?.[1] ?? /^\[marking dependent code .*<SharedFunctionInfo (\S+)>\)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined && watched.includes(name));
  assert.deepEqual(after.filter((l) => l.includes('reason: wrong call target')), []);
  assert.deepEqual(deoptimized, []);
});
