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
import { packSparse, shapeOf, type SparseHistogram } from '../../shared/hdr-sparse.js';
import { HIGHEST_US, SIGNIFICANT_DIGITS } from './hdr.js';

/** The workers' histogram shape (lowest 1 µs). */
const SHAPE = shapeOf(SIGNIFICANT_DIGITS, 1);
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SHAPE.subBucketHalfCountMagnitude;
const SUB_BUCKET_HALF_COUNT = SHAPE.subBucketHalfCount;
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1;
/** HdrHistogram's leadingZeroCountBase for 32-bit values (the unit magnitude is 0: 1 µs). */
const LEADING_ZERO_COUNT_BASE = 32 - SUB_BUCKET_HALF_COUNT_MAGNITUDE - 1;
/** Values are whole microseconds up to one hour (toMicros clamps), which is below 2^32. */
const MAX_VALUE = HIGHEST_US;

const INITIAL_CAPACITY = 32;

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
    const keys = this.keys;
    const slots: number[] = [];
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== 0) slots.push(slot);
    slots.sort((a, b) => keys[a] - keys[b]);
    const pairs = slots.map((slot) => keys[slot] - 1);
    const counts = slots.map((slot) => this.counts[slot]);
    const out: SparseHistogram = { shape: SHAPE, highest: HIGHEST_US, indices: pairs, counts, totalCount: this.totalCount };
    // A second that hit many buckets (latencies spread over decades) grew the table; the next one
    // starts at the size this one needed at most, so memory follows the last second, not the worst.
    const fit = Math.max(INITIAL_CAPACITY, 2 ** Math.ceil(Math.log2(this.used * 2 + 1)));
    if (fit < keys.length) {
      this.keys = new Int32Array(fit);
      this.counts = new Float64Array(fit);
    } else {
      keys.fill(0);
      this.counts.fill(0);
    }
    this.used = 0;
    this.totalCount = 0;
    return out;
  }

  /** `take()` as the worker sends it to the primary: HdrHistogram's uncompressed V2 encoding (hdr.ts decodeDelta reads it). */
  encode(): Uint8Array {
    return packSparse(this.take());
  }

  /** Doubles the table and re-inserts; the value being recorded is recorded again by the caller. */
  private grow(): void {
    const oldKeys = this.keys;
    const oldCounts = this.counts;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.counts = new Float64Array(oldKeys.length * 2);
    const mask = this.keys.length - 1;
    this.used = 0;
    for (let s = 0; s < oldKeys.length; s++) {
      const key = oldKeys[s];
      if (key === 0 || oldCounts[s] === 0) continue;
      let slot = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
      while (this.keys[slot] !== 0) slot = (slot + 1) & mask;
      this.keys[slot] = key;
      this.counts[slot] = oldCounts[s];
      this.used++;
    }
  }
}
