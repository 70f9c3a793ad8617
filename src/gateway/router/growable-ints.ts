/**
 * An append-only typed array that doubles its capacity as it grows. The table writer appends tens
 * of millions of values for a 50,000-API config: with plain arrays, every multi-value `push` went
 * through V8's generic builtin and every growth copied an array of boxed-or-small integers in the
 * large-object space; here a record is reserved once and written in place.
 */
export class GrowableInts<T extends Int32Array | Uint16Array> {
  data: T;
  length = 0;

  constructor(private readonly make: (capacity: number) => T, capacity = 1024) {
    this.data = make(Math.max(capacity, 16));
  }

  /** Room for `count` more values; returns where they start. Read `data` after this call: it may be a new array. */
  reserve(count: number): number {
    const at = this.length;
    const need = at + count;
    if (need > this.data.length) {
      let capacity = this.data.length * 2;
      while (capacity < need) capacity *= 2;
      const grown = this.make(capacity);
      grown.set(this.data.subarray(0, at));
      this.data = grown;
    }
    this.length = need;
    return at;
  }

  push(value: number): void {
    const at = this.reserve(1);
    this.data[at] = value;
  }

  push2(a: number, b: number): void {
    const at = this.reserve(2);
    this.data[at] = a;
    this.data[at + 1] = b;
  }

  /** The values written so far (a view, not a copy). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export const int32s = (capacity?: number): GrowableInts<Int32Array> => new GrowableInts((n) => new Int32Array(n), capacity);
export const uint16s = (capacity?: number): GrowableInts<Uint16Array> => new GrowableInts((n) => new Uint16Array(n), capacity);
