/**
 * A worker's writes leave at the end of the event-loop iteration that made them, together (staged
 * writes a few sockets at a time: SEND_EVERY).
 *
 * Why together: one epoll wake-up hands a worker several ready sockets (client requests, backend
 * answers). Written as each is handled, the writes are spread over the whole batch, and each can
 * wake its sleeping peer (the client, the backend) on another core: on a VM that is an IPI per
 * write, and the peer goes back to sleep before the next one. Written together at the end, one
 * wake-up finds several messages. uWebSockets.js corks the same way. A write waits only for the
 * iteration's callbacks to finish, never for a timer.
 *
 * Not always the end: once SEND_EVERY sockets have staged writes waiting, they are sent then. Held to
 * the iteration's end, a burst's first responses (and first requests to backends) waited for the whole
 * burst to be handled: at half of nginx's max rate (a paced load, bursts of ~15 requests a
 * millisecond) that was up to ~300 µs of the gateway's median latency on the AMD VM.
 *
 * Two ways out:
 * - Staged (`writeOut`, the common case): small writes on plain TCP sockets are copied into one
 *   staging buffer, and one call into the native addon (`sendBatch`) sends each socket's bytes
 *   with one non-blocking send(). Through a Node stream each write would cost a Writable pass, a
 *   WriteWrap, a Buffer to join head and body, and a JS-to-C++ call of its own.
 * - Corked (`corkForIteration`, then `socket.write`): TLS sockets, large writes, sockets whose
 *   stream still holds bytes, or no addon (not built, OUTPOST_NATIVE=off). Node's own cork: order
 *   kept, `write` still returns false past the high-water mark, `end()` flushes at once. A head
 *   with a body of up to MAX_STAGED_WRITE bytes is one Buffer and one `write` (writeOut,
 *   sendWritten): a pass through the stream costs more than the copy (HTTPS listener, bench:ab:
 *   -1.2 µs a request).
 *
 * Order on one socket: bytes are staged only while its stream is empty, and any stream write or
 * end (`corkForIteration`, `endAfterStaged`) sends what is staged first. What the kernel does not take
 * at once (EAGAIN, a partial send, an error) goes to the socket's stream, which queues it or
 * reports the error the usual way. A socket destroyed before the flush loses its staged bytes, as
 * a stream loses what it still queues: its destroy drops them (dropStaged), before its fd can be
 * closed and handed to a new connection.
 *
 * Where the iteration ends: with the addon, in libuv's check phase (after the poll's callbacks)
 * and its prepare phase (before the loop sleeps), by native code (native/src/iteration_flush.c):
 * the staged sends cost no JavaScript at all unless one did not leave whole. Through setImmediate
 * each iteration's end cost ~4,000 instructions, which a request alone in its iteration (a paced
 * load) paid twice. setImmediate still ends iterations with corked sockets, and every iteration
 * without the addon.
 */
import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';
import { nativeAddon } from '../gateway/native.js';
import { bufferNatives, copyOf } from './buffer-natives.js';
import { HEAD_SLACK, HeadWriter, scratchWriter } from './head-writer.js';
import { registerNativeBuffer } from './native-buffers.js';

/** A larger write goes through the stream: copying it would cost more than the call saves. */
export const MAX_STAGED_WRITE = 16 * 1024;
const STAGING_BYTES = 256 * 1024;
/**
 * Staged sends that go out together. Measured on the AMD VM (2 cores, wrk paced at ~12,500
 * requests/s, 72 connections): the median fell in 7 of 9 windows, by 70-290 µs, and p99 in 7 of 9;
 * saturated, two gateways sharing a core (bench:ab's method), CPU per request was the same
 * (median difference -0.07 µs over 12 windows). One write per send cost 16% of throughput.
 */
export const SEND_EVERY = 8;

type SendBatch = (bytes: Buffer, entries: Int32Array, count: number) => void;
const sendBatch: SendBatch | null = nativeAddon()?.sendBatch ?? null;

/** Node's own latin1 writer (what `buf.write(s, off, 'latin1')` calls), module-local: see buffer-natives.ts. */
const latin1Write = bufferNatives.latin1Write;
/**
 * TypedArray#set, module-local and called with .call: `staging.set` compiled to a generic
 * property load per write (a Buffer's prototype chain holds Buffer.prototype, which TurboFan
 * does not look through), ~120 instructions a response.
 */
const typedArraySet = Uint8Array.prototype.set;
const typedArraySubarray = Uint8Array.prototype.subarray;
const staging = Buffer.allocUnsafe(STAGING_BYTES);
// Request heads towards backends are written into it by the addon (request-writer.ts).
registerNativeBuffer(staging);
const stagingView = HeadWriter.viewOf(staging);
/** The writer headWriter() hands out: at the staging buffer's end, or over `scratch`. */
const writer = new HeadWriter(staging);
let writerStaged = false;
let scratch: HeadWriter | null = null;
/** Per staged entry: fd, start, end, result (written by sendBatch: bytes taken, or -errno). Off V8's heap: the addon holds it. */
const entries = new Int32Array(new ArrayBuffer(SEND_EVERY * 4 * 4));
const stagedSockets: Array<Socket | null> = [];
/**
 * Shared with the addon's iteration flush: [ITERATION] its count of iteration ends, [COUNT] the
 * staged entries, [BYTES] the staging buffer's bytes in use. The flush zeroes the last two.
 */
