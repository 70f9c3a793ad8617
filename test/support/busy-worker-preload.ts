/**
 * Test-only worker preload (OUTPOST_TEST_WORKER_PRELOAD): worker 1 spins in a busy loop for
 * OUTPOST_TEST_BUSY_MS once the file OUTPOST_TEST_BUSY_TRIGGER appears (checked every 20 ms), as
 * a worker stuck in a hot loop would. It logs the loop's start and end on CLOCK_MONOTONIC (µs).
 */
import { existsSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const trigger = process.env.OUTPOST_TEST_BUSY_TRIGGER;
const busyMs = Number(process.env.OUTPOST_TEST_BUSY_MS ?? 0);
const nowUsec = () => Number(process.hrtime.bigint() / 1_000n);

if (trigger && busyMs > 0 && (workerData as { index?: number } | null)?.index === 1) {
  const poll = setInterval(() => {
    if (!existsSync(trigger)) return;
    clearInterval(poll);
    const from = nowUsec();
    const until = Date.now() + busyMs;
    while (Date.now() < until) { /* spin: the event loop does not run */ }
    process.stdout.write(JSON.stringify({ level: 'info', msg: 'test: worker was busy', worker: 1, from, to: nowUsec() }) + '\n');
  }, 20);
  poll.unref();
}

export const BUSY_WORKER_PRELOAD = import.meta.filename;
