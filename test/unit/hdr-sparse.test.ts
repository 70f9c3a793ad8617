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
import { packSparse, unpackSparse } from '../../src/shared/hdr-sparse.js';

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