const state = new Int32Array(new ArrayBuffer(4 * 4));
const ITERATION = 0;
const COUNT = 1;
const BYTES = 2;

const corked: Socket[] = [];
let scheduled = false;

/** Date.now() as first read in this iteration (iterationNow), or -1 once the iteration ended. */
let iterationMs = -1;
/** state[ITERATION] when iterationMs was read (the addon's flush running). */
let iterationSeen = -1;
/** True when the addon ends this thread's iterations (startIterationFlush); else setImmediate does. */
const nativeFlush: boolean = sendBatch !== null && nativeAddon()!.startIterationFlush(state, entries, staging, finishFlush);

/**
 * Wall-clock milliseconds, read once per event-loop iteration: for what needs the time of day to
 * a second or a timeout's precision (the Date header, connection deadlines), not for durations.
 * One iteration handles several requests, each of which read the clock three or four times
 * (~40 ns a read). It is never older than the iteration: with the addon, a read after the
 * addon counted an iteration end (state[ITERATION]) reads the clock again; without it, the first
 * read schedules the iteration's end, which forgets it.
 */
export function iterationNow(): number {
  if (nativeFlush) {
    const iteration = state[ITERATION];
    if (iterationSeen !== iteration) {
      iterationSeen = iteration;
      iterationMs = Date.now();
    }
  } else if (iterationMs < 0) {
    iterationMs = Date.now();
    schedule();
  }
  return iterationMs;
}

function atIterationEnd(): void {
  scheduled = false;
  if (!nativeFlush) iterationMs = -1;
  if (state[COUNT] > 0) flushStaged();
  // Uncorking writes; a write that fails only emits on that socket.
  for (let i = 0; i < corked.length; i++) corked[i].uncork();
  corked.length = 0;
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(atIterationEnd);
  }
}

/**
 * The socket's file descriptor when its writes can be staged: a plain TCP socket (not TLS) with
 * the addon loaded; -1 otherwise. Read once per connection (the `fd` getter is a C++ call).
 */
export function stageableFd(socket: Socket): number {
  if (sendBatch === null || (socket as { encrypted?: boolean }).encrypted === true) return -1;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return -1;
  (socket as unknown as DestroyHooked)._destroy = destroyDroppingStaged;
  return fd;
}

interface DestroyHooked { _destroy(this: Socket, error: Error | null, done: (error: Error | null) => void): void }
const socketDestroy = (Socket.prototype as unknown as DestroyHooked)._destroy;

/**
 * A stageable socket's _destroy (net.Socket's closes the fd; every destroy ends there): what it
 * has staged is dropped first. Sent later, by the native flush which knows fds, not sockets, the
 * bytes would go to whichever new connection the kernel gave the same fd in the meantime.
 */
function destroyDroppingStaged(this: Socket, error: Error | null, done: (error: Error | null) => void): void {
  dropStaged(this);
  socketDestroy.call(this, error, done);
}

function dropStaged(socket: Socket): void {
  const n = state[COUNT];
  for (let i = 0; i < n; i++) if (stagedSockets[i] === socket) entries[i * 4] = -1;
}

/**
 * Writes `text` (latin1: one byte per character) and then `body` on `socket`, at the end of this
 * iteration. `fd` is stageableFd(socket), or -1. Returns false when the socket's stream buffer is
 * full (backpressure); staged bytes never push back. `borrowed`: `body` is valid only during the
 * call (a view of a read buffer the next read overwrites): staged, it is copied anyway; given to
 * the socket's stream, which keeps it by reference until sent, a copy goes instead.
 */
export function writeOut(socket: Socket, fd: number, text: string, body: Buffer | null, borrowed = false): boolean {
  const bytes = text.length + (body === null ? 0 : body.length);
  if (fd < 0 || bytes > MAX_STAGED_WRITE || socket.writableLength !== 0) {
    corkForIteration(socket);
    if (body === null) return socket.write(text, 'latin1');
    if (text.length > 0 && body.length <= MAX_STAGED_WRITE) {
      const both = withRoomBefore(text.length, body);
      latin1Write.call(both, text, 0);
      return socket.write(both);
    }
    if (text.length > 0) socket.write(text, 'latin1');
    return socket.write(borrowed ? copyOf(body, 0, body.length) : body);
  }
  if (state[BYTES] + bytes > STAGING_BYTES) flushStaged();
  const at = state[BYTES];
  // Body bytes after a head already written come with no text: no call into C++ for it.
  stage(socket, fd, text.length === 0 ? at : at + latin1Write.call(staging, text, at), body);
  return true;
}

/**
 * A new Buffer holding `body` after `headBytes` bytes the caller fills with the head: a head and a
 * small body through a socket's stream go as one write, not two (two passes through the Writable,
 * and at the uncork a writev, which TLS joins again before it encrypts).
 */
