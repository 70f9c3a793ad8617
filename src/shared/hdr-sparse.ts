/**
 * HdrHistogram's V2 compressed encoding read into, and written from, sparse counts: only the
 * buckets that hold something (a minute's histogram has tens of them among thousands). The
 * control plane decodes every stored histogram a query covers; hdr-histogram-js builds a full
 * counts array for each (~300 µs apiece on this machine, and as much again to add one to another),
 * which made an hour of 50 operations on 2 nodes take 10 s. Summing sparse counts by bucket
 * index costs microseconds, and gives exactly the library's answers: same bucket layout, same
 * percentile rule (the highest value equivalent to the bucket reached). Tests check both against
 * hdr-histogram-js.
 *
 * Layout (HdrHistogram V2): compressed = cookie 0x1c84930x | deflated length | zlib deflate of
 * [cookie 0x1c84931x, payload length, normalizing offset (unused), significant digits, lowest
 * discernible value (int64), highest trackable (int64), conversion ratio (unused), then the
 * counts as ZigZag LEB128 (9-byte variant), a negative value being a run of empty buckets].
 */
import { Buffer } from 'node:buffer';
import { deflateSync } from 'node:zlib';

const COMPRESSED_COOKIE = 0x1c849314;
const UNCOMPRESSED_COOKIE = 0x1c849313;
const COOKIE_MASK = ~0xf0;
export const HEADER_BYTES = 40;

/** The bucket layout a histogram's precision and lowest value define (HdrHistogram's arithmetic). */
export class HdrShape {
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketHalfCount: number;
  readonly unitMagnitude: number;

  constructor(readonly digits: number, readonly lowest: number) {
    const largestSingleUnit = 2 * 10 ** digits;
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestSingleUnit));
    this.subBucketHalfCountMagnitude = Math.max(subBucketCountMagnitude, 1) - 1;
    this.subBucketHalfCount = 2 ** this.subBucketHalfCountMagnitude;
    this.unitMagnitude = Math.floor(Math.log2(lowest));
  }

  get key(): string {
    return `${this.digits}/${this.unitMagnitude}`;
  }

  /*
   * The lowest value a counts index stands for, and the size of its range, as two numbers rather
   * than an object: the primary maps every bucket of every worker's second through these (once per
   * bucket per series per second), and in its profile the object per call cost as much as the
   * Prometheus add that asked for it.
   */
  private bucketScale(index: number): number {
    const bucketIndex = Math.floor(index / this.subBucketHalfCount) - 1;
    return 2 ** ((bucketIndex < 0 ? 0 : bucketIndex) + this.unitMagnitude);
  }

  private bucketValue(index: number, scale: number): number {
    const subBucketIndex = (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    return (index < this.subBucketHalfCount ? subBucketIndex - this.subBucketHalfCount : subBucketIndex) * scale;
  }

  valueFromIndex(index: number): number {
    return this.bucketValue(index, this.bucketScale(index));
  }

  /** The middle of the bucket's range, as hdr-histogram-js's medianEquivalentValue gives it. */
  medianEquivalentValue(index: number): number {
    const scale = this.bucketScale(index);
    return this.bucketValue(index, scale) + Math.floor(scale / 2);
  }

  /** What hdr-histogram-js reports for a percentile that lands in this bucket. */
  highestEquivalentValue(index: number): number {
    const scale = this.bucketScale(index);
    return this.bucketValue(index, scale) + scale - 1;
  }

  /** The counts index a value falls in (values up to 2^42, where log2 stays exact enough). */
  indexOf(value: number): number {
    const mask = (2 * this.subBucketHalfCount - 1) * 2 ** this.unitMagnitude;
    const bucketIndex = Math.max(0, Math.floor(Math.log2(Math.max(value, mask))) - this.unitMagnitude - this.subBucketHalfCountMagnitude);
    const subBucketIndex = Math.floor(value / 2 ** (bucketIndex + this.unitMagnitude));
    return (bucketIndex + 1) * this.subBucketHalfCount + (subBucketIndex - this.subBucketHalfCount);
  }
}

export interface SparseHistogram {
  shape: HdrShape;
  highest: number;
  /** Counts by index, ascending indices only. */
  indices: number[];
  counts: number[];
  totalCount: number;
}

/** Reads the uncompressed V2 form (header already checked by the caller). Throws on a malformed payload. */
export function readPayload(bytes: Buffer, shape: HdrShape, highest: number): SparseHistogram {
  const payloadLength = bytes.readInt32BE(4);
  // Offset 8 (normalizing index offset) is written as 1 and ignored by hdr-histogram-js: likewise here.
  if (payloadLength < 0 || HEADER_BYTES + payloadLength > bytes.length) throw new Error('payload length out of range');
  const maxIndex = shape.indexOf(highest);
  const indices: number[] = [];
  const counts: number[] = [];
  let totalCount = 0;
  let index = 0;
  let at = HEADER_BYTES;
  const end = HEADER_BYTES + payloadLength;
  while (at < end) {
    let raw = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (at >= end) throw new Error('truncated count');
      const byte = bytes[at++];
      if (i === 8) { raw += byte * scale; break; }
      raw += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) break;
    }
    const count = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    if (count < 0) { index -= count; continue; }
    if (count > 0) {
      if (index > maxIndex) throw new Error('a count beyond the highest trackable value');
      indices.push(index);
      counts.push(count);
      totalCount += count;
      if (!Number.isSafeInteger(totalCount)) throw new Error('total count out of range');
    }
    index++;
  }
  return { shape, highest, indices, counts, totalCount };
}

