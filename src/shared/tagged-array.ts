/**
 * An empty array already of V8's elements kind for objects and strings (PACKED_ELEMENTS).
 *
 * A new `[]` starts as small integers (PACKED_SMI_ELEMENTS), so the first string or object stored
 * into it changes its map. Optimized code that had only met another instance's arrays (the
 * warm-up's, already changed) deoptimized on it ("wrong map", "not a Smi") at the first real
 * request of a worker: a path parser's segment arrays, a backend pool's idle list.
 */
export function taggedArray<T>(): T[] {
  const a: unknown[] = [''];
  a.length = 0;
  return a as T[];
}
