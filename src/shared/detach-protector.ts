/**
 * V8 optimizes typed-array code without detach checks for as long as no ArrayBuffer in the
 * isolate has ever been detached (its ArrayBufferDetaching protector). Outpost's threads detach
 * buffers in normal work: a worker transfers request-log batches and telemetry reports to the
 * primary, the primary transfers log buffers back. The first such transfer invalidates the
 * protector and V8 throws away, at once, every optimized function that relied on it: in a worker
 * that is most of the request path (parser, router, response writer: ~75 functions in one trace),
 * recompiled under load on the worker's own core. Seen in the bench's layout (a fresh gateway,
 * 37,851 requests/s open-loop): the first report, a second into the load, stalled requests for
 * 200-260 ms, however long the warm-up had run, since the warm-up's telemetry transfers nothing.
 *
 * Detaching one scratch buffer when a thread starts, before any of its code is optimized, leaves
 * nothing to throw away later: what the warm-up optimizes is what runs. The steady state is
 * unchanged (after the first report every thread runs with detach checks anyway).
 */
export function invalidateDetachProtector(): void {
  const scratch = new ArrayBuffer(1);
  structuredClone(scratch, { transfer: [scratch] });
}
