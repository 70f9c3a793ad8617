/**
 * Test-only worker preload (OUTPOST_TEST_WORKER_PRELOAD): every new routing table reaches this
 * worker's handler 150 ms late. Workers build a generation lazily, so a rollout (workers on two
 * generations at once) otherwise lasts about a millisecond; readiness tests need to land inside one.
 */
import { parentPort } from 'node:worker_threads';

const DELAY_MS = 150;
// Imported by the test itself too (for its path): only a worker thread has a parentPort to patch.
const port = parentPort;
if (port !== null) {
  const on = port.on.bind(port);
  port.on = ((event: string, listener: (msg: unknown) => void) => {
    if (event !== 'message') return on(event, listener);
    return on('message', (msg: unknown) => {
      if ((msg as { type?: string } | null)?.type === 'table') setTimeout(() => listener(msg), DELAY_MS);
      else listener(msg);
    });
  }) as typeof port.on;
}

export const SLOW_TABLE_PRELOAD = import.meta.filename;
