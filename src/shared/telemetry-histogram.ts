/**
 * HDR histograms as telemetry carries them (hdr-histogram-js compressed base64, microseconds):
 * a bounded decode, merging, and percentiles. Both the gateway's uploader (merging rows of the
 * same minute while the control plane is away) and the control plane (merging every upload into
 * its store, and every stored row into a query's answer) go through here, so percentiles are
 * always read from merged histograms, never averaged.
 *
 * The decode is bounded before hdr-histogram-js sees the bytes: a compressed histogram is small,
 * but its header decides how large a counts array the library allocates and its deflate stream
 * could inflate to anything. Both are checked first (size, inflated size, precision, range).
 */
import { inflateSync } from 'node:zlib';
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** A compressed histogram of a minute at 3 significant digits is a few hundred bytes; this is far above. */
export const MAX_HISTOGRAM_CHARS = 64 * 1024;
/** The uncompressed encoding: a 40-byte header and zig-zag counts; 3 digits over 2^42 µs fits well under this. */
const MAX_INFLATED_BYTES = 512 * 1024;
/** 3 digits is HDR's usual precision; more would make each decoded counts array 10× to 100× larger. */
export const MAX_SIGNIFICANT_DIGITS = 3;
/** 2^42 µs is about 50 days: no request lasts longer, and it bounds the counts array. */
export const MAX_TRACKABLE_US = 2 ** 42;

const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const V2_COOKIE_BASE = 0x1c849303;
const HEADER_BYTES = 40;

export class HistogramDecodeError extends Error {}

/** Decodes one telemetry histogram, refusing anything outside the bounds above. */
export function decodeHistogram(encoded: string): Histogram {
  if (encoded.length > MAX_HISTOGRAM_CHARS) throw new HistogramDecodeError(`longer than ${MAX_HISTOGRAM_CHARS} characters`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new HistogramDecodeError('not base64');
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 8 || (bytes.readInt32BE(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) throw new HistogramDecodeError('not a compressed HDR histogram (V2 cookie)');
  const compressedLength = bytes.readInt32BE(4);
  if (compressedLength <= 0 || compressedLength > bytes.length - 8) throw new HistogramDecodeError('compressed length out of range');
  let inflated: Buffer;
  try {
    inflated = inflateSync(bytes.subarray(8, 8 + compressedLength), { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    throw new HistogramDecodeError(`does not inflate within ${MAX_INFLATED_BYTES} bytes: ${(err as Error).message}`);
  }
  if (inflated.length < HEADER_BYTES || (inflated.readInt32BE(0) & ~0xf0) !== V2_COOKIE_BASE) throw new HistogramDecodeError('no HDR V2 header');
  const digits = inflated.readInt32BE(12);
  const lowest = inflated.readBigInt64BE(16);
  const highest = inflated.readBigInt64BE(24);
  if (digits < 1 || digits > MAX_SIGNIFICANT_DIGITS) throw new HistogramDecodeError(`significant digits ${digits} not in 1..${MAX_SIGNIFICANT_DIGITS}`);
  if (lowest < 1n || highest < 2n * lowest || highest > BigInt(MAX_TRACKABLE_US)) throw new HistogramDecodeError(`trackable range ${lowest}..${highest} not within 1..${MAX_TRACKABLE_US} µs`);
  let h: Histogram;
  try {
    h = hdr.decodeFromCompressedBase64(encoded, 32);
  } catch (err) {
    throw new HistogramDecodeError(`does not decode: ${(err as Error).message}`);
  }
  if (!Number.isSafeInteger(h.totalCount) || h.totalCount < 0) throw new HistogramDecodeError('total count out of range');
  return h;
}

/** An empty histogram to merge into: 64-bit counts (totals over days must not overflow), resizing to what is added. */
export function mergeTarget(digits = MAX_SIGNIFICANT_DIGITS): Histogram {
  const bounded = Math.min(MAX_SIGNIFICANT_DIGITS, Math.max(1, Math.round(digits))) as 1 | 2 | 3;
  return hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: bounded, autoResize: true });
}

/**
 * A merge of histograms at the precision of the first one added: the gateway records at 2
 * significant digits, and a finer target would report each value at the low end of its
 * 2-digit bucket instead of where the gateway's own histogram (and /metrics) puts it.
 */
export class MergedHistogram {
  private h: Histogram | null = null;

  add(other: Histogram): void {
    this.h ??= mergeTarget(other.numberOfSignificantValueDigits);
    this.h.add(other);
  }

  get totalCount(): number {
    return this.h?.totalCount ?? 0;
  }

  percentileMs(percentile: number): number {
    return this.h ? percentileMs(this.h, percentile) : 0;
  }

  encode(): string {
    return encodeHistogram(this.h ?? mergeTarget());
  }
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** The merge of already-encoded histograms, encoded again (each must pass decodeHistogram). */
export function mergeEncoded(encoded: readonly string[]): string {
  const merged = new MergedHistogram();
  for (const e of encoded) merged.add(decodeHistogram(e));
  return merged.encode();
}

/** A percentile in milliseconds (3 decimals); 0 for an empty histogram. */
export function percentileMs(h: Histogram, percentile: number): number {
  if (h.totalCount === 0) return 0;
  return Math.round(h.getValueAtPercentile(percentile)) / 1000;
}