/** The compressed base64 form hdr-histogram-js decodes (with `decodeFromCompressedBase64`). */
export function encodeSparse(h: SparseHistogram): string {
  const deflated = deflateSync(encodeUncompressed(h));
  const out = Buffer.alloc(8 + deflated.length);
  out.writeInt32BE(COMPRESSED_COOKIE, 0);
  out.writeInt32BE(deflated.length, 4);
  deflated.copy(out, 8);
  return out.toString('base64');
}

/** Bytes one ZigZag LEB128 value takes at most (HdrHistogram's 9-byte variant). */
export const MAX_ZIGZAG_BYTES = 9;

/** The uncompressed V2 header of a payload of `payloadLength` bytes. */
export function writeHeader(out: Uint8Array, shape: HdrShape, highest: number, payloadLength: number): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  view.setInt32(0, UNCOMPRESSED_COOKIE);
  setPayloadLength(out, payloadLength);
  view.setInt32(8, 1); // as hdr-histogram-js writes it
  view.setInt32(12, shape.digits);
  view.setBigInt64(16, BigInt(shape.lowest));
  view.setBigInt64(24, BigInt(highest));
  view.setBigInt64(32, 1n); // conversion ratio: hdr-histogram-js writes an int64 1
}

/** The header's payload length (a big-endian int32 at offset 4), alone: a header written once can be reused for payloads of any length. */
export function setPayloadLength(out: Uint8Array, payloadLength: number): void {
  out[4] = payloadLength >>> 24;
  out[5] = (payloadLength >>> 16) & 0xff;
  out[6] = (payloadLength >>> 8) & 0xff;
  out[7] = payloadLength & 0xff;
}

/** The uncompressed V2 form: header and ZigZag counts (MAX_ZIGZAG_BYTES at most per count and per gap before it). */
function encodeUncompressed(h: SparseHistogram): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + 2 * MAX_ZIGZAG_BYTES * h.indices.length);
  let at = HEADER_BYTES;
  let next = 0;
  for (let i = 0; i < h.indices.length; i++) {
    const index = h.indices[i];
    if (index > next) at = writeZigZag(out, at, -(index - next));
    at = writeZigZag(out, at, h.counts[i]);
    next = index + 1;
  }
  writeHeader(out, h.shape, h.highest, at - HEADER_BYTES);
  return out.subarray(0, at);
}

export function isCompressedCookie(cookie: number): boolean {
  return (cookie & COOKIE_MASK) === (COMPRESSED_COOKIE & COOKIE_MASK);
}

export function isUncompressedCookie(cookie: number): boolean {
  return (cookie & COOKIE_MASK) === (UNCOMPRESSED_COOKIE & COOKIE_MASK);
}

/**
 * `value` as ZigZag LEB128, HdrHistogram's 9-byte variant (the 9th byte carries 8 bits), into
 * `out` at `at`: the position after it. Integers up to 2^53 (counts; a negative one is a run of
 * empty buckets).
 */
export function writeZigZag(out: Uint8Array, at: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  for (let i = 0; i < 8; i++) {
    if (v < 128) { out[at] = v; return at + 1; }
    out[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at] = v;
  return at + 1;
}

/**
 * The control plane's stored form: the uncompressed V2 encoding (header and ZigZag counts, a few
 * hundred bytes), read with no inflate: zlib's per-call set-up cost more than all the rest of a
 * query, and a plain (index, count) array would be ten times larger to read back.
 */
export function packSparse(h: SparseHistogram): Buffer {
  return encodeUncompressed(h);
}

export function unpackSparse(buf: Buffer): SparseHistogram {
  if (buf.length < HEADER_BYTES || !isUncompressedCookie(buf.readInt32BE(0))) throw new Error('not a stored histogram (HDR V2)');
  return readPayload(buf, shapeOf(buf.readInt32BE(12), Number(buf.readBigInt64BE(16))), Number(buf.readBigInt64BE(24)));
}

/** Shapes are few (one per precision and lowest value): made once each. */
const shapes = new Map<string, HdrShape>();
export function shapeOf(digits: number, lowest: number): HdrShape {
  const key = `${digits}/${lowest}`;
  let shape = shapes.get(key);
  if (!shape) {
    shape = new HdrShape(digits, lowest);
    if (shapes.size < 64) shapes.set(key, shape);
  }
  return shape;
}
