/**
 * The HDR histogram shape every telemetry histogram shares, in microseconds: two significant
 * digits (1% value resolution) from 1 µs to one hour. Workers record into sparse interval
 * histograms of this shape (interval-histogram.ts) and send each second's counts in HdrHistogram's
 * uncompressed V2 encoding; the primary reads them here (decodeDelta) and adds them, sparse, to its
 * Prometheus buckets and minute rows.
 */
import { Buffer } from 'node:buffer';
import { HEADER_BYTES, isUncompressedCookie, readPayload, shapeOf, writeHeader, type SparseHistogram } from '../../shared/hdr-sparse.js';

/** Values above this (one hour, in µs) are recorded as this. */
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 2;

/** Microseconds from a performance.now() difference, clamped to what a histogram takes. */
export function toMicros(ms: number): number {
  if (!(ms > 0)) return 0;
  const us = Math.round(ms * 1000);
  return us > HIGHEST_US ? HIGHEST_US : us;
}

/** The workers' histogram shape (lowest 1 µs): IntervalHistogram records in it, decodeDelta reads it. */
export const WORKER_SHAPE = shapeOf(SIGNIFICANT_DIGITS, 1);
/**
 * The uncompressed V2 header every worker histogram carries, with a payload length of 0:
 * IntervalHistogram.encode writes its histograms after a copy of it (setting the length),
 * decodeDelta compares bytes 8-40 of each one against it.
 */
export const WORKER_HEADER = new Uint8Array(HEADER_BYTES);
writeHeader(WORKER_HEADER, WORKER_SHAPE, HIGHEST_US, 0);
/** Bytes 8-40: normalizing offset, digits, lowest and highest value, conversion ratio (compared as bytes: no BigInt per histogram). */
const SHAPE_FROM = 8;

/** A worker's interval histogram (IntervalHistogram.encode) as sparse counts; throws unless it is one, in the workers' shape. */
export function decodeDelta(bytes: Uint8Array): SparseHistogram {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES || !isUncompressedCookie(buf.readInt32BE(0))) throw new Error('not an uncompressed HDR V2 histogram');
  for (let i = SHAPE_FROM; i < HEADER_BYTES; i++) {
    if (buf[i] !== WORKER_HEADER[i]) throw new Error('not a histogram of the workers\' shape');
  }
  return readPayload(buf, WORKER_SHAPE, HIGHEST_US);
}

/** The three histograms of a worker's series delta, decoded once for both /metrics and the minute rows. */
export interface DeltaHistograms { total: SparseHistogram; backend: SparseHistogram | null; gateway: SparseHistogram }

export function decodeDeltaHistograms(d: { totalHist: Uint8Array; backendHist: Uint8Array | null; gatewayHist: Uint8Array }): DeltaHistograms {
  return { total: decodeDelta(d.totalHist), backend: d.backendHist === null ? null : decodeDelta(d.backendHist), gateway: decodeDelta(d.gatewayHist) };
}
