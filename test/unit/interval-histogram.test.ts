/**
 * IntervalHistogram: a worker's sparse HDR recorder gives exactly hdr-histogram-js's buckets and
 * counts at the workers' precision, whatever the values and however many buckets an interval hits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { bucketOf, IntervalHistogram, MAX_KEY } from '../../src/gateway/telemetry/interval-histogram.js';
import { packSparse, shapeOf } from '../../src/shared/hdr-sparse.js';
import { decodeDelta, HIGHEST_US, SIGNIFICANT_DIGITS } from '../../src/gateway/telemetry/hdr.js';

const library = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, bitBucketSize: 32 });

function libraryPairs(values: readonly number[]): Array<[number, number]> {
  const h = library();
  for (const v of values) h.recordValue(v);
  const js = h as unknown as hdr.JsHistogram;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < js.countsArrayLength; i++) if (js.getCountAtIndex(i) > 0) out.push([i, js.getCountAtIndex(i)]);
  return out;
}

function values(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((x / 2 ** 31) ** 6 * HIGHEST_US);
  });
}

const EDGES = [0, 1, 2, 127, 128, 255, 256, 257, 511, 512, 1000, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, HIGHEST_US - 1, HIGHEST_US];

test('bucketOf is the library\'s counts index, at every power-of-two edge and across the range', () => {
  const js = library() as unknown as hdr.JsHistogram & { countsArrayIndex(v: number): number };
  for (const v of [...EDGES, ...values(20_000, 7)]) assert.equal(bucketOf(v), js.countsArrayIndex(v), `value ${v}`);
});

test('an interval gives the library\'s buckets and counts, then starts empty', () => {
  const h = new IntervalHistogram();
  for (const [round, sample] of [values(3, 1), [...EDGES, ...values(5000, 2)], values(40_000, 3), []].entries()) {
    for (const v of sample) h.record(v);
    const taken = h.take();
    assert.deepEqual(taken.indices.map((index, k) => [index, taken.counts[k]]), libraryPairs(sample), `round ${round}`);
    assert.equal(taken.totalCount, sample.length);
  }
  assert.equal(h.totalCount, 0);
});

test('what a worker sends decodes to the same counts (the primary\'s side)', () => {
  const h = new IntervalHistogram();
  const sample = [...EDGES, ...values(1000, 9)];
  for (const v of sample) h.record(v);
  const decoded = decodeDelta(h.encode());
  assert.deepEqual(decoded.indices.map((index, k) => [index, decoded.counts[k]]), libraryPairs(sample));
  assert.equal(decoded.totalCount, sample.length);
});

test('a second that hit many buckets grows the table; the next quiet second shrinks it back', () => {
  const h = new IntervalHistogram();
  const spread = values(20_000, 11);
  for (const v of spread) h.record(v);
  const grown = h.capacity;
  const taken = h.take();
  assert.ok(grown >= taken.indices.length * 2, `${grown} slots for ${taken.indices.length} buckets`);
  assert.ok(grown >= 1024, `${grown} slots`);
  for (const v of [100, 100, 120]) h.record(v);
  h.take();
  assert.ok(h.capacity <= 32, `${h.capacity} slots after a quiet second`);
  // Still exact after shrinking.
  for (const v of [100, 100, 120, 5000]) h.record(v);
  const quiet = h.take();
  assert.deepEqual(quiet.indices.map((index, k) => [index, quiet.counts[k]]), libraryPairs([100, 100, 120, 5000]));
});

test('encode() writes the bytes of the sparse encoder, second after second, whatever the table\'s size did', () => {
  const sent = new IntervalHistogram();
  const twin = new IntervalHistogram();
  // Wide then narrow then empty then wide: the shared scratch is longer than a later histogram, and the table grows and shrinks.
  const seconds = [[...EDGES, ...values(20_000, 13)], [100, 100, 120], [], values(5_000, 17), [HIGHEST_US, 0, 0, 0], values(40_000, 19)];
  for (const [round, sample] of seconds.entries()) {
    for (const v of sample) { sent.record(v); twin.record(v); }
    const bytes = sent.encode();
    assert.deepEqual(Buffer.from(bytes), packSparse(twin.take()), `second ${round}`);
    assert.equal(bytes.byteOffset, 0, 'its own buffer (it is transferred)');
    assert.equal(bytes.buffer.byteLength, bytes.length);
    assert.equal(sent.totalCount, 0);
    assert.deepEqual(decodeDelta(bytes).totalCount, sample.length);
  }
});

test('the table\'s largest key and slot fit the packed sort entry', () => {
  assert.equal(MAX_KEY, bucketOf(HIGHEST_US) + 1);
  const h = new IntervalHistogram();
  // Every bucket there is: the table at its largest.
  const shape = shapeOf(SIGNIFICANT_DIGITS, 1);
  for (let index = 0; index < MAX_KEY; index++) h.record(shape.valueFromIndex(index));
  const taken = h.take();
  assert.equal(taken.indices.length, MAX_KEY, 'one bucket per index');
  assert.deepEqual(taken.indices, Array.from({ length: MAX_KEY }, (_, i) => i));
});
