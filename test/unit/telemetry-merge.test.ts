/**
 * Histogram merge: what the primary (and the control plane) computes from several workers'
 * histograms equals what one histogram fed every sample gives, percentile for percentile; and
 * the aggregator hands a sink additive per-minute rows whose merged histogram is that of all
 * samples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import * as hdr from 'hdr-histogram-js';
import { decodeDelta, HIGHEST_US, SIGNIFICANT_DIGITS } from '../../src/gateway/telemetry/hdr.js';
import { IntervalHistogram } from '../../src/gateway/telemetry/interval-histogram.js';
import { decodeHistogram, MergedHistogram } from '../../src/shared/telemetry-histogram.js';
import { packSparse, shapeOf } from '../../src/shared/hdr-sparse.js';
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

/** The library's own histogram in the workers' shape: the reference every merge must equal. */
const reference = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, bitBucketSize: 32 });

test('percentiles merged from several workers equal those of one histogram fed all samples', () => {
  const perWorker = [samples(5000, 1), samples(3000, 2), samples(7000, 3), samples(10, 4)];
  const single = reference();
  for (const s of perWorker.flat()) single.recordValue(s);

  // Each worker records in its own interval histogram and sends its counts; the primary decodes and adds.
  const merged = new MergedHistogram();
  for (const values of perWorker) {
    const h = new IntervalHistogram();
    for (const v of values) h.record(v);
    merged.add(decodeDelta(h.encode()));
  }
  assert.equal(merged.totalCount, single.totalCount);
  for (const p of PERCENTILES) assert.equal(merged.percentileMs(p), Math.round(single.getValueAtPercentile(p)) / 1000, `p${p}`);
});

test('a worker delta is a few bytes, and the primary takes only the workers\' shape', () => {
  const h = new IntervalHistogram();
  for (const v of [3, 3, 250, 1_000_000, HIGHEST_US]) h.record(v);
  const bytes = h.encode();
  assert.ok(bytes.length < 80, `${bytes.length} bytes`);
  assert.equal(decodeDelta(bytes).totalCount, 5);
  // Three digits, or another range: a valid V2 histogram, but not what the workers record.
  for (const [digits, highest] of [[3, HIGHEST_US], [2, 1_000_000]]) {
    const other = packSparse({ shape: shapeOf(digits, 1), highest, indices: [5], counts: [1], totalCount: 1 });
    assert.throws(() => decodeDelta(other), /shape/);
  }
  assert.throws(() => decodeDelta(new Uint8Array([1, 2, 3])), /not an uncompressed HDR V2 histogram/);
});

function delta(values: number[]): SeriesDelta {
  const h = new IntervalHistogram();
  for (const v of values) h.record(v);
  const encoded = h.encode();
  const backend = new IntervalHistogram();
  for (const v of values) backend.record(v);
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    apiId: 'orders', operationId: 'get', requests: values.length, errors: 1, statuses: [200, values.length - 1, 502, 1],
    errorCodes: { OUTPOST_ERR_BACKEND_UNREACHABLE: 1 }, cache: {}, requestBytes: 100, responseBytes: 1000,
    totalSumUs: sum, backendSumUs: sum, gatewaySumUs: 0, totalHist: encoded, backendHist: backend.encode(), gatewayHist: encoded,
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
  const single = reference();
  for (const v of [...a, ...b]) single.recordValue(v);
  // The uploaded form is what hdr-histogram-js decodes (the control plane's wire format did not change).
  const uploaded = hdr.decodeFromCompressedBase64(first.totalHist, 32, false);
  for (const p of PERCENTILES) assert.equal(uploaded.getValueAtPercentile(p), single.getValueAtPercentile(p), `p${p}`);
  const merged = new MergedHistogram();
  merged.add(decodeHistogram(first.totalHist));
  assert.equal(merged.totalCount, 1000);
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

test('a series whose histogram does not decode is counted and skipped; the report\'s other series count', () => {
  const agg = new TelemetryAggregator(DEFAULT_LATENCY_BUCKETS, 3_600_000);
  const good = delta([100, 200]);
  const bad = { ...delta([300]), operationId: 'bad', totalHist: new Uint8Array([9, 9, 9]) };
  const r: TelemetryReport = { worker: 0, at: Date.now(), series: [bad, good], loopDelayP99Ms: 0, loopDelayMaxMs: 0, requestLogDropped: 0 };
  agg.ingest(new Uint8Array(pack(r)));
  assert.equal(agg.reportsRejected, 1);
  assert.equal(agg.prometheus.series.get('orders\nget')!.total.count, 2);
  assert.equal(agg.prometheus.series.has('orders\nbad'), false);
  agg.close();
});
