/**
 * What a worker's warm-up optimizes is what serves: nothing the first real requests do makes V8
 * throw the warmed request path away to recompile it under load. Real gateways run with V8's
 * traces on (their lines are the gateway's non-JSON stdout lines, `badLines`; every one printed
 * before "gateway started" came before the worker listened, its warm-up done):
 * - the ArrayBufferDetaching protector is invalidated when each thread starts
 *   (src/shared/detach-protector.ts), never by the first request-log batch or telemetry report a
 *   worker transfers to the primary;
 * - the first request that queues for a backend connection (the warm-up never fills a pool) does
 *   not deoptimize the code that makes a Dispatch (upstream-pool.ts `start`);
 * - the first real requests, on the real generation, telemetry, state and pools, do not
 *   deoptimize the request path (the warm-up's second round on fresh objects: warm-up.ts).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { rawUntilClose } from '../support/raw-http.js';

/** With the config's warmupRequests (the test helper's own default is 0). */
const WARM_UP_FROM_CONFIG = { OUTPOST_WARMUP_REQUESTS: '' };

/**
 * A one-worker gateway in front of `backendUrl` (oneApiConfig with `settings`), node started with
 * `flag`, stopped after the test; V8's lines printed before it listened, and since.
 */
async function tracedGateway(t: TestContext, backendUrl: string, settings: Record<string, unknown>, flag: string): Promise<{ gw: GatewayProcess; printedBefore: string[]; printedSince: () => string[] }> {
  const gw = await startGateway(oneApiConfig(backendUrl, settings), { workers: 1, env: WARM_UP_FROM_CONFIG, nodeFlags: [flag] });
  t.after(() => gw.stop('SIGKILL'));
  const beforeListening = gw.badLines.length;
  return { gw, printedBefore: gw.badLines.slice(0, beforeListening), printedSince: () => gw.badLines.slice(beforeListening) };
}

/**
 * The functions `--trace-deopt` lines name: "[bailout (…): begin. deoptimizing … <JSFunction name (…)> …]"
 * and "[marking dependent code … (… <SharedFunctionInfo name>) … for deoptimization …]".
 */
function deoptimizedFunctions(lines: string[]): string[] {
  return lines
    .map((l) => /^\[bailout .*deoptimizing \S+ <JSFunction (\S+) /.exec(l)?.[1] ?? /^\[marking dependent code .*<SharedFunctionInfo (\S+)>\)/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined);
}

test('the ArrayBufferDetaching protector is invalidated at thread start, never once requests flow', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const { gw, printedBefore, printedSince } = await tracedGateway(t, backend.url, { warmupRequests: 300 }, '--trace-protector-invalidation');

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
  assert.deepEqual(printedSince().filter(invalidated), [], 'no invalidation once the worker listens');
  // The primary's and the worker's (the compiler thread may add its own, also before).
  const atStart = printedBefore.filter(invalidated).length;
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
  const { gw, printedSince } = await tracedGateway(t, backend.url, { warmupRequests: 10_000, upstream: { connections: 16 } }, '--trace-deopt');

  const answers = await Promise.all(Array.from({ length: 48 }, async (_, i) => {
    const res = await fetch(gw.url(`/echo/queued/${i}`));
    await res.arrayBuffer();
    return res.status;
  }));
  assert.deepEqual(answers, Array(48).fill(200));
  assert.equal(mostHeld, 16, 'the pool held 16 connections and queued the rest');

  assert.deepEqual(deoptimizedFunctions(printedSince()).filter((name) => name === 'Dispatch'), []);
});

