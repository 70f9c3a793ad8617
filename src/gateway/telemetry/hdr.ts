/**
 * The HDR histogram settings every telemetry histogram shares, in microseconds. Workers record
 * into WebAssembly histograms: measured on this machine (bench/telemetry-micro.ts, 2M records), a
 * record costs ~26 ns in WASM against ~130 ns for the JS Int32 histogram and ~570 ns packed, and
 * a request records three values. Every second a worker sends each busy histogram's counts
 * (encodeDelta) and the primary adds them, sparse, to its Prometheus buckets and minute rows.
 *
 * Two significant digits (1% value resolution) keep a histogram at ~13 KB for a 1 µs – 1 h range
 * (three digits: ~95 KB), so a worker with hundreds of busy operations stays small.
 */
import * as hdr from 'hdr-histogram-js';
import { HEADER_BYTES, isUncompressedCookie, packSparse, shapeOf, unpackSparse, type SparseHistogram } from '../../shared/hdr-sparse.js';

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

/** Microseconds from a performance.now() difference, clamped to what a histogram takes. */
export function toMicros(ms: number): number {
  if (!(ms > 0)) return 0;
  const us = Math.round(ms * 1000);
  return us > HIGHEST_US ? HIGHEST_US : us;
}

/**
 * One interval of a worker histogram, as the worker sends it to the primary: HdrHistogram's
 * uncompressed V2 encoding (hdr-sparse.ts), tens of bytes for an interval's few values. It was the
 * compressed base64 form: deflate and base64 in the worker (11-24 µs a histogram on this machine,
 * against 1.3 µs for this), then base64, inflate and a 13 KB histogram built in the primary, three
 * per active operation per second. With a thousand operations busy that was a stall of 100 ms or
 * more, every second, in each worker.
 */
export function encodeDelta(h: Histogram): Uint8Array {
  if (h instanceof hdr.WasmHistogram) return h.encode().slice();
  // The JS fallback (no WebAssembly): its counts, read sparse, in the same encoding.
  const js = h as unknown as hdr.JsHistogram;
  const indices: number[] = [];
  const counts: number[] = [];
  let left = h.totalCount;
  for (let i = 0; i < js.countsArrayLength && left > 0; i++) {
    const count = js.getCountAtIndex(i);
    if (count === 0) continue;
    indices.push(i);
    counts.push(count);
    left -= count;
  }
  return packSparse({ shape: shapeOf(SIGNIFICANT_DIGITS, 1), highest: HIGHEST_US, indices, counts, totalCount: h.totalCount });
}

/** A worker's interval histogram (encodeDelta) as sparse counts; throws unless it is one, in this module's shape. */
export function decodeDelta(bytes: Uint8Array): SparseHistogram {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES || !isUncompressedCookie(buf.readInt32BE(0))) throw new Error('not an uncompressed HDR V2 histogram');
  if (buf.readInt32BE(12) !== SIGNIFICANT_DIGITS || buf.readBigInt64BE(16) !== 1n || buf.readBigInt64BE(24) !== BigInt(HIGHEST_US)) {
    throw new Error('not a histogram of the workers\' shape');
  }
  return unpackSparse(buf);
}

/** The three histograms of a worker's series delta, decoded once for both /metrics and the minute rows. */
export interface DeltaHistograms { total: SparseHistogram; backend: SparseHistogram | null; gateway: SparseHistogram }

export function decodeDeltaHistograms(d: { totalHist: Uint8Array; backendHist: Uint8Array | null; gatewayHist: Uint8Array }): DeltaHistograms {
  return { total: decodeDelta(d.totalHist), backend: d.backendHist === null ? null : decodeDelta(d.backendHist), gateway: decodeDelta(d.gatewayHist) };
}
