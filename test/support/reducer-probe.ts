/**
 * Run by test/integration/memory-reducer.test.ts as `node [--no-memory-reducer] --trace-gc
 * --trace-gc-verbose reducer-probe.js` (--trace-memory-reducer on V8 12+): the primary's start-up step (reducerOffForPrimaryOnly),
 * then a heap that grows and goes quiet in the main thread, and then in a worker thread created
 * after it. V8's memory reducer, where an isolate has one, looks at the heap ~8 s after its first
 * full GC and logs "Memory reducer: ..." (it shrinks the heap or waits, by V8's estimate of the
 * allocation rate); the process exits at EXIT_AFTER_MS, after those. Prints `PROBE main-gc-done`
 * once the main thread's full GC happened.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { Worker, isMainThread } from 'node:worker_threads';
import { reducerOffForPrimaryOnly } from '../../src/gateway/primary/memory-reducer.js';

const EXIT_AFTER_MS = 10_500;

/**
 * Objects that live long enough to be promoted, then are dropped: the old generation grows past
 * 10 MB committed (the reducer ignores a full GC of a smaller heap) and V8 collects it in full.
 */
function growAndDrop(): void {
  let keep: Array<{ n: number; s: string }> | null = [];
  for (let i = 0; i < 300_000; i++) keep.push({ n: i, s: `item-${i}` });
  keep = null;
  for (let i = 0; i < 1_000_000; i++) keep = [{ n: i, s: '' }];
}

function afterFullGc(then: () => void): void {
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      observer.disconnect();
      then();
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

if (isMainThread) {
  const off = reducerOffForPrimaryOnly();
  afterFullGc(() => {
    process.stdout.write(`PROBE main-gc-done primaryReducerOff=${off}\n`);
    const worker = new Worker(new URL(import.meta.url));
    worker.unref();
  });
  growAndDrop();
  setTimeout(() => process.exit(0), EXIT_AFTER_MS);
} else {
  growAndDrop();
  // Quiet from here: an isolate with a reducer looks at its heap ~8 s after that full GC.
  setTimeout(() => {}, EXIT_AFTER_MS);
}
