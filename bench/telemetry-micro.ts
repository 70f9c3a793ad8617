/**
 * `node dist/bench/telemetry-micro.js`: in-process CPU cost of the request telemetry, without the
 * noise of a proxied run. Part 1: one HDR record with each hdr-histogram-js variant and with the
 * workers' sparse interval histogram (src/gateway/telemetry/interval-histogram.ts). Part 2: a worker's end-of-request hook with metrics only,
 * request logs only, and both (lines written into the batch buffer; the batch goes to a counter,
 * not stdout). Part 3: the primary's stdout writer into a pipe. Part 4: a second's report with
 * 100-2,000 busy operations, in the worker and in the primary.
 * The whole-gateway figure (stdout through the primary included) is the `telemetry-off` scenario
 * of `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdoutOwner } from '../src/gateway/primary/stdout-owner.js';
import * as hdr from 'hdr-histogram-js';
import { IntervalHistogram } from '../src/gateway/telemetry/interval-histogram.js';
import { REPORT_PART_SERIES, WorkerTelemetry, type SeriesSource } from '../src/gateway/telemetry/worker-telemetry.js';
import type { ClientResponse } from '../src/http1/server/client-response.js';
import { DEFAULT_LATENCY_BUCKETS, type GatewaySettings } from '../src/shared/config-schema.js';
import { TelemetryAggregator } from '../src/gateway/telemetry/aggregator.js';

const cpuUs = (from: NodeJS.CpuUsage) => { const u = process.cpuUsage(from); return u.user + u.system; };

function hdrVariants(): void {
  hdr.initWebAssemblySync();
  const values = Float64Array.from({ length: 4096 }, (_, i) => 50 + Math.floor(((i * 7919) % 4096) ** 2 / 50));
  const shape = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 as const, autoResize: false };
  const variants: Array<[string, hdr.BuildRequest]> = [
    ['js int32', { ...shape, bitBucketSize: 32 }], ['js packed', { ...shape, bitBucketSize: 'packed' }],
    ['wasm int32', { ...shape, bitBucketSize: 32, useWebAssembly: true }], ['wasm packed', { ...shape, bitBucketSize: 'packed', useWebAssembly: true }],
  ];
  const n = 2_000_000;
  for (const [name, request] of variants) {
    const h = hdr.build(request);
    for (let i = 0; i < 200_000; i++) h.recordValue(values[i & 4095]);
    const from = process.cpuUsage();
    for (let i = 0; i < n; i++) h.recordValue(values[i & 4095]);
    process.stdout.write(`hdr ${name}: ${(cpuUs(from) * 1000 / n).toFixed(0)} ns per record\n`);
    h.destroy();
  }
  // What the workers use: the same buckets, kept sparse per interval (interval-histogram.ts); taken once a second as a worker does.
  const interval = new IntervalHistogram();
  for (let i = 0; i < 200_000; i++) interval.record(values[i & 4095]);
  interval.take();
  const from = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    interval.record(values[i & 4095]);
    if ((i & 0xffff) === 0xffff) interval.take();
  }
  process.stdout.write(`interval histogram (the workers'): ${(cpuUs(from) * 1000 / n).toFixed(0)} ns per record\n`);
}

function hook(): void {
  let written = 0;
  const telemetry = new WorkerTelemetry(0, (chunk) => { written += chunk.length; return true; });
  const gen: SeriesSource = { operationCount: 1, telemetrySeries: null, operationIds: () => ({ apiId: 'bench', operationId: 'get-item' }) };
  const series = telemetry.seriesFor(gen, 0);
  const responses = Array.from({ length: 1000 }, () => {
    const t = performance.now();
    return {
      startedAt: t - 0.5, statusSent: 200, requestBytes: 120, responseBytes: 300, series, errorCode: null,
      backendStartedAt: t - 0.4, backendEndedAt: t - 0.1, backendStatus: 200, requestId: '0b5f6a8e-4c1a-4e2b-9c55-1f2e3d4c5b6a',
      method: 'GET', path: '/bench/items/123', query: 'page=2', subscriptionId: 'acme', productId: 'gold', cacheResult: null, logged: true, remoteAddress: '10.1.2.3',
    } as unknown as ClientResponse;
  });
  const n = 300_000;
  for (const [metrics, logs] of [[true, false], [false, true], [true, true]]) {
    const settings = { telemetry: { enabled: metrics, buckets: [] }, requestLog: { enabled: logs, sample: 1 } } as unknown as GatewaySettings;
    telemetry.configure(settings);
    const ended = (res: ClientResponse): void => telemetry.requestEnded(res);
    for (let i = 0; i < 50_000; i++) ended(responses[i % 1000]);
    telemetry.report();
    telemetry.flushLogs();
    const from = process.cpuUsage();
    for (let i = 0; i < n; i++) ended(responses[i % 1000]);
    telemetry.flushLogs();
    const us = cpuUs(from) / n;
    telemetry.report();
    process.stdout.write(`end-of-request hook, metrics ${metrics ? 'on' : 'off'}, request logs ${logs ? 'on' : 'off'}: ${us.toFixed(2)} µs CPU per request\n`);
  }
  if (written === 0) throw new Error('no request-log bytes were written');
}

/**
 * Part 3: the primary's stdout writer (stdout-owner.ts) into a pipe that `cat` drains to
 * /dev/null, as a log collector would: CPU of this process (the thread pool's writes included)
 * per request-log line.
 */
