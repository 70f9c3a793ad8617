/**
 * One reporting interval of an HDR histogram, kept sparse: the counts of the buckets that were hit
 * (an open-addressing table of bucket index → count), in exactly the bucket layout of
 * hdr-histogram-js at the workers' precision (hdr.ts: 2 significant digits, 1 µs to 1 h). A
 * worker's series records a request's three latencies here and, once a second, hands the
 * buckets over as sparse counts (`take`) and starts empty.
 *
 * Why not the library's histograms: each holds its whole counts array (13 KB at this precision,
 * three per series: 39 KB, up to 2,000 series per worker, in WebAssembly memory that never shrinks),
 * and every second each busy one had to be encoded (a walk of its array, ~6 µs) and reset (a clear
 * of its array, ~3 µs). An interval touches a few dozen buckets, so this table stays at a few
 * hundred bytes, recording costs about what the WebAssembly histogram's did, and the hand-over
 * and reset cost what was recorded.
 */
import { HEADER_BYTES, MAX_ZIGZAG_BYTES, setPayloadLength, writeZigZag, type SparseHistogram } from '../../shared/hdr-sparse.js';
import { HIGHEST_US, WORKER_HEADER, WORKER_SHAPE } from './hdr.js';

const SHAPE = WORKER_SHAPE;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SHAPE.subBucketHalfCountMagnitude;
const SUB_BUCKET_HALF_COUNT = SHAPE.subBucketHalfCount;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
/** HdrHistogram's leadingZeroCountBase for 32-bit values (the unit magnitude is 0: 1 µs). */
const LEADING_ZERO_COUNT_BASE = 32 - SUB_BUCKET_HALF_COUNT_MAGNITUDE - 1;
/** Values are whole microseconds up to one hour (toMicros clamps), which is below 2^32. */
const MAX_VALUE = HIGHEST_US;

const INITIAL_CAPACITY = 32;

/*
 * encode() sorts a second's buckets as one number each, bucket key above the table slot that
 * holds its count, in an Int32Array (a typed array's own numeric sort: no comparator called per
 * pair). Keys are at most bucketOf(MAX_VALUE) + 1 (3,287 here); a table holds at most twice the
 * keys there are, rounded up to a power of two (8,192 slots), so SLOT_BITS of 14 leaves room and
 * the largest packed entry stays a positive int32.
 */
const SLOT_BITS = 14;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
/** The largest key the table can hold, and so the largest packed entry (checked: tests). */
export const MAX_KEY = bucketOf(MAX_VALUE) + 1;
if (MAX_KEY * 2 > 1 << SLOT_BITS || MAX_KEY >= 1 << (31 - SLOT_BITS)) throw new Error('interval-histogram: SLOT_BITS does not fit the workers\' histogram shape');

/** Scratch of encode() and take(), shared by the thread's histograms (one is taken at a time; no call inside yields). */
let sortScratch = new Int32Array(INITIAL_CAPACITY);
let byteScratch = encodeScratch(HEADER_BYTES + 64 * MAX_ZIGZAG_BYTES);

/** A buffer for encode() with the workers' header in place: only its payload length changes per histogram. */
function encodeScratch(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(WORKER_HEADER);
  return bytes;
}

/** HdrHistogram's counts index of `value` in the workers' shape (the library's countsArrayIndex). */
export function bucketOf(value: number): number {
  const bucket = LEADING_ZERO_COUNT_BASE - Math.clz32(value | SUB_BUCKET_MASK);
  const subBucket = value >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + subBucket - SUB_BUCKET_HALF_COUNT;
}

export class IntervalHistogram {
  /** Slots in the table (tests: memory follows what the last interval needed). */
  get capacity(): number {
    return this.keys.length;
  }

  /** Bucket index + 1 per slot; 0 is an empty slot. */
  private keys = new Int32Array(INITIAL_CAPACITY);
  private counts = new Float64Array(INITIAL_CAPACITY);
  /**
   * The slots in use, in the order their keys came: encode() visits these, not the whole table (a
   * table is at least twice the buckets it holds, and encode runs too rarely to be optimized: every
   * slot visited costs interpreted bytecodes). A table of L slots holds at most L/2 + 1 keys.
   */
  private occupied = new Int32Array(INITIAL_CAPACITY / 2 + 1);
  private used = 0;
  totalCount = 0;

