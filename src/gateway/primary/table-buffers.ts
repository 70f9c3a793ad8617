/**
 * The SharedArrayBuffers that published routing tables live in, reused across reloads instead of
 * allocated per generation.
 *
 * Why: once a SharedArrayBuffer has been posted to worker threads, Node never gives its memory
 * back, whatever the threads drop and however often they collect (measured here on Node 20:
 * 1,500 posts of a 200 KB buffer to two workers grow RSS by 330 MB with forced GCs; the same
 * bytes reused stay flat). A buffer per generation therefore leaked one table per reload. Reusing
 * a few buffers bounds the memory by the largest tables seen, not by the number of reloads.
 *
 * When a buffer may be overwritten: workers read a generation's table only synchronously, while
 * a request starts (route match, decoding the API and operation it reached; a request in flight
 * holds decoded objects, never the table). Once every worker serves generation G, nothing starts
 * on an older generation any more, so the buffers of older generations are free: the live table,
 * and one being compiled into a freed buffer, are all a reload needs (two buffers, 57 MB each at
 * 50,000 APIs; a margin of one more generation kept a third).
 */

/** Capacity is rounded up to a power of two (at least 64 KiB), so a table that grows a little fits the same buffer. */
const MIN_CAPACITY = 64 * 1024;

export function tableCapacity(size: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < size) capacity *= 2;
  return capacity;
}

/**
 * The compiler thread's side: room for a table of `size` bytes, zeroed, at the start of `spare`
 * (a free buffer the primary lent) when it fits, else of a new buffer. The table writer lays the
 * table out straight into it (compileTable's `space`): a 57 MB table used to be laid out in a
 * buffer of its own and then copied, and both were alive at the compile's end. The writing happens
 * there, not in the primary: for a 57 MB table a copy took 160 ms of the primary's event loop
 * (fresh pages faulted in, then written), and the ops port waited that long.
 */
export function tableSpace(size: number, spare: SharedArrayBuffer | null): Uint8Array {
  if (spare === null || spare.byteLength < size) return new Uint8Array(new SharedArrayBuffer(tableCapacity(size)), 0, size);
  // A lent buffer holds an older table: nothing of it may show through the new one's gaps (a new
  // buffer is zeroed already).
  return new Uint8Array(spare, 0, size).fill(0);
}

interface Held { buffer: SharedArrayBuffer; seq: number; generation: number | null }

export class TableBuffers {
  private readonly held: Held[] = [];
  private readonly free: SharedArrayBuffer[] = [];
  private seq = 0;
  allocated = 0;

  /** The largest free buffer, taken off the free list for a compile (give it back or adopt it); null when none is free. */
  lend(): SharedArrayBuffer | null {
    if (this.free.length === 0) return null;
    let largest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i].byteLength > this.free[largest].byteLength) largest = i;
    return this.free.splice(largest, 1)[0];
  }

  /** A compile that gave no table (problems, unchanged, failure): the lent buffer is free again. */
  giveBack(lent: SharedArrayBuffer | null): void {
    if (lent !== null) this.free.push(lent);
  }

  /** `buffer` now holds a compiled table: the lent one, or a new one (then the lent one is free again). */
  adopt(buffer: SharedArrayBuffer, lent: SharedArrayBuffer | null): void {
    if (buffer !== lent) {
      this.allocated++;
      this.giveBack(lent);
    }
    this.held.push({ buffer, seq: this.seq++, generation: null });
  }

  /** `buffer` (adopted) was published as `generation`. */
  bind(buffer: SharedArrayBuffer, generation: number): void {
    const entry = this.held.find((h) => h.buffer === buffer);
    if (entry) entry.generation = generation;
  }

  /**
   * Every worker now serves `generation`. Buffers taken before its own are free again: those of
   * older generations, and those of compiles that were never published.
   */
  servedEverywhere(generation: number): void {
    const live = this.held.find((h) => h.generation === generation);
    if (!live) return;
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i].seq < live.seq) this.free.push(this.held.splice(i, 1)[0].buffer);
    }
  }

  /** Buffers in use and free, for tests and metrics. */
  counts(): { held: number; free: number; allocated: number } {
    return { held: this.held.length, free: this.free.length, allocated: this.allocated };
  }
}
