/**
 * A worker's second's report in parts (WorkerTelemetry.reportPart): each part holds at most the
 * busy series asked for, the parts of a pass hold every busy series once, only the part that ends
 * the pass carries the worker-wide fields, a request recorded between parts is reported (in a later
 * part or the next pass) and never twice, and the primary adds parts as they come without a part
 * erasing what the last whole report said of the worker's event loop.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { unpack } from 'msgpackr';
import { WorkerTelemetry, type SeriesSource } from '../../src/gateway/telemetry/worker-telemetry.js';
import { TelemetryAggregator } from '../../src/gateway/telemetry/aggregator.js';
import { renderTelemetry } from '../../src/gateway/telemetry/render-metrics.js';
import type { ClientResponse } from '../../src/http1/server/client-response.js';
import { DEFAULT_LATENCY_BUCKETS, type GatewaySettings } from '../../src/shared/config-schema.js';
import type { TelemetryReport } from '../../src/shared/protocol.js';

const SETTINGS = { telemetry: { enabled: true, buckets: [] }, requestLog: { enabled: false, sample: 1 } } as unknown as GatewaySettings;

function source(operations: number): SeriesSource {
  return { operationCount: operations, telemetrySeries: null, operationIds: (op) => ({ apiId: `api-${op}`, operationId: 'get' }) };
}

/** A worker's telemetry with metrics on, stopped after the test, and a generation of `operations` operations. */
function busyTelemetry(t: TestContext, worker: number, operations: number): { telemetry: WorkerTelemetry; gen: SeriesSource } {
  const telemetry = new WorkerTelemetry(worker, () => true);
  t.after(() => telemetry.stop());
  telemetry.configure(SETTINGS);
  return { telemetry, gen: source(operations) };
}

function requestOn(telemetry: WorkerTelemetry, series: number, status = 200): void {
  telemetry.requestEnded({
    startedAt: performance.now() - 1, statusSent: status, requestBytes: 10, responseBytes: 20, series, errorCode: null,
    backendStartedAt: 0, backendEndedAt: 0, cacheResult: null, logged: false,
  } as unknown as ClientResponse);
}

function decode(payload: Uint8Array): TelemetryReport {
  return unpack(payload) as TelemetryReport;
}

/** Requests per API id over the parts of one pass, with the parts. */
function pass(telemetry: WorkerTelemetry, maxSeries: number): { parts: TelemetryReport[]; requests: Map<string, number> } {
  const parts: TelemetryReport[] = [];
  const requests = new Map<string, number>();
  for (let last = false; !last;) {
    const part = telemetry.reportPart(maxSeries);
    last = part.last;
    const report = decode(part.payload);
    parts.push(report);
    for (const d of report.series) requests.set(d.apiId, (requests.get(d.apiId) ?? 0) + d.requests);
    assert.ok(parts.length <= 1000, 'the pass ends');
  }
  return { parts, requests };
}

test('a pass of 300 busy series in parts of 128: three parts, every series once, the worker-wide fields in the last only', (t) => {
  const { telemetry, gen } = busyTelemetry(t, 3, 300);
  for (let op = 0; op < 300; op++) for (let k = 0; k <= op % 3; k++) requestOn(telemetry, telemetry.seriesFor(gen, op));
  const { parts, requests } = pass(telemetry, 128);
  assert.deepEqual(parts.map((p) => p.series.length), [128, 128, 44]);
  assert.equal(requests.size, 300);
  for (let op = 0; op < 300; op++) assert.equal(requests.get(`api-${op}`), (op % 3) + 1, `api-${op}`);
  for (const p of parts) assert.equal(p.worker, 3);
  for (const p of parts.slice(0, -1)) {
    assert.equal(p.loopDelayP99Ms, undefined);
    assert.equal(p.loopDelayMaxMs, undefined);
    assert.equal(p.custom, undefined);
    assert.equal(p.requestLogDropped, 0);
  }
  const last = parts.at(-1)!;
  assert.equal(typeof last.loopDelayP99Ms, 'number');
  assert.equal(typeof last.loopDelayMaxMs, 'number');
  assert.deepEqual(last.custom, []);
  // The next second: nothing recorded, one part, no series.
  const quiet = pass(telemetry, 128);
  assert.equal(quiet.parts.length, 1);
  assert.equal(quiet.parts[0].series.length, 0);
});

