/**
 * The primary is the only writer of fd 1. Every line the process prints (the primary's logs, the
 * lines of worker and compiler threads that Node forwards into the primary's process.stdout, and
 * the request-log batches workers post with their buffers transferred) joins ONE ordered queue,
 * written by fs.write on libuv's thread pool, so the event loop never blocks on a slow log
 * collector.
 *
 * Why one writer: with several threads writing to a pipe, lines stay whole only if every write is
 * at most PIPE_BUF (4 KiB) bytes, and measured (a pipe to a reader on the other core) 4 KiB writes
 * cost 2.3 µs of CPU per request-log line, more than building the line. One writer may write a
 * whole batch (up to MAX_PIECE) at once: nothing else can land inside it.
 *
 * Bounded: past MAX_QUEUED bytes waiting, new chunks are dropped (the caller counts request-log
 * lines in outpost_request_log_dropped_total) instead of growing memory. At exit what is queued is written
 * synchronously. A chunk enqueued with `done` is handed back once it is written (or dropped), so
 * its buffer can be reused (request-log batches go back to their worker).
 */
import { Buffer } from 'node:buffer';
import { write as fsWrite, writeSync } from 'node:fs';

/** Largest single write: a batch of request-log lines goes out in one or two. */
const MAX_PIECE = 1024 * 1024;
const MAX_QUEUED = 16 * 1024 * 1024;
const NEWLINE = 0x0a;
/** Longest wait between retries while the collector does not read. */
const MAX_RETRY_MS = 50;
/** How long the exit flush keeps retrying a full non-blocking pipe. */
const EXIT_FLUSH_MS = 2_000;

/** Called once with the chunk given to enqueue(), when no byte of it is needed any more. */
export type ChunkDone = (chunk: Uint8Array) => void;

/** Bytes waiting to be written; a chunk's last piece carries what hands the chunk back. */
interface Piece {
  bytes: Uint8Array;
  handBack: (() => void) | null;
}

export class StdoutOwner {
  private readonly queue: Piece[] = [];
  private queued = 0;
  private writing = false;
  /** Set while waiting to retry after EAGAIN. */
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 0;

  constructor(private readonly fd = 1, private readonly maxQueued = MAX_QUEUED) {}

  /**
   * Queues whole lines (`bytes` ends with a newline; ownership passes here). A `droppable` chunk
   * (a request-log batch) is refused past the bound and the caller counts its lines; any other
   * (the process's own log lines: few, and never to be lost) is always queued.
   */
  enqueue(bytes: Uint8Array, droppable = false, done?: ChunkDone): boolean {
    if (bytes.length === 0 || (droppable && this.queued + bytes.length > this.maxQueued)) {
      done?.(bytes);
      return bytes.length === 0;
    }
    this.queue.push({ bytes, handBack: done === undefined ? null : () => done(bytes) });
    this.queued += bytes.length;
    this.next();
    return true;
  }

  /** Bytes waiting to be written (tests, drain). */
  get pendingBytes(): number { return this.queued; }

  /** Resolves once everything queued is written, or after `timeoutMs` (shutdown: a stuck collector must not hold the exit). */
  drained(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if ((this.queued === 0 && !this.writing) || Date.now() >= until) resolve();
        else setTimeout(check, 10);
      };
      check();
    });
  }

  /**
   * At exit, after drained(): anything still queued is written now, synchronously. A piece still in
   * flight on the thread pool (a collector that stopped reading) may then land after it.
   */
  flushSync(): void {
    if (this.retryTimer !== null) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const until = Date.now() + EXIT_FLUSH_MS;
    while (this.queue.length > 0) {
      let b = this.queue.shift()!.bytes;
      this.queued -= b.length;
      while (b.length > 0) {
        try {
          b = b.subarray(writeSync(this.fd, b));
        } catch (err) {
          // A non-blocking fd whose collector is behind: wait a moment (bounded), else give up.
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= until) return;
          Atomics.wait(pause, 0, 0, 1);
        }
      }
    }
  }

  private next(): void {
    if (this.writing || this.retryTimer !== null || this.queue.length === 0) return;
    let piece = this.queue.shift()!;
    if (piece.bytes.length > MAX_PIECE) {
      // Cut after a newline so a collector reading piece by piece still sees whole lines.
      const b = piece.bytes;
      const cut = b.lastIndexOf(NEWLINE, MAX_PIECE - 1);
      const end = cut >= 0 ? cut + 1 : b.length;
      if (end < b.length) {
        // The rest keeps the hand-back: the chunk goes back after its last piece.
        this.queue.unshift({ ...piece, bytes: b.subarray(end) });
        piece = { bytes: b.subarray(0, end), handBack: null };
      }
    }
    const b = piece.bytes;
    this.writing = true;
    fsWrite(this.fd, b, 0, b.length, null, (err, written) => {
      this.writing = false;
      if (err && (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK')) {
        // fd 1 may be non-blocking (a pipe libuv opened): the collector is behind. Nothing was
        // written; try the same bytes again shortly, backing off while it stays full.
        this.queue.unshift(piece);
        this.retryMs = Math.min(this.retryMs === 0 ? 1 : this.retryMs * 2, MAX_RETRY_MS);
        this.retryTimer = setTimeout(() => { this.retryTimer = null; this.next(); }, this.retryMs);
        this.retryTimer.unref();
        return;
      }
      this.retryMs = 0;
      // A short write (a pipe under pressure) queues the rest first; another error drops the piece.
      this.queued -= err ? b.length : written;
      if (!err && written < b.length) this.queue.unshift({ ...piece, bytes: b.subarray(written) });
      else piece.handBack?.();
      this.next();
    });
  }
}

let routed = false;

/**
 * Routes the primary's process.stdout through `owner`: the primary's own log lines, and what Node
 * forwards from worker and compiler threads (their process.stdout is piped into the primary's),
 * so no write to fd 1 bypasses the queue.
 */
export function routeProcessStdout(owner: StdoutOwner): void {
  const stdout = process.stdout;
  if (routed) return;
  routed = true;
  stdout.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean => {
    owner.enqueue(typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : Buffer.from(chunk));
    const done = typeof encoding === 'function' ? encoding : cb;
    if (done) process.nextTick(done);
    return true;
  }) as typeof stdout.write;
  process.on('exit', () => owner.flushSync());
}
