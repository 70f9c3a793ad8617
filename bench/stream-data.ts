/**
 * The bytes every streaming-bench transfer carries, shared by the client (stream-client.ts) and the
 * backend process (stream-backend.ts). Chunk i is 64 KiB of the byte (i & 0xff): the same pattern
 * as test/integration/streaming.test.ts, so both ends can produce and check 1 GiB without storing it.
 */
import { createHash } from 'node:crypto';

export const CHUNK = 64 * 1024;

// The 256 distinct chunks (16 MiB), made once and never mutated: allocating 16k fresh buffers per
// GiB would put the producer's own allocation and GC cost into the throughput we measure.
let pool: Buffer[] | null = null;

export function* chunks(size: number): Generator<Buffer> {
  pool ??= Array.from({ length: 256 }, (_, i) => Buffer.alloc(CHUNK, i));
  for (let sent = 0, i = 0; sent < size; sent += CHUNK, i++) {
    const c = pool[i & 0xff];
    yield size - sent >= CHUNK ? c : c.subarray(0, size - sent);
  }
}

/** sha256 (hex) of the first `size` bytes of the pattern: what both directions must deliver. */
export function expectedSha256(size: number): string {
  const h = createHash('sha256');
  for (const c of chunks(size)) h.update(c);
  return h.digest('hex');
}