test('requests recorded between parts are reported once: in a later part of the pass or in the next pass', (t) => {
  const { telemetry, gen } = busyTelemetry(t, 0, 10);
  for (let op = 0; op < 10; op++) requestOn(telemetry, telemetry.seriesFor(gen, op));
  const first = decode(telemetry.reportPart(4).payload);
  const reported = new Map<string, number>();
  const count = (r: TelemetryReport) => { for (const d of r.series) reported.set(d.apiId, (reported.get(d.apiId) ?? 0) + d.requests); };
  count(first);
  const taken = first.series.map((d) => d.apiId);
  assert.equal(taken.length, 4);
  // Between parts: one more request on a series already taken and on one not yet visited.
  requestOn(telemetry, telemetry.seriesFor(gen, 0));
  requestOn(telemetry, telemetry.seriesFor(gen, 9));
  for (const r of pass(telemetry, 4).parts) count(r); // the rest of this pass
  for (const r of pass(telemetry, 4).parts) count(r); // the next one
  for (let op = 0; op < 10; op++) assert.equal(reported.get(`api-${op}`), op === 0 || op === 9 ? 2 : 1, `api-${op}`);
});

test('report() finishes a pass under way in one part (a worker that exits mid-pass loses nothing)', (t) => {
  const { telemetry, gen } = busyTelemetry(t, 0, 50);
  for (let op = 0; op < 50; op++) requestOn(telemetry, telemetry.seriesFor(gen, op));
  const first = decode(telemetry.reportPart(20).payload);
  const rest = decode(telemetry.report());
  assert.equal(first.series.length, 20);
  assert.equal(rest.series.length, 30);
  assert.equal(new Set([...first.series, ...rest.series].map((d) => d.apiId)).size, 50);
  assert.equal(typeof rest.loopDelayP99Ms, 'number');
});

test('the primary adds parts as they come; a part without the loop delay keeps the worker\'s last one', (t) => {
  const { telemetry, gen } = busyTelemetry(t, 1, 40);
  const aggregator = new TelemetryAggregator(DEFAULT_LATENCY_BUCKETS, 3_600_000);
  t.after(() => aggregator.close());
  for (let op = 0; op < 40; op++) requestOn(telemetry, telemetry.seriesFor(gen, op), op % 2 === 0 ? 200 : 503);
  for (let last = false; !last;) {
    const part = telemetry.reportPart(16);
    last = part.last;
    aggregator.ingest(part.payload);
    if (last) assert.ok(aggregator.loopDelay.has(1), 'the last part sets the loop delay');
    else assert.equal(aggregator.loopDelay.has(1), false, 'a part before it does not');
  }
  // Every part was added: each of the 40 series once, by status.
  const text = renderTelemetry(aggregator);
  for (let op = 0; op < 40; op++) {
    const status = op % 2 === 0 ? 200 : 503;
    assert.match(text, new RegExp(`outpost_requests_total\\{api="api-${op}",operation="get",status="${status}"\\} 1\n`), `api-${op}`);
  }
  const before = aggregator.loopDelay.get(1);
  for (let op = 0; op < 40; op++) requestOn(telemetry, telemetry.seriesFor(gen, op));
  aggregator.ingest(telemetry.reportPart(16).payload);
  assert.deepEqual(aggregator.loopDelay.get(1), before, 'a first part leaves the last loop delay as it was');
  assert.equal(aggregator.reportsRejected, 0);
});
