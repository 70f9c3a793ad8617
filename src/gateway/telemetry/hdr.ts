/**
 * The HDR histogram settings every telemetry histogram shares, in microseconds. Workers record
 * into WebAssembly histograms: measured on this machine (bench/telemetry-micro.ts, 2M records), a
 * record costs ~26 ns in WASM against ~130 ns for the JS Int32 histogram and ~570 ns packed, and
 * a request records three values. The primary decodes and merges with plain JS histograms (once
 * per worker per second, off the request path).
 *
 * Two significant digits (1% value resolution) keep a histogram at ~13 KB for a 1 µs – 1 h range
 * (three digits: ~95 KB), so a worker with hundreds of busy operations stays small.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** Values above this (one hour, in µs) are recorded as this. */
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 2;

const SHAPE = { lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: false } as const;

let wasmReady = false;

/** A histogram for the request path: WASM when it loads, else the JS Int32 one. Call destroy() when dropping it. */
export function recordingHistogram(): Histogram {
  if (!wasmReady) {
    try { hdr.initWebAssemblySync(); wasmReady = true; } catch { /* falls back to JS below */ }
  }
  return hdr.build({ ...SHAPE, bitBucketSize: 32, useWebAssembly: wasmReady });
}

/** A JS histogram for merging (no WASM memory to free). */
export function mergingHistogram(): Histogram {
  return hdr.build({ ...SHAPE, bitBucketSize: 32 });
}

/** Microseconds from a performance.now() difference, clamped to what a histogram takes. */
export function toMicros(ms: number): number {
  if (!(ms > 0)) return 0;
  const us = Math.round(ms * 1000);
  return us > HIGHEST_US ? HIGHEST_US : us;
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/**
 * Calls `each(value, count)` for every recorded value of a JS histogram (its equivalent range's
 * middle, in µs): what the primary adds to its Prometheus buckets.
 */
export function forEachRecorded(h: Histogram, each: (valueUs: number, count: number) => void): void {
  const js = h as unknown as hdr.JsHistogram;
  const n = js.countsArrayLength;
  let left = h.totalCount;
  for (let i = 0; i < n && left > 0; i++) {
    const count = js.getCountAtIndex(i);
    if (count === 0) continue;
    left -= count;
    each(js.medianEquivalentValue(js.valueFromIndex(i)), count);
  }
}