  /** `value`: whole microseconds, 0 to HIGHEST_US (toMicros gives that). */
  record(value: number): void {
    const key = bucketOf(value > MAX_VALUE ? MAX_VALUE : value) + 1;
    const keys = this.keys;
    const mask = keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      const k = keys[slot];
      if (k === key) break;
      if (k === 0) {
        keys[slot] = key;
        this.occupied[this.used] = slot;
        if (++this.used * 2 > keys.length) { this.grow(); this.record(value); return; }
        break;
      }
      slot = (slot + 1) & mask;
    }
    this.counts[slot]++;
    this.totalCount++;
  }

  /** The interval's counts, ascending by bucket; the histogram is empty afterwards. */
  take(): SparseHistogram {
    const n = this.sortEntries();
    const indices: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const entry = sortScratch[i];
      indices.push((entry >>> SLOT_BITS) - 1);
      counts.push(this.counts[entry & SLOT_MASK]);
    }
    const out: SparseHistogram = { shape: SHAPE, highest: HIGHEST_US, indices, counts, totalCount: this.totalCount };
    this.reset();
    return out;
  }

  /**
   * `take()` as the worker sends it to the primary: HdrHistogram's uncompressed V2 encoding (hdr.ts
   * decodeDelta reads it), written straight from the table. It runs once a second for each busy
   * series, on the worker's event loop: through take() and arrays of numbers it was ~0.15 ms for a
   * histogram of a few hundred buckets, the worker's requests waiting meanwhile.
   */
  encode(): Uint8Array {
    const n = this.sortEntries();
    const need = HEADER_BYTES + 2 * MAX_ZIGZAG_BYTES * n;
    if (byteScratch.length < need) byteScratch = encodeScratch(need * 2);
    const out = byteScratch;
    const counts = this.counts;
    let at = HEADER_BYTES;
    let next = 0;
    for (let i = 0; i < n; i++) {
      const entry = sortScratch[i];
      const index = (entry >>> SLOT_BITS) - 1;
      if (index > next) at = writeZigZag(out, at, next - index);
      at = writeZigZag(out, at, counts[entry & SLOT_MASK]);
      next = index + 1;
    }
    setPayloadLength(out, at - HEADER_BYTES);
    this.reset();
    return out.slice(0, at);
  }

  /** The occupied slots into sortScratch[0, n) as (key << SLOT_BITS | slot), ascending by key: n. */
  private sortEntries(): number {
    const keys = this.keys;
    const occupied = this.occupied;
    const n = this.used;
    if (sortScratch.length < n) sortScratch = new Int32Array(keys.length);
    for (let i = 0; i < n; i++) {
      const slot = occupied[i];
      sortScratch[i] = (keys[slot] << SLOT_BITS) | slot;
    }
    sortScratch.subarray(0, n).sort();
    return n;
  }

  /** Empty again. A second that hit many buckets grew the table; the next one starts at the size this one needed at most, so memory follows the last second, not the worst. */
  private reset(): void {
    const fit = Math.max(INITIAL_CAPACITY, 2 ** Math.ceil(Math.log2(this.used * 2 + 1)));
    if (fit < this.keys.length) {
      this.keys = new Int32Array(fit);
      this.counts = new Float64Array(fit);
      this.occupied = new Int32Array(fit / 2 + 1);
    } else {
      this.keys.fill(0);
      this.counts.fill(0);
    }
    this.used = 0;
    this.totalCount = 0;
  }

  /** Doubles the table and re-inserts; the value being recorded is recorded again by the caller. */
  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.counts = new Float64Array(oldKeys.length * 2);
    this.occupied = new Int32Array(oldKeys.length + 1);
    const mask = this.keys.length - 1;
    this.used = 0;
    for (let s = 0; s < oldKeys.length; s++) {
      const key = oldKeys[s];
      if (key === 0 || oldCounts[s] === 0) continue;
      let slot = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = key;
      this.counts[slot] = oldCounts[s];
      this.occupied[this.used++] = slot;
    }
  }
}
