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

  /** The lowest value a counts index stands for, and the size of its range. */
  private bucket(index: number): { value: number; size: number } {
    let bucketIndex = Math.floor(index / this.subBucketHalfCount) - 1;
    let subBucketIndex = (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    if (bucketIndex < 0) { subBucketIndex -= this.subBucketHalfCount; bucketIndex = 0; }
    const scale = 2 ** (bucketIndex + this.unitMagnitude);
    return { value: subBucketIndex * scale, size: scale };
  }

  valueFromIndex(index: number): number {
    return this.bucket(index).value;
  }

  /** The middle of the bucket's range, as hdr-histogram-js's medianEquivalentValue gives it. */
  medianEquivalentValue(index: number): number {
    const { value, size } = this.bucket(index);
    return value + Math.floor(size / 2);
  }

  /** What hdr-histogram-js reports for a percentile that lands in this bucket. */
  highestEquivalentValue(index: number): number {
    const { value, size } = this.bucket(index);
    return value + size - 1;
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

/** The uncompressed V2 form: header and ZigZag counts. */
function encodeUncompressed(h: SparseHistogram): Buffer {
  const body: number[] = [];
  let next = 0;
  h.indices.forEach((index, i) => {
    if (index > next) writeZigZag(body, -(index - next));
    writeZigZag(body, h.counts[i]);
    next = index + 1;
  });
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeInt32BE(UNCOMPRESSED_COOKIE, 0);
  header.writeInt32BE(body.length, 4);
  header.writeInt32BE(1, 8); // as hdr-histogram-js writes it
  header.writeInt32BE(h.shape.digits, 12);
  header.writeBigInt64BE(BigInt(h.shape.lowest), 16);
  header.writeBigInt64BE(BigInt(h.highest), 24);
  header.writeBigInt64BE(1n, 32); // conversion ratio: hdr-histogram-js writes an int64 1
  return Buffer.concat([header, Buffer.from(body)]);
}

export function isCompressedCookie(cookie: number): boolean {
  return (cookie & COOKIE_MASK) === (COMPRESSED_COOKIE & COOKIE_MASK);
}

export function isUncompressedCookie(cookie: number): boolean {
  return (cookie & COOKIE_MASK) === (UNCOMPRESSED_COOKIE & COOKIE_MASK);
}

/** ZigZag LEB128, HdrHistogram's 9-byte variant (the 9th byte carries 8 bits). */
function writeZigZag(out: number[], value: number): void {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  for (let i = 0; i < 8; i++) {
    if (v < 128) { out.push(v); return; }
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
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
