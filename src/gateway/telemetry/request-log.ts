/**
 * Request logs: one JSON line per request on stdout, APIM GatewayLogs' fields under the names
 * below. A worker writes the line's bytes into its batch buffer when the request ends: the native
 * addon writes the plain lines (native/src/request_log.c), JavaScript every other and all of them
 * without the addon (json-line-buffer.ts: no string is built per line); every 100 ms, or when the 1 MiB buffer is
 * full, the batch goes to the sink: in a worker, posted to the primary with its buffer transferred
 * (no copy), which writes it to fd 1 off its event loop (primary/stdout-owner.ts), so the request
 * path never waits on a write. Once written, the buffer is transferred back and reused: a fresh
 * buffer costs page faults as it fills (~140 µs per 256 KiB here) and counts as new external memory, which
 * brought on full GCs of the worker's heap. While stdout pushes back (a slow log collector),
 * filled batches are held, bounded by MAX_PENDING_BYTES: past it lines are dropped and counted
 * (outpost_request_log_dropped_total) rather than growing memory.
 *
 * Never written: the subscription key (header or query), Authorization or any other header, and
 * the values of query parameters that look like credentials (query-redaction.ts).
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { ClientResponse } from '../../http1/server/client-response.js';
import { NATIVE_LINES, writeLineNative } from './native-line.js';
import { COMMON_METHODS } from '../native-methods.js';
import { redactQuery } from './query-redaction.js';
import { fragment, fragmentOf, JsonLineBuffer, MAX_BYTES_PER_UNIT, NULL, WORD_SLACK, type Fragment } from './json-line-buffer.js';

const FLUSH_MS = 100;
/**
 * A batch buffer's size: it goes out when the next line might not fit. Each batch wakes the
 * primary twice (its message, then the write's completion) and a thread of libuv's pool once,
 * which on this VM cost as much as the write itself: with 256 KiB batches the primary thread
 * spent 0.37 µs per request on request logs, with 1 MiB 0.19 (bench:ab, plain against
 * metrics-only, one run each). A line still leaves within FLUSH_MS, whatever the traffic.
 */
export const LOG_BATCH_BYTES = 1024 * 1024;
/** Written batch buffers a worker keeps for reuse (returned by the primary): 2 MiB. */
const MAX_SPARE_BUFFERS = 2;
/** Bytes held back while stdout pushes back; past it lines are dropped and counted. */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export interface RequestLogLine {
  type: 'request';
  time: string;
  correlationId: string | null;
  method: string;
  url: string;
  status: number;
  backendStatus: number | null;
  totalMs: number;
  backendMs: number | null;
  requestBytes: number;
  responseBytes: number;
  apiId: string | null;
  operationId: string | null;
  productId: string | null;
  subscriptionId: string | null;
  clientIp: string;
  cache: string | null;
  errorCode: string | null;
}

/** Fixed bytes of a line besides its strings (field names, punctuation, numbers, time). */
const LINE_FIXED_BYTES = 512;

const F = {
  correlationId: fragment('Z","correlationId":'),
  method: fragment(',"method":'),
  url: fragment(',"url":'),
  status: fragment(',"status":'),
  backendStatus: fragment(',"backendStatus":'),
  totalMs: fragment(',"totalMs":'),
  backendMs: fragment(',"backendMs":'),
  requestBytes: fragment(',"requestBytes":'),
  responseBytes: fragment(',"responseBytes":'),
  productId: fragment(',"productId":'),
  subscriptionId: fragment(',"subscriptionId":'),
  clientIp: fragment(',"clientIp":'),
  cache: fragment(',"cache":'),
  errorCode: fragment(',"errorCode":'),
  end: fragment('}\n'),
  // Runs that most lines share, copied as one (a line's fields are otherwise a dozen copies).
  noProductNoSubscription: fragment(',"productId":null,"subscriptionId":null,"clientIp":'),
  noCacheNoError: fragment(',"cache":null,"errorCode":null}\n'),
};

/** `,"method":"GET","url":` and the like: the method with the fragments around it, for the common methods. */
const METHOD_RUNS = new Map<string, Fragment>(COMMON_METHODS.map((m) => [m, fragment(`,"method":"${m}","url":`)]));
const GET_RUN = METHOD_RUNS.get('GET')!;

/**
 * The wall clock minus performance.now(), read again once a second: a line's time (its request's
 * start) is then an addition instead of a Date.now() call per line, and a step of the wall clock
 * shows within a second. `now` is the caller's performance.now().
 */
let wallOffsetMs = Date.now() - performance.now();
let offsetReadAt = performance.now();
function wallClockOf(perfMs: number, now: number): number {
  if (now - offsetReadAt >= 1000 || now < offsetReadAt) {
    offsetReadAt = performance.now();
    wallOffsetMs = Date.now() - offsetReadAt;
  }
  return wallOffsetMs + perfMs;
}

