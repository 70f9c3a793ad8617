/**
 * The gateway's telemetry buffer and the shared histogram code: rows of the same minute, API and
 * operation merge (counts added, histograms merged to the percentiles of all samples); the age
 * and row bounds drop the oldest minutes and count them; drops are handed to exactly one batch;
 * the bounded decode refuses histograms outside its limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { TelemetryBuffer, DEFAULT_LIMITS } from '../../src/gateway/managed/telemetry-buffer.js';
import { decodeHistogram, HistogramDecodeError, MergedHistogram, mergeEncoded } from '../../src/shared/telemetry-histogram.js';
import { currentMinute, histogramOf, latencies, row } from '../support/telemetry-rows.js';

test('rows of one minute, API and operation merge: counts added, histograms merged', () => {
  const buffer = new TelemetryBuffer();
  const a = latencies(200, 1000, 1);
  const b = latencies(100, 50_000, 2);
  buffer.add([row({ totalUs: a, errors: 1 })]);
  buffer.add([row({ totalUs: b, errors: 2 }), row({ apiId: 'other', totalUs: [5] })]);
  assert.equal(buffer.size, 2);
  const batch = buffer.takeBatch()!;
  const merged = batch.rows.find((r) => r.apiId === 'orders')!;
  assert.equal(merged.requests, 300);
  assert.equal(merged.errors, 3);
  assert.deepEqual(merged.statuses, { 200: 297, 502: 3 });
  assert.equal(merged.requestBytes, 30_000);
  const reference = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
  for (const v of [...a, ...b]) reference.recordValue(v);
  const h = new MergedHistogram();
  h.add(decodeHistogram(merged.totalHist));
  assert.equal(h.totalCount, 300);
  for (const p of [50, 90, 99, 99.9]) assert.equal(h.percentileMs(p), Math.round(reference.getValueAtPercentile(p)) / 1000, `p${p}`);
  assert.equal(buffer.size, 0);
  assert.equal(buffer.takeBatch(), null);
});

test('bounds: rows past the age limit and the oldest past the row limit are dropped, counted once', () => {
  const drops: Array<{ rows: number; requests: number; reason: string }> = [];
  const buffer = new TelemetryBuffer({ ...DEFAULT_LIMITS, maxRows: 3, maxAgeMinutes: 10 }, (d) => drops.push(d));
  const now = currentMinute() + 30_000;
  const m = (ago: number) => currentMinute() - ago * 60_000;
  buffer.add([row({ minute: m(11), totalUs: [1, 2] })], now);
  assert.deepEqual({ size: buffer.size, rows: buffer.droppedTotal.rows, requests: buffer.droppedTotal.requests }, { size: 0, rows: 1, requests: 2 });
  buffer.add([m(4), m(3), m(2), m(1)].map((minute, i) => row({ minute, totalUs: Array.from({ length: i + 1 }, () => 100) })), now);
  assert.equal(buffer.size, 3);
  assert.deepEqual(buffer.droppedTotal, { rows: 2, requests: 3 });
  assert.match(drops[1].reason, /more than 3 rows/);
  const batch = buffer.takeBatch()!;
  assert.deepEqual(batch.rows.map((r) => r.minute), [m(3), m(2), m(1)]);
  assert.deepEqual(batch.dropped, { rows: 2, requests: 3 });
  // Reported once: the next batch carries none (and with nothing held there is no batch at all).
  assert.equal(buffer.takeBatch(), null);
  // A batch refused for good counts its rows and its own report as dropped again, for the next batch.
  buffer.dropBatch(batch, 'refused');
  assert.deepEqual(buffer.takeBatch()!.dropped, { rows: 2 + 3, requests: 3 + 2 + 3 + 4 });
});

test('batches are bounded in rows, oldest minutes first', () => {
  const buffer = new TelemetryBuffer({ ...DEFAULT_LIMITS, batchRows: 2 });
  buffer.add([3, 1, 2].map((ago) => row({ minute: currentMinute() - ago * 60_000, totalUs: [10] })));
  assert.deepEqual(buffer.takeBatch()!.rows.map((r) => (currentMinute() - r.minute) / 60_000), [3, 2]);
  assert.equal(buffer.takeBatch()!.rows.length, 1);
});

test('a row whose histogram does not decode is dropped and counted, not merged', () => {
  const buffer = new TelemetryBuffer();
  buffer.add([row({ totalUs: [10] })]);
  buffer.add([{ ...row({ totalUs: [10, 20] }), totalHist: 'AAAA' }]);
  assert.equal(buffer.size, 1);
  assert.deepEqual(buffer.droppedTotal, { rows: 1, requests: 2 });
});

test('decodeHistogram refuses what is outside its bounds', () => {
  const wide = hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 50 });
  wide.recordValue(5);
  const precise = hdr.build({ numberOfSignificantValueDigits: 4, lowestDiscernibleValue: 1, highestTrackableValue: 1000 });
  precise.recordValue(5);
  for (const [what, encoded] of [
    ['too long', 'A'.repeat(64 * 1024 + 4)],
    ['not base64', 'abc$'],
    ['not HDR', Buffer.from('0123456789abcdef').toString('base64')],
    ['range beyond 2^42 µs', hdr.encodeIntoCompressedBase64(wide)],
    ['4 significant digits', hdr.encodeIntoCompressedBase64(precise)],
  ]) assert.throws(() => decodeHistogram(encoded), HistogramDecodeError, what);
  assert.equal(decodeHistogram(histogramOf([1, 2, 3])).totalCount, 3);
  assert.equal(decodeHistogram(mergeEncoded([histogramOf([1]), histogramOf([2, 3])])).totalCount, 3);
});