async function stdoutPipe(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-micro-'));
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('sh', ['-c', `exec cat "${fifo}" > /dev/null`], { stdio: 'ignore' });
  const fd = openSync(fifo, 'w');
  const owner = new StdoutOwner(fd);
  const line = '{"type":"request","time":"2026-12-04T21:00:00.000Z","correlationId":"0b5f6a8e-4c1a-4e2b-9c55-1f2e3d4c5b6a","method":"GET","url":"/bench/items/123","status":200,"backendStatus":200,"totalMs":0.5,"backendMs":0.3,"requestBytes":120,"responseBytes":300,"apiId":"bench","operationId":"get-item","productId":"gold","subscriptionId":"acme","clientIp":"10.1.2.3","cache":null,"errorCode":null}\n';
  const perBatch = Math.floor(256 * 1024 / line.length);
  const batch = Buffer.from(line.repeat(perBatch));
  let lines = 0;
  const from = process.cpuUsage();
  for (let i = 0; i < 400; i++) {
    owner.enqueue(batch);
    lines += perBatch;
    if (owner.pendingBytes > 8 * 1024 * 1024) await owner.drained(10_000);
  }
  await owner.drained(30_000);
  const ns = cpuUs(from) * 1000 / lines;
  closeSync(fd);
  reader.kill();
  process.stdout.write(`stdout writer, 256 KiB batches into a pipe: ${ns.toFixed(0)} ns CPU per line (${lines} lines)\n`);
}

/**
 * Part 4: one second's report with many busy operations (a large config under spread traffic),
 * and with one operation at 15,000 requests a second whose latencies spread over a few hundred
 * buckets (a paced bench run): the worker's report() (every busy series' deltas, histograms
 * encoded) and the primary's ingest of it, both synchronous on their thread: what a worker's
 * event loop stalls for once a second.
 */
function busySeries(): void {
  // [operations, requests per operation per second]; a lone busy operation's latencies spread, the many's are three close values.
  const cases: Array<[number, number]> = [[1, 15_000], [100, 3], [1000, 3], [2000, 3]];
  let seed = 7;
  const spread = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const [busy, perOp] of cases) {
    const telemetry = new WorkerTelemetry(0, () => true);
    const gen: SeriesSource = { operationCount: busy, telemetrySeries: null, operationIds: (op) => ({ apiId: `api-${op}`, operationId: 'get-item' }) };
    const settings = { telemetry: { enabled: true, buckets: [] }, requestLog: { enabled: false, sample: 1 } } as unknown as GatewaySettings;
    telemetry.configure(settings);
    const ended = (res: ClientResponse): void => telemetry.requestEnded(res);
    const aggregator = new TelemetryAggregator(DEFAULT_LATENCY_BUCKETS, 3_600_000);
    const rounds = 5;
    let workerUs = 0;
    let primaryUs = 0;
    let longestPartUs = 0;
    let partsPerReport = 0;
    for (let round = 0; round <= rounds; round++) {
      for (let op = 0; op < busy; op++) {
        const series = telemetry.seriesFor(gen, op);
        for (let k = 0; k < perOp; k++) {
          const t = performance.now();
          const totalMs = perOp === 3 ? 0.3 + k * 0.2 : 0.08 + spread() ** 3 * 3;
          const backendEndMs = perOp === 3 ? 0.05 : totalMs * (0.5 - 0.4 * spread());
          ended({ startedAt: t - totalMs, statusSent: 200, requestBytes: 100, responseBytes: 200, series, errorCode: null, backendStartedAt: perOp === 3 ? t - 0.2 : t - totalMs + 0.01, backendEndedAt: t - backendEndMs, cacheResult: null, logged: false } as unknown as ClientResponse);
        }
      }
      // In parts, as the worker sends it (worker-main.ts, REPORT_PART_SERIES): the longest part (wall time, GC included) is what one loop turn waits for.
      let last = false;
      let parts = 0;
      while (!last) {
        let from = process.cpuUsage();
        const wallFrom = performance.now();
        const part = telemetry.reportPart(REPORT_PART_SERIES);
        const wallUs = (performance.now() - wallFrom) * 1000;
        const w = cpuUs(from);
        from = process.cpuUsage();
        aggregator.ingest(part.payload);
        const p = cpuUs(from);
        last = part.last;
        parts++;
        if (round > 0) { workerUs += w; primaryUs += p; longestPartUs = Math.max(longestPartUs, wallUs); } // round 0 warms up
      }
      partsPerReport = parts;
    }
    aggregator.close();
    process.stdout.write(`report of ${busy} busy operation${busy === 1 ? '' : 's'} (${perOp} requests each): worker ${(workerUs / rounds / 1000).toFixed(1)} ms `
      + `in ${partsPerReport} part${partsPerReport === 1 ? '' : 's'} (longest ${(longestPartUs / 1000).toFixed(1)} ms of wall time), primary ingest ${(primaryUs / rounds / 1000).toFixed(1)} ms CPU per second's report\n`);
  }
}

hdrVariants();
hook();
busySeries();
await stdoutPipe();