/** The line's start up to the time's milliseconds, `{"type":"request","time":"YYYY-MM-DDTHH:MM:SS.`, encoded once per second. */
let isoSecond = -1;
let isoPrefix: Fragment = fragment('');
function writeIsoTime(out: JsonLineBuffer, epochMs: number): void {
  const ms = Math.floor(epochMs);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = fragment(`{"type":"request","time":"${new Date(second * 1000).toISOString().slice(0, 20)}`);
  }
  out.raw(isoPrefix);
  const frac = ms - second * 1000;
  if (frac < 100) out.byte(0x30);
  if (frac < 10) out.byte(0x30);
  out.uint(frac);
}

/**
 * The next line reads the wall clock's offset and encodes its time's second afresh. For the
 * warm-up (src/gateway/worker/warm-up.ts): one shorter than a second may never take these
 * once-a-second branches, and the first real request a second later then deoptimized the
 * end-of-request telemetry that inlines them (`performance.now` had no type feedback there).
 */
export function forgetClockReadings(): void {
  offsetReadAt = -Infinity;
  isoSecond = -1;
}

/**
 * The `,"apiId":…,"operationId":…` part of a line, encoded once per (API, operation): a worker's
 * telemetry keeps it with the operation's series, so a line copies it instead of escaping it.
 */
export function operationFragment(apiId: string, operationId: string): Fragment {
  const out = new JsonLineBuffer(Buffer.alloc(64 + (apiId.length + operationId.length) * MAX_BYTES_PER_UNIT));
  out.raw(fragment(',"apiId":'));
  out.stringOrNull(apiId);
  out.raw(fragment(',"operationId":'));
  out.stringOrNull(operationId);
  return fragmentOf(out.buf.subarray(0, out.pos));
}

/** The most bytes the line of `res` can take (see json-line-buffer.ts). */
function lineBound(res: ClientResponse, operation: Fragment): number {
  const units = (res.requestId?.length ?? 0) + res.method.length + res.path.length + res.query.length
    + (res.productId?.length ?? 0) + (res.subscriptionId?.length ?? 0) + res.remoteAddress.length + (res.cacheResult?.length ?? 0) + (res.errorCode?.length ?? 0);
  return LINE_FIXED_BYTES + WORD_SLACK + operation.length + units * MAX_BYTES_PER_UNIT;
}

/**
 * The line of one request (RequestLogLine's fields, in its order, newline-terminated), written
 * into `out`, which has room for lineBound() bytes; `wallMs` is the request's start on the wall
 * clock (wallClockOf). Every line can be written here; most are written by the addon instead.
 */
