/**
 * HDR histograms as telemetry carries them (hdr-histogram-js compressed base64, microseconds):
 * a bounded decode, merging, and percentiles. Both the gateway's uploader (merging rows of the
 * same minute while the control plane is away) and the control plane (merging every upload into
 * its store, and every stored row into a query's answer) go through here, so percentiles are
 * always read from merged histograms, never averaged.
 *
 * The decode is bounded: a compressed histogram is small, but its deflate stream could inflate to
 * anything and its header names the range. Size, inflated size, precision and range are checked
 * before the counts are read (into sparse counts, hdr-sparse.ts: no full counts array is built).
 */
import { Buffer } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { encodeSparse, HEADER_BYTES, isCompressedCookie, isUncompressedCookie, readPayload, shapeOf, type HdrShape, type SparseHistogram } from './hdr-sparse.js';

export type { SparseHistogram } from './hdr-sparse.js';

/** A compressed histogram of a minute at 3 significant digits is a few hundred bytes; this is far above. */
export const MAX_HISTOGRAM_CHARS = 64 * 1024;
/** The uncompressed encoding: a 40-byte header and zig-zag counts; 3 digits over 2^42 µs fits well under this. */
const MAX_INFLATED_BYTES = 512 * 1024;
/** 3 digits is HDR's usual precision; more would make each decoded counts array 10× to 100× larger. */
export const MAX_SIGNIFICANT_DIGITS = 3;
/** 2^42 µs is about 50 days: no request lasts longer, and it bounds the counts array. */
export const MAX_TRACKABLE_US = 2 ** 42;

export class HistogramDecodeError extends Error {}

/** Decodes one telemetry histogram into sparse counts, refusing anything outside the bounds above. */
export function decodeHistogram(encoded: string): SparseHistogram {
  if (encoded.length > MAX_HISTOGRAM_CHARS) throw new HistogramDecodeError(`longer than ${MAX_HISTOGRAM_CHARS} characters`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) throw new HistogramDecodeError('not base64');
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 8 || !isCompressedCookie(bytes.readInt32BE(0))) throw new HistogramDecodeError('not a compressed HDR histogram (V2 cookie)');
  const compressedLength = bytes.readInt32BE(4);
  if (compressedLength <= 0 || compressedLength > bytes.length - 8) throw new HistogramDecodeError('compressed length out of range');
  let inflated: Buffer;
  try {
    inflated = inflateSync(bytes.subarray(8, 8 + compressedLength), { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    throw new HistogramDecodeError(`does not inflate within ${MAX_INFLATED_BYTES} bytes: ${(err as Error).message}`);
  }
  if (inflated.length < HEADER_BYTES || !isUncompressedCookie(inflated.readInt32BE(0))) throw new HistogramDecodeError('no HDR V2 header');
  const digits = inflated.readInt32BE(12);
  const lowest = inflated.readBigInt64BE(16);
  const highest = inflated.readBigInt64BE(24);
  if (digits < 1 || digits > MAX_SIGNIFICANT_DIGITS) throw new HistogramDecodeError(`significant digits ${digits} not in 1..${MAX_SIGNIFICANT_DIGITS}`);
  if (lowest < 1n || highest < 2n * lowest || highest > BigInt(MAX_TRACKABLE_US)) throw new HistogramDecodeError(`trackable range ${lowest}..${highest} not within 1..${MAX_TRACKABLE_US} µs`);
  try {
    return readPayload(inflated, shapeOf(digits, Number(lowest)), Number(highest));
  } catch (err) {
    throw new HistogramDecodeError(`does not decode: ${(err as Error).message}`);
  }
}

/**
 * A sum of histograms, in the bucket layout of the first one added (the gateway records at 2
 * significant digits; one of another layout is added value by value into this one's buckets).
 * Percentiles follow hdr-histogram-js exactly: the highest value equivalent to the bucket where
 * the cumulative count reaches the percentile's share of the total.
 */
export class MergedHistogram {
  private shape: HdrShape | null = null;
  private highest = 2;
  /** Counts by bucket index: a dense array (a few thousand buckets at 2 digits), grown on demand; far cheaper than a Map. */
  private counts = new Float64Array(0);
  private maxIndex = -1;
  totalCount = 0;

  add(h: SparseHistogram): void {
    const shape = (this.shape ??= h.shape);
    const same = shape.key === h.shape.key;
    for (let i = 0; i < h.indices.length; i++) {
      const index = same ? h.indices[i] : shape.indexOf(h.shape.valueFromIndex(h.indices[i]));
      if (index >= this.counts.length) this.grow(index);
      this.counts[index] += h.counts[i];
      if (index > this.maxIndex) this.maxIndex = index;
    }
    this.highest = Math.max(this.highest, h.highest);
    this.totalCount += h.totalCount;
  }

  /** A percentile in milliseconds (3 decimals); 0 when empty. */
  percentileMs(percentile: number): number {
    if (this.totalCount === 0 || this.shape === null) return 0;
    const fp = (Math.min(percentile, 100) / 100) * this.totalCount;
    const target = Math.max(Math.ceil(fp - (fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0)), 1);
    let cumulative = 0;
    for (let index = 0; index <= this.maxIndex; index++) {
      cumulative += this.counts[index];
      if (cumulative >= target) return Math.round(this.shape.highestEquivalentValue(index)) / 1000;
    }
    return 0;
  }

  /** The sum as sparse counts (what the control plane stores). */
  toSparse(): SparseHistogram {
    const indices: number[] = [];
    const counts: number[] = [];
    for (let index = 0; index <= this.maxIndex; index++) {
      if (this.counts[index] > 0) { indices.push(index); counts.push(this.counts[index]); }
    }
    return { shape: this.shape ?? shapeOf(2, 1), highest: this.highest, indices, counts, totalCount: this.totalCount };
  }

  /** The sum in the wire form (compressed base64, as hdr-histogram-js encodes). */
  encode(): string {
    return encodeSparse(this.toSparse());
  }

  private grow(index: number): void {
    const next = new Float64Array(Math.max(index + 1, this.counts.length * 2, 256));
    next.set(this.counts);
    this.counts = next;
  }
}

/** The merge of already-encoded histograms, encoded again (each must pass decodeHistogram). */
export function mergeEncoded(encoded: readonly string[]): string {
  const merged = new MergedHistogram();
  for (const e of encoded) merged.add(decodeHistogram(e));
  return merged.encode();
}

/** `a` plus `b` as sparse counts (in `a`'s bucket layout). */
export function addSparse(a: SparseHistogram, b: SparseHistogram): SparseHistogram {
  const merged = new MergedHistogram();
  merged.add(a);
  merged.add(b);
  return merged.toSparse();
}
