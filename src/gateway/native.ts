/**
 * The native addon (native/: the SO_REUSEPORT listener, accepting a burst of connections at once, sd_notify, CPU pinning, batched sends, request-log lines, UUIDs, header field scanning, request heads towards backends, response field lines), loaded once per
 * thread. Everything works without it: Node >= 22.12 listens with reusePort itself (older: one
 * worker accepts), systemd gets no notifications, worker threads are not pinned and request-log
 * lines are all written in JavaScript (the same bytes, ~10,000 instructions more a line). The primary
 * says so once, in one log line (reportNativeAddon). OUTPOST_NATIVE=off skips loading it, to run
 * (and test) the gateway as if it had not been built.
 */
import { createRequire } from 'node:module';
import { log } from '../shared/log.js';

export interface NativeAddon {
  /** A listening TCP socket with SO_REUSEPORT; returns its fd. Throws with the failing step. */
  listenReusePort(host: string, port: number, backlog: number): number;
  /** One datagram to a unix socket path or `@abstract` name; false when the send failed. */
  sdNotify(socketPath: string, message: string): boolean;
  /** Pins the calling thread to `cpu`; false when the kernel refuses (a CPU the process may not use). */
  pinThread(cpu: number): boolean;
  /** The kernel's id of the calling thread (/proc/<pid>/task/<tid>). */
  currentThreadId(): number;
  /** Sets the calling thread's nice value (only that thread's); false when refused. */
  niceThread(nice: number): boolean;
  /**
   * Sends `count` byte ranges of `bytes`, each to its own socket, one non-blocking send() each:
   * entry i is entries[4i..4i+3] = fd, start, end, and the result it fills in (bytes taken, or -errno).
   */
  sendBatch(bytes: Buffer, entries: Int32Array, count: number): void;
  /**
   * One request-log line written into the buffer given to requestLogTarget (native/src/request_log.c),
   * at the position and with the numbers and method code of the array given to requestLogFields:
   * the next position, or -1 when the line is not the plain case (the caller writes it in
   * JavaScript). '' stands for null; with four arguments the query is empty, the method is a code
   * and the last four are null; with ten, all are given.
   */
  writeRequestLog(operation: Buffer, requestId: string, path: string, clientIp: string, query?: string, method?: string,
    productId?: string, subscriptionId?: string, cache?: string, errorCode?: string): number;
  /** The Float64Array writeRequestLog reads its numbers from, on this thread (kept alive by the addon). */
  requestLogFields(fields: Float64Array): void;
  /** The Buffer writeRequestLog writes into, on this thread, until the next call (kept alive by the addon). */
  requestLogTarget(out: Buffer): void;
  /** A random version 4 UUID from the kernel's CSPRNG (native/src/uuid.c); undefined when it gives none. */
  newUuid(): string | undefined;
  /** The Int32Array the next two take their numbers from and write results to, and the Buffers they may use by index (at most 4), on this thread (kept alive by the addon; shared/native-buffers.ts). */
  registerBuffers(io: Int32Array, ...buffers: Buffer[]): void;
  /** scanFields of http1/head-fields.ts over a registered buffer (native/src/head_fields.c): a FIELDS_* code, or -1 when it does not answer. */
  scanHeadFields(): number;
  /** The request line and fields of writeRequestHead (upstream/request-writer.ts) into a registered buffer (native/src/request_fields.c): the next position, or -1 when it does not answer. */
  writeRequestFields(method: string, path: string, ...namesAndValues: string[]): number;
  /** HeadEndFinder.find of http1/head-end.ts over a registered buffer (native/src/head_end.c): its answer, or -100 when it does not answer. */
  findHeadEnd(): number;
  /** The first CR LF CR LF in NATIVE_IO's range of a registered buffer (native/src/head_end.c): its index, -1 when none, -100 when it does not answer. */
  findBlankLine(): number;
  /** Where a JSON config's `apis` array and its elements are in the file's bytes, or null when the scan does not vouch for the document (native/src/json_parts.c, config/json-parts.ts). */
  jsonConfigParts(bytes: Buffer): Int32Array | null;
  /** Accepts up to fds.length connections waiting on a listening socket into `fds` (native/src/accept_pending.c): how many. */
  acceptPending(listenFd: number, fds: Int32Array): number;
  /** Field lines "name: value" CR LF from ranges of one registered buffer into another (native/src/copy_fields.c; numbers through NATIVE_IO): the next position, or -1 having written nothing. */
  copyFields(): number;
  /**
   * Sends this thread's staged writes (shared/iteration-writes.ts) at each event-loop iteration's
   * end from native code (native/src/iteration_flush.c): state[1] entries (sendBatch's) over
   * `bytes`, then state[1] = state[2] = 0; `finish` runs only when a range did not leave whole.
   * state[0] counts iteration ends. False when it could not start; throws when already started.
   */
  startIterationFlush(state: Int32Array, entries: Int32Array, bytes: Buffer, finish: () => void): boolean;
  /**
   * Turns off libuv's idle-time metrics on the calling thread's loop (native/src/loop_idle_metrics.c):
   * true when they were on. After it the loop sleeps in one epoll call, not a zero-timeout one first.
   */
  stopLoopIdleMetrics(): boolean;
  /**
   * Runs Node's immediate check on the calling thread only when an immediate can be pending (the
   * loop will not block) or once per millisecond of the loop's clock (native/src/check_immediate_gate.c):
   * true when in place.
   */
  gateCheckImmediate(): boolean;
  /** counts[0] = the gate's runs of Node's immediate check on this thread, counts[1] = its skips. */
  checkImmediateStats(counts: Float64Array): void;
}

/** Relative to dist/src/gateway/native.js: the repository (or image) root. */
const ADDON_PATH = '../../../native/build/Release/outpost_native.node';
const FUNCTIONS = ['listenReusePort', 'sdNotify', 'pinThread', 'currentThreadId', 'niceThread', 'sendBatch', 'writeRequestLog', 'requestLogFields', 'requestLogTarget', 'newUuid', 'registerBuffers', 'scanHeadFields', 'writeRequestFields', 'findHeadEnd', 'findBlankLine', 'jsonConfigParts', 'acceptPending', 'copyFields', 'startIterationFlush', 'stopLoopIdleMetrics', 'gateCheckImmediate', 'checkImmediateStats'] as const;

let loaded: { addon: NativeAddon | null; reason: string | null } | undefined;

function load(): { addon: NativeAddon | null; reason: string | null } {
  if (process.env.OUTPOST_NATIVE === 'off') return { addon: null, reason: 'OUTPOST_NATIVE=off' };
  try {
    const candidate = createRequire(import.meta.url)(ADDON_PATH) as Partial<NativeAddon>;
    const missing = FUNCTIONS.filter((name) => typeof candidate[name] !== 'function');
    // A build from an older checkout: using half of it would be more confusing than none.
    if (missing.length > 0) return { addon: null, reason: `the built addon is out of date (no ${missing.join(', ')}): run node native/build.mjs` };
    return { addon: candidate as NativeAddon, reason: null };
  } catch (err) {
    return { addon: null, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

/** The addon, or null when it was not built or does not load. */
export function nativeAddon(): NativeAddon | null {
  loaded ??= load();
  return loaded.addon;
}

/** The primary calls this once at startup: one line when the addon is missing, nothing otherwise. */
export function reportNativeAddon(): void {
  if (nativeAddon() !== null) return;
  log('warn', 'native addon not loaded: systemd notify and CPU pinning are off', { addon: 'native/build/Release/outpost_native.node', reason: loaded?.reason });
}
