/**
 * Request-log batches written by the worker itself to the process's stdout (fd 1), off the event
 * loop (fs.write on libuv's thread pool), instead of through the worker's `process.stdout`.
 * That stream hands every chunk to the primary by postMessage (a copy) and the primary writes it
 * synchronously: measured, the hop cost more than building the lines (bench `telemetry-off`).
 *
 * Lines stay whole although every thread writes to fd 1: on a pipe or a socket (a log collector,
 * systemd's journal) a write of at most PIPE_BUF bytes is never interleaved with another, so a
 * batch goes out in pieces of at most PIPE_BUF bytes cut after a newline; a regular file takes it
 * in one write. One write is in flight at a time, in order. What waits is bounded (MAX_QUEUED
 * bytes): past it `write` says no, and the batch keeps its lines (and counts drops) until
 * `whenDrained` calls back.
 */
import { fstatSync, write as fsWrite, writeSync } from 'node:fs';

/** Linux's PIPE_BUF: the largest write to a pipe that is atomic. */
const PIPE_BUF = 4096;
const MAX_QUEUED = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

export class StdoutLines {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private drained: Array<() => void> = [];
  /** Largest piece per write: PIPE_BUF unless fd 1 is a regular file. */
  private readonly piece: number;

  constructor(private readonly fd = 1) {
    let regular = false;
    try { regular = fstatSync(fd).isFile(); } catch { /* closed or odd: be conservative */ }
    this.piece = regular ? Number.MAX_SAFE_INTEGER : PIPE_BUF;
  }

  /** Queues whole lines (`text` ends with a newline); false when the queue is over its bound. */
  readonly write = (text: string): boolean => {
    const bytes = Buffer.from(text, 'utf8');
    for (let start = 0; start < bytes.length;) {
      let end = Math.min(bytes.length, start + this.piece);
      if (end < bytes.length) {
        const cut = bytes.lastIndexOf(NEWLINE, end - 1);
        // A single line longer than a piece goes out alone (only then can it interleave).
        end = cut >= start ? cut + 1 : (bytes.indexOf(NEWLINE, end) + 1 || bytes.length);
      }
      this.queue.push(bytes.subarray(start, end));
      start = end;
    }
    this.queued += bytes.length;
    this.next();
    return this.queued <= MAX_QUEUED;
  };

  readonly whenDrained = (resume: () => void): void => {
    if (this.queued <= MAX_QUEUED) resume();
    else this.drained.push(resume);
  };

  /** At thread exit: what is queued is written now, synchronously. */
  flushSync(): void {
    while (this.queue.length > 0) {
      const b = this.queue.shift()!;
      try { writeSync(this.fd, b); } catch { return; }
    }
    this.queued = 0;
  }

  private next(): void {
    if (this.writing || this.queue.length === 0) return;
    const b = this.queue.shift()!;
    this.writing = true;
    fsWrite(this.fd, b, 0, b.length, null, (err, written) => {
      this.writing = false;
      // A short write (a pipe under pressure) queues the rest first; an error drops the piece.
      if (!err && written < b.length) this.queue.unshift(b.subarray(written));
      this.queued -= err ? b.length : written;
      if (this.queued <= MAX_QUEUED && this.drained.length > 0) {
        const waiting = this.drained;
        this.drained = [];
        for (const resume of waiting) resume();
      }
      this.next();
    });
  }
}