function writeLine(out: JsonLineBuffer, res: ClientResponse, operation: Fragment, now: number, wallMs: number): void {
  writeIsoTime(out, wallMs);
  out.raw(F.correlationId); out.stringOrNull(res.requestId);
  const method = res.method;
  const methodRun = method === 'GET' ? GET_RUN : METHOD_RUNS.get(method);
  if (methodRun !== undefined) out.raw(methodRun);
  else { out.raw(F.method); out.string(method); out.raw(F.url); }
  // The query redacted (query-redaction.ts); path and query written as one string, never joined.
  out.url(res.path, res.query === '' ? '' : redactQuery(res.query));
  out.raw(F.status); out.uint(res.statusSent);
  out.raw(F.backendStatus);
  if (res.backendStatus === 0) out.raw(NULL); else out.uint(res.backendStatus);
  out.raw(F.totalMs); out.millis(now - res.startedAt);
  out.raw(F.backendMs);
  if (res.backendStartedAt > 0) out.millis((res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt);
  else out.raw(NULL);
  out.raw(F.requestBytes); out.uint(res.requestBytes);
  out.raw(F.responseBytes); out.uint(res.responseBytes);
  out.raw(operation);
  if (!res.productId && !res.subscriptionId) out.raw(F.noProductNoSubscription);
  else {
    out.raw(F.productId); out.stringOrNull(res.productId);
    out.raw(F.subscriptionId); out.stringOrNull(res.subscriptionId);
    out.raw(F.clientIp);
  }
  out.string(res.remoteAddress);
  if (!res.cacheResult && !res.errorCode) out.raw(F.noCacheNoError);
  else {
    out.raw(F.cache); out.stringOrNull(res.cacheResult);
    out.raw(F.errorCode); out.stringOrNull(res.errorCode);
    out.raw(F.end);
  }
}

/** The line of one request into `out` (room for lineBound()): by the addon when it answers, else in JavaScript. */
function writeRequestLine(out: JsonLineBuffer, res: ClientResponse, operation: Fragment, now: number): void {
  const wallMs = wallClockOf(res.startedAt, now);
  if (!NATIVE_LINES || !writeLineNative(out, res, operation, now, wallMs)) writeLine(out, res, operation, now, wallMs);
}

/** The line of one request as text, without its newline, as a batch gets it (tests, and anything that wants one line). */
export function requestLogText(res: ClientResponse, apiId: string, operationId: string, now: number): string {
  const operation = operationFragment(apiId, operationId);
  const out = new JsonLineBuffer(Buffer.allocUnsafe(lineBound(res, operation)));
  writeRequestLine(out, res, operation, now);
  return out.buf.toString('utf8', 0, out.pos - 1);
}

/**
 * The line as each writer writes it, without its newline, for a start at `wallMs` on the wall
 * clock: `native` is null when the addon declines the line or is not loaded (the differential test).
 */
export function requestLogTexts(res: ClientResponse, apiId: string, operationId: string, now: number, wallMs: number): { js: string; native: string | null } {
  const operation = operationFragment(apiId, operationId);
  const out = new JsonLineBuffer(Buffer.allocUnsafe(lineBound(res, operation)));
  writeLine(out, res, operation, now, wallMs);
  const js = out.buf.toString('utf8', 0, out.pos - 1);
  // A fresh buffer: the native writer must not lean on bytes the JavaScript one left.
  const again = new JsonLineBuffer(Buffer.alloc(out.buf.length, 0x7b));
  const native = NATIVE_LINES && writeLineNative(again, res, operation, now, wallMs) ? again.buf.toString('utf8', 0, again.pos - 1) : null;
  return { js, native };
}

/**
 * Where batches go: takes ownership of the bytes (each chunk is backed by an ArrayBuffer of its
 * own, so the sink may transfer it to another thread); false when its buffer is over its bound.
 */
export type LogSink = (chunk: Buffer, lines: number) => boolean;

/** A buffer over an ArrayBuffer of its own (never Node's shared pool): safe to transfer. */
const ownedBuffer = (bytes: number): Buffer => Buffer.from(new ArrayBuffer(bytes));

export class RequestLogBatch {
  private out: JsonLineBuffer;
  /** Batch buffers back from stdout, reused before a fresh one is allocated. */
  private readonly spare: ArrayBuffer[] = [];
  private linesInOut = 0;
  /** Filled batches (and their line counts) waiting for stdout to drain. */
  private held: Array<{ chunk: Buffer; lines: number }> = [];
  private heldBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** stdout said its buffer is full; writing resumes on its drain. */
  private blocked = false;
  dropped = 0;

  /**
   * `write` returns false when the stream's buffer is full; `whenDrained` calls back once it has
   * room. `batchBytes`: each batch's buffer (LOG_BATCH_BYTES; smaller only for the warm-up's batch).
   */
  constructor(private readonly write: LogSink, private readonly whenDrained: (resume: () => void) => void = () => undefined,
    private readonly batchBytes: number = LOG_BATCH_BYTES) {
    this.out = new JsonLineBuffer(ownedBuffer(batchBytes));
  }

  /** False when too much waits for stdout: the caller counts the line as dropped instead of writing it. */
  get hasRoom(): boolean { return this.heldBytes < MAX_PENDING_BYTES; }

  /** Writes the line of one request into the batch; `operation` is its operationFragment(). */
  add(res: ClientResponse, operation: Fragment, now: number): void {
    const bound = lineBound(res, operation);
    if (bound > this.out.free) {
      this.seal();
      // A line longer than a whole batch (a huge URL) gets a buffer of its own.
      if (bound > this.out.free) this.out = new JsonLineBuffer(ownedBuffer(bound));
    }
    writeRequestLine(this.out, res, operation, now);
    this.linesInOut++;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.seal();
    while (!this.blocked && this.held.length > 0) {
      const { chunk, lines } = this.held.shift()!;
      this.heldBytes -= chunk.length;
      if (this.write(chunk, lines)) continue;
      this.blocked = true;
      this.whenDrained(() => {
        this.blocked = false;
        this.flush();
      });
    }
  }

  /** A written batch's buffer, back from the primary: kept for the next batch (a few at most). */
  reuse(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.batchBytes && this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buffer);
  }

  /** Dropped lines since the last call (sent with the telemetry report). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  /** Moves the current buffer's lines to the held list and starts a fresh buffer. */
  private seal(): void {
    const out = this.out;
    if (out.pos === 0) return;
    // Handed over whole (transferred, no copy) when a written buffer is back to take its place,
    // or when it is full enough to be worth a fresh one; a small batch with no spare at hand
    // (quiet traffic, a timer flush) is copied and the buffer kept. A timer flush used to copy
    // whenever the batch was under a quarter full: at 1 MiB that was every flush below ~7,000
    // lines a second, a fresh zeroed ArrayBuffer and a copy each time.
    let chunk: Buffer;
    const reuse = this.spare.pop();
    if (reuse !== undefined || out.pos >= out.buf.length / 4) {
      chunk = out.buf.subarray(0, out.pos);
      this.out = new JsonLineBuffer(reuse === undefined ? ownedBuffer(this.batchBytes) : Buffer.from(reuse));
    } else {
      chunk = ownedBuffer(out.pos);
      out.buf.copy(chunk, 0, 0, out.pos);
      out.pos = 0;
    }
    this.held.push({ chunk, lines: this.linesInOut });
    this.linesInOut = 0;
    this.heldBytes += chunk.length;
    if (!this.blocked) this.flush();
  }
}