function withRoomBefore(headBytes: number, body: Buffer): Buffer {
  const both = Buffer.allocUnsafe(headBytes + body.length);
  typedArraySet.call(both, body, headBytes);
  return both;
}

/**
 * A writer for a head of at most `maxBytes` bytes (plus HEAD_SLACK) that goes to `socket`,
 * followed by `bodyBytes` of body: it writes straight into the staging buffer when the write can
 * be staged, else into a scratch buffer. Send what it wrote with sendWritten(), or drop it by not
 * calling it (nothing is sent); nothing else may be written in between.
 */
export function headWriter(socket: Socket, fd: number, maxBytes: number, bodyBytes: number): HeadWriter {
  const bytes = maxBytes + HEAD_SLACK + bodyBytes;
  if (fd < 0 || bytes > MAX_STAGED_WRITE || socket.writableLength !== 0) {
    writerStaged = false;
    return (scratch = scratchWriter(scratch, maxBytes + HEAD_SLACK));
  }
  if (state[BYTES] + bytes > STAGING_BYTES) flushStaged();
  writerStaged = true;
  writer.reset(staging, stagingView, state[BYTES]);
  return writer;
}

/**
 * Sends what the writer from headWriter() holds, then `body`; false on backpressure (as writeOut).
 * `borrowed`: as writeOut's (a body given to the socket's stream is copied first).
 */
export function sendWritten(socket: Socket, fd: number, w: HeadWriter, body: Buffer | null, borrowed = false): boolean {
  if (writerStaged && w === writer) {
    writerStaged = false;
    stage(socket, fd, w.pos, body);
    return true;
  }
  corkForIteration(socket);
  if (body === null) return socket.write(copyOf(w.buf, 0, w.pos));
  if (body.length <= MAX_STAGED_WRITE) {
    const both = withRoomBefore(w.pos, body);
    typedArraySet.call(both, typedArraySubarray.call(w.buf, 0, w.pos));
    return socket.write(both);
  }
  socket.write(copyOf(w.buf, 0, w.pos));
  return socket.write(borrowed ? copyOf(body, 0, body.length) : body);
}

/** Records staging[state[BYTES], headEnd) and then `body` as `socket`'s next bytes, sent at the iteration's end. */
function stage(socket: Socket, fd: number, headEnd: number, body: Buffer | null): void {
  // Written after its destroy: dropped, as its stream would (the fd may be another connection's now).
  if (socket.destroyed) return;
  const start = state[BYTES];
  let end = headEnd;
  if (body !== null) {
    // The whole body: TypedArray#set, a builtin (Buffer#copy is a JavaScript wrapper that makes a view per call).
    typedArraySet.call(staging, body, end);
    end += body.length;
  }
  state[BYTES] = end;
  const count = state[COUNT];
  if (count > 0 && stagedSockets[count - 1] === socket) {
    // The same socket's next write (the last entry ends where this one starts): one send.
    entries[(count - 1) * 4 + 2] = end;
  } else {
    const e = count * 4;
    entries[e] = fd;
    entries[e + 1] = start;
    entries[e + 2] = end;
    stagedSockets[count] = socket;
    state[COUNT] = count + 1;
    if (count + 1 === SEND_EVERY) { flushStaged(); return; }
  }
  if (!nativeFlush) schedule();
}

/**
 * Corks `socket` until this iteration ends (unless it is corked already), after sending anything
 * staged: call it before any direct `socket.write` or `socket.end`.
 */
export function corkForIteration(socket: Socket): void {
  if (state[COUNT] > 0) flushStaged();
  if (socket.writableCorked !== 0) return;
  socket.cork();
  corked.push(socket);
  schedule();
}

/** Ends `socket`'s writing side after anything staged (which may be its last response) has left. */
export function endAfterStaged(socket: Socket): void {
  flushStaged();
  socket.end();
}

/** Sends everything staged now; what the kernel did not take goes to each socket's stream. */
export function flushStaged(): void {
  const n = state[COUNT];
  if (n === 0) return;
  sendBatch!(staging, entries, n);
  finishFlush();
}

/**
 * After the sends of a flush (sendBatch's, or the addon's at the iteration's end when one did not
 * leave whole): what the kernel did not take goes to each socket's stream; the staging is empty.
 */
function finishFlush(): void {
  const n = state[COUNT];
  // Zeroed first: whatever is staged next starts a new batch. (A stream write does not call back
  // into this module before it returns: its errors and callbacks come on a later tick.)
  state[COUNT] = 0;
  state[BYTES] = 0;
  for (let i = 0; i < n; i++) {
    const e = i * 4;
    const socket = stagedSockets[i]!;
    stagedSockets[i] = null;
    if (entries[e] < 0) continue; // destroyed before the flush: its bytes are dropped
    const start = entries[e + 1];
    const end = entries[e + 2];
    const sent = entries[e + 3];
    if (sent === end - start) continue;
    // Not all taken: the rest (a copy: the staging buffer is reused) through the stream.
    socket.write(copyOf(staging, start + Math.max(sent, 0), end));
  }
}
