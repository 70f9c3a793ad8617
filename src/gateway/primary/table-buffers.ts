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
 * a request starts (route match, first decode of an API or operation). Once every worker serves
 * generation G, nothing starts on G - 1 any more; to leave a margin, a buffer is reused only when
 * every worker serves a generation at least two newer than the one it held.
 */

/** Capacity is rounded up to a power of two (at least 64 KiB), so a table that grows a little fits the same buffer. */
const MIN_CAPACITY = 64 * 1024;

interface Held { buffer: SharedArrayBuffer; seq: number; generation: number | null }

export class TableBuffers {
  private readonly held: Held[] = [];
  private readonly free: SharedArrayBuffer[] = [];
  private seq = 0;
  allocated = 0;

  /** A buffer holding `bytes`: the smallest free one that fits, else a new one. */
  take(bytes: Uint8Array): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.byteLength >= bytes.byteLength && (best < 0 || b.byteLength < this.free[best].byteLength)) best = i;
    }
    const buffer = best >= 0 ? this.free.splice(best, 1)[0] : this.allocate(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    this.held.push({ buffer, seq: this.seq++, generation: null });
    return buffer;
  }

  /** `buffer` (from take) was published as `generation`. */
  bind(buffer: SharedArrayBuffer, generation: number): void {
    const entry = this.held.find((h) => h.buffer === buffer);
    if (entry) entry.generation = generation;
  }

  /**
   * Every worker now serves `generation`. Buffers taken before the one of `generation - 1` are
   * free again: those of older generations, and those of compiles that were never published.
   */
  servedEverywhere(generation: number): void {
    const previous = this.held.find((h) => h.generation === generation - 1);
    if (!previous) return;
    for (let i = this.held.length - 1; i >= 0; i--) {
      if (this.held[i].seq < previous.seq) this.free.push(this.held.splice(i, 1)[0].buffer);
    }
  }

  /** Buffers in use and free, for tests and metrics. */
  counts(): { held: number; free: number; allocated: number } {
    return { held: this.held.length, free: this.free.length, allocated: this.allocated };
  }

  private allocate(size: number): SharedArrayBuffer {
    let capacity = MIN_CAPACITY;
    while (capacity < size) capacity *= 2;
    this.allocated++;
    return new SharedArrayBuffer(capacity);
  }
}
