/**
 * The sparse HDR reader and writer (src/shared/hdr-sparse.ts) against hdr-histogram-js itself:
 * for several precisions and lowest values, percentiles of one histogram and of merges equal the
 * library's, what we encode the library decodes to the same counts, and a histogram of another
 * layout merges as the library's own add() does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram, MergedHistogram } from '../../src/shared/telemetry-histogram.js';
import { encodeSparse, packSparse, shapeOf, unpackSparse } from '../../src/shared/hdr-sparse.js';

const PERCENTILES = [0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

function samples(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return 1 + Math.floor(u ** 4 * 50_000_000); // 1 µs to 50 s, most of them small
  });
}

function libHistogram(values: number[], digits: 1 | 2 | 3, lowest: number): hdr.Histogram {
  const h = hdr.build({ numberOfSignificantValueDigits: digits, lowestDiscernibleValue: lowest, highestTrackableValue: 3_600_000_000 });
  for (const v of values) h.recordValue(v);
  return h;
}

const ms = (h: hdr.Histogram, p: number) => Math.round(h.getValueAtPercentile(p)) / 1000;

for (const digits of [1, 2, 3] as const) {
  for (const lowest of [1, 1000]) {
    test(`${digits} digits, lowest ${lowest}: percentiles, merges and encoding agree with hdr-histogram-js`, () => {
      const parts = [samples(5000, digits * 7 + lowest), samples(300, 11), samples(1, 3)];
      const libs = parts.map((p) => libHistogram(p, digits, lowest));
      const merged = new MergedHistogram();
      const libMerged = hdr.build({ numberOfSignificantValueDigits: digits, lowestDiscernibleValue: lowest, highestTrackableValue: 3_600_000_000, bitBucketSize: 64 });
      for (const lib of libs) {
        const one = new MergedHistogram();
        one.add(decodeHistogram(hdr.encodeIntoCompressedBase64(lib)));
        for (const p of PERCENTILES) assert.equal(one.percentileMs(p), ms(lib, p), `one histogram, p${p}`);
        merged.add(decodeHistogram(hdr.encodeIntoCompressedBase64(lib)));
        libMerged.add(lib);
      }
      assert.equal(merged.totalCount, 5301);
      for (const p of PERCENTILES) assert.equal(merged.percentileMs(p), ms(libMerged, p), `merged, p${p}`);
      const back = hdr.decodeFromCompressedBase64(merged.encode());
      assert.equal(back.totalCount, 5301);
      for (const p of PERCENTILES) assert.equal(ms(back, p), ms(libMerged, p), `re-encoded, p${p}`);
    });
  }
}

test('a histogram of another layout merges value by value, as the library adds it', () => {
  const coarse = libHistogram(samples(2000, 5), 2, 1);
  const fine = libHistogram(samples(2000, 9), 3, 1);
  const merged = new MergedHistogram();
  merged.add(decodeHistogram(hdr.encodeIntoCompressedBase64(coarse)));
  merged.add(decodeHistogram(hdr.encodeIntoCompressedBase64(fine)));
  const lib = libHistogram([], 2, 1);
  lib.add(coarse);
  lib.add(fine);
  for (const p of PERCENTILES) assert.equal(merged.percentileMs(p), ms(lib, p), `p${p}`);
});

test('an empty merge encodes to a histogram the library reads as empty', () => {
  const back = hdr.decodeFromCompressedBase64(new MergedHistogram().encode());
  assert.equal(back.totalCount, 0);
  assert.equal(new MergedHistogram().percentileMs(99), 0);
});

test('the stored form (uncompressed V2) reads back to the same counts', () => {
  const sparse = decodeHistogram(hdr.encodeIntoCompressedBase64(libHistogram(samples(3000, 4), 2, 1)));
  const back = unpackSparse(packSparse(sparse));
  assert.deepEqual({ ...back, shape: back.shape.key }, { ...sparse, shape: sparse.shape.key });
  assert.ok(packSparse(sparse).length < 12 * sparse.indices.length, 'smaller than an (index, count) array');
});

test('counts of every varint length, up to 2^52, and long runs of empty buckets read back exactly, here and in the library', () => {
  const counts = [1, 63, 64, 127, 128, 8191, 8192, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3, 2 ** 52];
  // Gaps of 0, 1, 63, 64 and thousands of empty buckets between counts (a run is one negative ZigZag value).
  const gaps = [0, 1, 63, 64, 0, 1000, 2, 0, 3, 0, 5, 0, 7];
  const indices: number[] = [];
  let index = -1;
  for (const gap of gaps) indices.push((index += gap + 1));
  const sparse = { shape: shapeOf(2, 1), highest: 3_600_000_000, indices, counts, totalCount: counts.reduce((a, b) => a + b, 0) };
  const back = unpackSparse(packSparse(sparse));
  assert.deepEqual(back.indices, indices);
  assert.deepEqual(back.counts, counts);
  assert.equal(back.totalCount, sparse.totalCount);
  const lib = hdr.decodeFromCompressedBase64(encodeSparse(sparse), 64) as unknown as hdr.JsHistogram;
  assert.deepEqual(indices.map((i) => lib.getCountAtIndex(i)), counts);
});

test('a bucket\'s values without an object per call: lowest, median and highest equivalent values agree with the library at every index', () => {
  for (const [digits, lowest] of [[2, 1], [3, 1], [1, 1000]] as const) {
    const shape = shapeOf(digits, lowest);
    const lib = libHistogram([], digits, lowest) as unknown as hdr.JsHistogram & { valueFromIndex(i: number): number };
    for (let i = 0; i < lib.countsArrayLength; i += i < 600 ? 1 : 37) {
      const value = lib.valueFromIndex(i);
      assert.equal(shape.valueFromIndex(i), value, `${digits}/${lowest} index ${i}`);
      assert.equal(shape.medianEquivalentValue(i), lib.medianEquivalentValue(value), `${digits}/${lowest} median at ${i}`);
      assert.equal(shape.highestEquivalentValue(i), lib.highestEquivalentValue(value), `${digits}/${lowest} highest at ${i}`);
    }
  }
});
