/**
 * A worker thread for test/unit/shared-counters.test.ts: wraps the shared counter buffer it is
 * given and runs phases of hits against it, in step with the other test workers.
 *
 * Each phase: wait for every worker (a barrier, so the hits really overlap), hit each of the
 * phase's keys `rounds` times in a per-round shuffled order, wait again, then (if asked) peek
 * every key of the phase. Replies with every value `hit` returned, in order, and the peeks.
 * The barrier uses Atomics.wait, which is fine here: this is a test thread, not a gateway worker.
 * Loaded outside a worker (`node --test dist/test/` also loads files under support/), it does
 * nothing.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';

export interface CounterPhase {
  keys: string[];
  rounds: number;
  windowEndSec: number;
  /** The clock SharedCounters sees during this phase (decides which windows have ended). */
  nowMs: number;
}

export interface CounterWorkerData {
  buffer: SharedArrayBuffer;
  /** One int32: arrivals at barriers so far, across all workers. */
  barrier: SharedArrayBuffer;
  parties: number;
  phases: CounterPhase[];
  peek: boolean;
  seed: number;
  /**
   * Simulated preemption: the probability that an Atomics.load or compareExchange on the counter
   * table first stalls this thread for up to 2 ms. With few cores, threads otherwise rarely stop
   * between two steps of one update, which is exactly where races hide.
   */
  chaos?: number;
  /** Hit keys in the same order on every thread (most collisions) instead of shuffled. */
  sameOrder?: boolean;
}

export interface CounterWorkerResult {
  /** Every value `hit` returned, in order. */
  hits: Uint32Array;
  /** Per phase, `peek(key, windowEndSec)` for each key after all workers finished the phase. */
  peeks: number[][];
}

if (!isMainThread && parentPort && workerData) run(workerData as CounterWorkerData, parentPort);

function run(data: CounterWorkerData, port: MessagePort): void {
  if (data.chaos) injectStalls(data.chaos);
  let now = 0;
  const counters = new SharedCounters(data.buffer, () => now);
  const gate = new Int32Array(data.barrier);
  let barriersPassed = 0;
  const barrier = (): void => {
    barriersPassed++;
    const target = data.parties * barriersPassed;
    if (Atomics.add(gate, 0, 1) + 1 >= target) {
      Atomics.notify(gate, 0);
      return;
    }
    for (let seen = Atomics.load(gate, 0); seen < target; seen = Atomics.load(gate, 0)) {
      Atomics.wait(gate, 0, seen, 10_000);
    }
  };
  let seed = data.seed | 1;
  const random = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };

  const total = data.phases.reduce((sum, p) => sum + p.keys.length * p.rounds, 0);
  const hits = new Uint32Array(total);
  const peeks: number[][] = [];
  let n = 0;
  for (const phase of data.phases) {
    const order = phase.keys.slice();
    now = phase.nowMs;
    barrier();
    for (let r = 0; r < phase.rounds; r++) {
      for (let i = data.sameOrder ? 0 : order.length - 1; i > 0; i--) {
        const j = random(i + 1);
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (const key of order) hits[n++] = counters.hit(key, phase.windowEndSec);
    }
    barrier();
    if (data.peek) peeks.push(phase.keys.map((key) => counters.peek(key, phase.windowEndSec)));
  }
  const result: CounterWorkerResult = { hits, peeks };
  port.postMessage(result, [hits.buffer]);
}

/** Wraps Atomics.load and compareExchange (this thread only) to stall now and then. */
function injectStalls(probability: number): void {
  const stall = new Int32Array(new SharedArrayBuffer(4));
  const atomics = Atomics as unknown as Record<'load' | 'compareExchange', (...args: unknown[]) => unknown>;
  for (const name of ['load', 'compareExchange'] as const) {
    const original = atomics[name];
    atomics[name] = (...args: unknown[]) => {
      if (args[0] instanceof BigUint64Array && Math.random() < probability) Atomics.wait(stall, 0, 0, Math.random() * 2);
      return original.apply(Atomics, args);
    };
  }
}
