/**
 * Node-wide gauges (limit-concurrency: requests in flight per key) in one SharedArrayBuffer the
 * primary allocates once per process and every worker wraps. Unlike the windowed counters these
 * go up and down: `acquire` adds one if the gauge is below a maximum (one compareExchange loop,
 * exact across workers), `release` takes it back when the request ends.
 *
 * Layout (Int32Array; every slot a named constant below):
 *   [header: HEADER_INTS][row 0: node totals, SLOTS][row 1..W: worker w-1's own share, SLOTS]
 * A key's gauge is the slot its hash picks (counterKeyHash & (SLOTS - 1)); there are no key
 * words, so memory is fixed (DESIGN rule 5) and nothing is ever claimed or handed over. Two keys
 * in flight at once whose hashes pick the same slot share one gauge: stricter, never looser
 * (with 16,384 slots, 100 keys in flight at once share a slot with probability about 26%; 10
 * with about 0.3%).
 *
 * Worker crashes: each worker also counts its own share in its row. A worker that starts (the
 * first time, or as the supervisor's replacement for a crashed one, under the same index)
 * subtracts whatever its row still holds from the totals, so a crash does not leave its
 * in-flight requests counted forever. Acquire adds to the total first and to the row second;
 * release subtracts from the row first: a worker killed between the two steps leaves at most
 * one extra count (stricter), never one too few.
 */
import { counterKeyHash } from '../../shared/counter-layout.js';
import type { GaugeStore } from './worker-services.js';

export const GAUGE_MAGIC = 0x4f504741; // "OPGA"
export const G_MAGIC = 0;
export const G_SLOTS = 1;
export const G_WORKERS = 2;
export const HEADER_INTS = 4;
/** Gauges per row (a power of two): 64 KiB per row. */
export const GAUGE_SLOTS = 16_384;

const keyParts = new Uint32Array(2);

export class SharedGauges implements GaugeStore {
  static allocate(workers: number, slots: number = GAUGE_SLOTS): SharedArrayBuffer {
    if ((slots & (slots - 1)) !== 0 || slots < 1) throw new Error(`gauge slots must be a power of two, got ${slots}`);
    const buffer = new SharedArrayBuffer((HEADER_INTS + slots * (workers + 1)) * 4);
    const ints = new Int32Array(buffer);
    ints[G_MAGIC] = GAUGE_MAGIC;
    ints[G_SLOTS] = slots;
    ints[G_WORKERS] = workers;
    return buffer;
  }

  private readonly ints: Int32Array;
  private readonly mask: number;
  /** Start of this worker's own row. */
  private readonly own: number;

  /** Wraps the buffer for worker `index`, first taking back what a crashed predecessor left. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    const ints = new Int32Array(buffer);
    const slots = ints[G_SLOTS];
    if (ints[G_MAGIC] !== GAUGE_MAGIC || index < 0 || index >= ints[G_WORKERS] || ints.length !== HEADER_INTS + slots * (ints[G_WORKERS] + 1)) {
      throw new Error('not a gauge table of this layout, or no row for this worker');
    }
    this.ints = ints;
    this.mask = slots - 1;
    this.own = HEADER_INTS + slots * (index + 1);
    for (let s = 0; s < slots; s++) {
      const left = Atomics.exchange(ints, this.own + s, 0);
      if (left !== 0) Atomics.sub(ints, HEADER_INTS + s, left);
    }
  }

  acquire(key: string, max: number): number {
    counterKeyHash(key, keyParts);
    const slot = keyParts[0] & this.mask;
    const at = HEADER_INTS + slot;
    const ints = this.ints;
    for (;;) {
      const v = Atomics.load(ints, at);
      if (v >= max) return -1;
      if (Atomics.compareExchange(ints, at, v, v + 1) === v) break;
    }
    Atomics.add(ints, this.own + slot, 1);
    return slot;
  }

  release(slot: number): void {
    Atomics.sub(this.ints, this.own + slot, 1);
    Atomics.sub(this.ints, HEADER_INTS + slot, 1);
  }

  /** The node-wide gauge `key` maps to (tests, metrics). */
  current(key: string): number {
    counterKeyHash(key, keyParts);
    return Atomics.load(this.ints, HEADER_INTS + (keyParts[0] & this.mask));
  }
}