test("a worker's first real requests do not deoptimize the request path the warm-up optimized", async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  // The full default warm-up: its two rounds (src/gateway/worker/warm-up.ts) take what a worker
  // does once per object (a generation's first lookups and series, a path parser's and a pool's
  // first arrays) inside the warm-up; the real generation, state and pools then meet optimized code
  // that has seen it all.
  const { gw, printedSince } = await tracedGateway(t, backend.url, { warmupRequests: 10_000 }, '--trace-deopt');

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
  const after = printedSince();
  assert.deepEqual(after.filter((l) => l.includes('reason: wrong call target')), []);
  assert.deepEqual(deoptimizedFunctions(after).filter((name) => watched.includes(name)), []);
});

/**
 * Two things the warm-up did not show V8, and busy or long-running traffic then did, deoptimizing the
 * end-of-request telemetry (`record`, which inlines the request log's `add`) and the Date line under
 * that traffic; one traced gateway for both (each start with V8's traces costs seconds):
 * - the request path's once-a-second caches (the Date header line, the request log's wall-clock
 *   offset): a warm-up of about a second could end before those branches ran with type feedback,
 *   and the first rebuild under real traffic deoptimized dateLine (`new Date`) and the telemetry
 *   (`performance.now`). The warm-up expires them every 10 ms now (warm-up.ts);
 * - a request-log batch sealed because the next line might not fit (request-log.ts `add`), not by
 *   its 100 ms timer: the warm-up's traffic never filled a 1 MiB batch within 100 ms, so `add`'s call
 *   to `seal` had no type feedback, and the first batch real traffic filled (~3,500 lines in 100 ms;
 *   fewer with long URLs) deoptimized the telemetry. The warm-up's batch is 16 KiB now.
 */
test("once-a-second caches expiring and request-log batches filled by traffic deoptimize nothing the warm-up optimized", async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const { gw, printedSince } = await tracedGateway(t, backend.url, { warmupRequests: 10_000 }, '--trace-deopt');

  // 8 connections for ~2.5 s: at least two seconds cross under real traffic.
  const until = Date.now() + 2_500;
  const paced = (await Promise.all(Array.from({ length: 8 }, async (_, c) => {
    const out: number[] = [];
    for (let i = 0; Date.now() < until; i++) {
      const res = await fetch(gw.url(`/echo/second/${c}-${i}`));
      await res.arrayBuffer();
      out.push(res.status);
      await new Promise((r) => setTimeout(r, 20));
    }
    return out;
  }))).flat();
  assert.ok(paced.length >= 200, `${paced.length} requests`);
  assert.deepEqual(paced, Array(paced.length).fill(200));

  // 256 requests with ~8 KB URLs, 16 pipelined on each of 16 connections: batches fill within
  // milliseconds (a line's bound is ~48 KB, its bytes ~8 KB: a batch is sealed every ~120 lines).
  const query = `q=${'a'.repeat(7_900)}`;
  const get = (c: number, i: number, last: boolean): string => `GET /echo/long/${c * 16 + i}?${query} HTTP/1.1\r\nHost: t\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
  const sessions = await Promise.all(Array.from({ length: 16 }, (_, c) =>
    rawUntilClose(gw.port, [Array.from({ length: 16 }, (_, i) => get(c, i, i === 15)).join('')], 15_000)));
  const statuses = sessions.flatMap((s) => [...s.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])));
  assert.deepEqual(statuses, Array(256).fill(200));
  // Then one short request: its line comes after every long one (one worker, lines in order), so
  // once it is out, every batch of the burst was sealed and written. (The long lines are not
  // counted: V8 prints its traces straight to the same stdout, and one can land inside a line.)
  const last = await fetch(gw.url('/echo/after-burst'));
  await last.arrayBuffer();
  assert.equal(last.status, 200);
  await gw.waitForLog((l) => l.type === 'request' && l.url === '/echo/after-burst');

  const after = printedSince();
  const watched = ['dateLine', 'wallClockOf', 'writeRequestLine', 'record', 'add', 'requestEnded', 'seal', 'flushHeadWithFields'];
  assert.deepEqual(deoptimizedFunctions(after).filter((name) => watched.includes(name)), [],
    after.filter((l) => l.startsWith('[bailout')).join('\n'));
});
