/**
 * What a worker offers policy instances: the node-wide counters in shared memory, and a clock
 * (injectable so limits can be tested without waiting).
 */
export interface CounterStore {
  /**
   * Counts one hit for `key` in the fixed window ending at `windowEndSec` (unix seconds) and
   * returns the count including this hit. Exact across every worker of the node.
   */
  hit(key: string, windowEndSec: number): number;
}

export interface WorkerServices {
  counters: CounterStore;
  /** Milliseconds since the epoch. */
  now(): number;
}
