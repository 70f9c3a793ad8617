/**
 * Histogram merge: what the primary (and the control plane) computes from several workers'
 * histograms equals what one histogram fed every sample gives, percentile for percentile; and
 * the aggregator hands a sink additive per-minute rows whose merged histogram is that of all
 * samples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { decodeHistogram, encodeHistogram, mergingHistogram, recordingHistogram } from '../../src/gateway/telemetry/hdr.js';
import { TelemetryAggregator } from '../../src/gateway/telemetry/aggregator.js';
import type { SeriesDelta, TelemetryReport } from '../../src/shared/protocol.js';
import type { MinuteAggregate } from '../../src/shared/telemetry-types.js';
import { DEFAULT_LATENCY_BUCKETS } from '../../src/shared/config-schema.js';

const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

/** Deterministic, skewed latencies in µs (a long tail, as real ones). */
function samples(n: number, seed: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(Math.floor(50 + (x / 2 ** 31) ** 5 * 2_000_000));
  }
  return out;
}

test('percentiles merged from several workers equal those of one histogram fed all samples', () => {
  const perWorker = [samples(5000, 1), samples(3000, 2), samples(7000, 3), samples(10, 4)];
  const single = mergingHistogram();
  for (const s of perWorker.flat()) single.recordValue(s);

  // Each worker records in its own (WASM) histogram and sends it encoded; the primary decodes and adds.
  const merged = mergingHistogram();
  for (const values of perWorker) {
    const h = recordingHistogram();
    for (const v of values) h.recordValue(v);
    merged.add(decodeHistogram(encodeHistogram(h)));
    h.destroy();
  }
  assert.equal(merged.totalCount, single.totalCount);
  for (const p of PERCENTILES) assert.equal(merged.getValueAtPercentile(p), single.getValueAtPercentile(p), `p${p}`);
  // The maximum is kept to the histograms' resolution (two significant digits: 1%).
  assert.ok(Math.abs(merged.maxValue - single.maxValue) <= single.maxValue * 0.01, `max ${merged.maxValue} vs ${single.maxValue}`);
});

function delta(values: number[]): SeriesDelta {
  const h = recordingHistogram();
  for (const v of values) h.recordValue(v);
  const encoded = encodeHistogram(h);
  h.destroy();
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    apiId: 'orders', operationId: 'get', requests: values.length, errors: 1, statuses: [200, values.length - 1, 502, 1],
    errorCodes: { OUTPOST_ERR_BACKEND_UNREACHABLE: 1 }, cache: {}, requestBytes: 100, responseBytes: 1000,
    totalSumUs: sum, backendSumUs: sum, gatewaySumUs: 0, totalHist: encoded, backendHist: encoded, gatewayHist: encoded,
  };
}

function report(worker: number, at: number, values: number[]): Uint8Array {
  const r: TelemetryReport = { worker, at, series: [delta(values)], loopDelayP99Ms: 1, loopDelayMaxMs: 2, requestLogDropped: 0 };
  return new Uint8Array(pack(r));
}

test('the sink gets additive per-minute rows: counts summed, histograms merged across workers', () => {
  const rows: MinuteAggregate[] = [];
  const agg = new TelemetryAggregator(DEFAULT_LATENCY_BUCKETS, 3_600_000);
  agg.attachSink({ add: (r) => { rows.push(...r); } });
  const minute = 60_000 * 29_000_000;
  const a = samples(400, 7);
  const b = samples(600, 8);
  agg.ingest(report(0, minute + 1_000, a));
  agg.ingest(report(1, minute + 2_000, b));
  agg.handOff();
  agg.ingest(report(0, minute + 60_500, samples(5, 9))); // the next minute, next interval
  agg.close(); // shutdown hands over what is left
  assert.equal(rows.length, 2);
  const [first, second] = rows;
  assert.equal(first.minute, minute);
  assert.equal(first.requests, 1000);
  assert.deepEqual(first.statuses, { 200: 998, 502: 2 });
  assert.equal(first.errors, 2);
  const single = mergingHistogram();
  for (const v of [...a, ...b]) single.recordValue(v);
  const uploaded = decodeHistogram(first.totalHist);
  for (const p of PERCENTILES) assert.equal(uploaded.getValueAtPercentile(p), single.getValueAtPercentile(p), `p${p}`);
  assert.equal(second.minute, minute + 60_000);
  assert.equal(second.requests, 5);
  // /metrics kept the cumulative view of all three reports.
  const series = agg.prometheus.series.get('orders\nget')!;
  assert.equal(series.statuses.get(200), 1002);
  assert.equal(series.total.count, 1005);
});

test('a report that does not decode is counted, not thrown', () => {
  const agg = new TelemetryAggregator(DEFAULT_LATENCY_BUCKETS, 3_600_000);
  agg.ingest(new Uint8Array([0xc1]));
  assert.equal(agg.reportsRejected, 1);
  agg.close();
});
