/**
 * Starts, replaces and drains the request workers. The first worker binds the port; the others
 * join it through SO_REUSEPORT. A worker that exits when it was not asked to is logged and
 * replaced, with a growing delay if it keeps crashing, until the crash-loop guard says the
 * workers cannot stay up: then nothing more is replaced, liveness fails and `onCrashLoop` runs
 * (the primary exits with code 3 rather than looping forever).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { RedisLinkSettings } from '../redis/redis-settings.js';
import type { HttpsInit, HttpsMaterial, PrimaryToWorker, TablePublish, WarmUpInit, WorkerInit, WorkerToPrimary } from '../../shared/protocol.js';
import { OutpostError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';
import { LOG_BATCH_BYTES } from '../telemetry/request-log.js';
import { CrashLoopGuard, type CrashLoopSettings, type CrashLoopVerdict } from './crash-loop-guard.js';

export type WorkerPhase = 'starting' | 'accepting' | 'draining' | 'exited';

/** The schema's cap for gateway.workers; the supervisor enforces it whatever the count came from. */
export const MAX_WORKERS = 256;

interface Slot {
  index: number;
  worker: Worker;
  phase: WorkerPhase;
  generation: number;
  restarts: number;
  lastStart: number;
  listenFailed: boolean;
  /** How long the worker took to build its view of the generation it applied last. */
  lastBuildMs: number;
  /** The last liveness ping sent to this worker and the last one it answered (0: none). */
  pingSent: number;
  pongSeen: number;
}

/** What every worker gets at start besides its index and table (see WorkerInit). */
export interface SharedBuffers {
  counters: SharedArrayBuffer; gauges: SharedArrayBuffer; probe: SharedArrayBuffer; redis: RedisLinkSettings | null; redisStats: SharedArrayBuffer;
  /** Every worker's warm-up, replacements' too (gateway.warmupRequests); null: none. */
  warmup: WarmUpInit | null;
}

const YOUNG_GENERATION_MB = Number(process.env.OUTPOST_YOUNG_GENERATION_MB ?? 64);
const WORKER_FILE = new URL('../worker/worker-main.js', import.meta.url);
/** How often "no worker accepting for too long" is checked. */
const GUARD_TICK_MS = 1_000;

export function checkWorkerCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new OutpostError('OUTPOST_ERR_WORKER_COUNT_INVALID', `workers: must be a whole number from 1 to ${MAX_WORKERS}, got ${count}`);
  }
}

export class Supervisor {
  private readonly slots: Slot[] = [];
  private readonly firstListen = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private readonly guard: CrashLoopGuard;
  private readonly guardTimer: NodeJS.Timeout;
  private current: TablePublish | null = null;
  /** The HTTPS listener with its newest certificates: what a replacement worker starts with. */
  private https: HttpsInit | null = null;
  /** Every running worker serves `generation` (the primary then reuses older table buffers). */
  onGenerationLive: (generation: number) => void = () => undefined;
  private stopping = false;
  private pingSeq = 0;
  port = 0;
  restartsTotal = 0;
  /** Any phase change (readiness follows it). */
  onChange: () => void = () => undefined;
  /** A worker's telemetry report (every second, and its last one when it exits). */
  onTelemetry: (payload: Uint8Array) => void = () => undefined;
  /** A worker's request-log batch (whole lines); `giveBack(bytes)`, once it is written, returns its buffer to that worker. */
  onRequestLog: (bytes: Uint8Array, lines: number, giveBack: (bytes: Uint8Array) => void) => void = () => undefined;
  /** The workers cannot stay up; called once, after startup (during startup `start` rejects). */
  onCrashLoop: (err: OutpostError) => void = () => undefined;

  /** `cpuFor(index)`: the CPU worker `index` pins itself to (gateway.cpuAffinity), null for none. */
  constructor(private readonly count: number, private readonly faultInjection: boolean, private readonly shared: SharedBuffers, crashLoop: CrashLoopSettings,
    private readonly cpuFor: (index: number) => number | null = () => null) {
    checkWorkerCount(count);
    this.guard = new CrashLoopGuard(crashLoop, Date.now());
    this.guardTimer = setInterval(() => this.observe(), GUARD_TICK_MS);
    this.guardTimer.unref();
  }

  /** Starts every worker on `port`; resolves with the bound port once all accept (replacements included). */
  async start(port: number, table: TablePublish, https: HttpsInit | null = null): Promise<number> {
    this.current = table;
    this.https = https;
    this.port = port;
    // Port 0: the first worker's listen picks the port the others then share. A concrete port:
    // all start at once (each warms up before it listens: in turn, that time would add up).
    const first = port === 0 ? 1 : 0;
    if (first === 1) await this.launch(0);
    await Promise.all(Array.from({ length: this.count - first }, (_, i) => this.launch(first + i)));
    return this.port;
  }

  publish(table: TablePublish): void {
    this.current = table;
    for (const slot of this.slots) if (slot.phase !== 'exited') slot.worker.postMessage(table satisfies PrimaryToWorker);
  }

  /** New HTTPS certificates: every running worker and every later replacement uses them. */
  publishHttps(material: HttpsMaterial): void {
    if (this.https === null) return;
    this.https = { ...this.https, material };
    for (const slot of this.slots) if (slot.phase !== 'exited') slot.worker.postMessage({ type: 'https-certificates', material } satisfies PrimaryToWorker);
  }

  /** Worker phases and the generation each one has applied, for readiness. */
  status(): Array<{ index: number; phase: WorkerPhase; generation: number; restarts: number }> {
    return this.slots.map(({ index, phase, generation, restarts }) => ({ index, phase, generation, restarts }));
  }

  /**
   * Every worker accepts and serves some published generation. Not necessarily the newest: during
   * a rollout workers serve N until they switch to N+1, and either one serves.
   */
  allServing(): boolean {
    return this.slots.length === this.count && this.slots.every((s) => s.phase === 'accepting' && s.generation > 0);
  }

  /** Liveness: false once the crash-loop guard has tripped. */
  liveness(): { live: boolean; reason?: string } {
    const verdict = this.guard.verdict;
    return verdict ? { live: false, reason: verdict.reason } : { live: true };
  }

  /**
   * One liveness round (the systemd watchdog): the workers that have not answered the previous
   * ping, then a new ping to every running worker. A worker started since the previous round was
   * not asked yet and is not counted; an exited one is being replaced (the crash-loop guard
   * watches that). A worker stuck in a busy loop stays in the list until its event loop runs again.
   */
  pingRound(): number[] {
    const silent: number[] = [];
    const seq = ++this.pingSeq;
    for (const slot of this.slots) {
      if (slot.phase === 'exited') continue;
      if (slot.pingSent > slot.pongSeen) silent.push(slot.index);
      slot.pingSent = seq;
      slot.worker.postMessage({ type: 'ping', seq } satisfies PrimaryToWorker);
    }
    return silent;
  }

  /** Fault injection (tests only): make worker `index` throw an uncaught exception. */
  crash(index: number): boolean {
    const slot = this.slots[index];
    if (!this.faultInjection || !slot || slot.phase !== 'accepting') return false;
    slot.worker.postMessage({ type: 'crash' } satisfies PrimaryToWorker);
    return true;
  }

  /** Stops accepting everywhere, lets in-flight requests finish, resolves when all have exited. */
  async drain(graceMs: number): Promise<number> {
    this.stopping = true;
    clearInterval(this.guardTimer);
    let cutOff = 0;
    await Promise.all(this.slots.map((slot) => new Promise<void>((resolve) => {
      if (slot.phase === 'exited') return resolve();
      slot.phase = 'draining';
      slot.worker.on('message', (m: WorkerToPrimary) => { if (m.type === 'drained') cutOff += m.cutOff; });
      slot.worker.once('exit', () => resolve());
      slot.worker.postMessage({ type: 'drain', graceMs } satisfies PrimaryToWorker);
    })));
    return cutOff;
  }

  /** Resolves when slot `index` first accepts, whichever replacement gets there. */
  private launch(index: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstListen.set(index, { resolve, reject });
      this.spawn(index, 0);
    });
  }

  private observe(): void {
    if (this.stopping) return;
    const accepting = this.slots.filter((s) => s.phase === 'accepting').length;
    const verdict = this.guard.observe(accepting, Date.now());
    if (verdict) this.tripped(verdict);
  }

  private tripped(verdict: CrashLoopVerdict): void {
    if (this.stopping) return;
    this.stopping = true; // nothing more is replaced
    clearInterval(this.guardTimer);
    const err = new OutpostError('OUTPOST_ERR_WORKER_CRASH_LOOP', `the workers cannot stay up: ${verdict.reason}; exiting with code 3`, verdict);
    const starting = this.firstListen.size > 0;
    for (const waiter of this.firstListen.values()) waiter.reject(err);
    this.firstListen.clear();
    this.onChange();
    if (!starting) this.onCrashLoop(err);
  }

  /** Logs 'generation live' once every running worker has switched to the newest generation. */
  private applied(slot: Slot, generation: number, buildMs: number): void {
    slot.generation = generation;
    slot.lastBuildMs = buildMs;
    const current = this.current?.generation;
    if (generation !== current) return;
    const running = this.slots.filter((s) => s.phase !== 'exited');
    if (running.length < this.count || !running.every((s) => s.generation === current)) return;
    log('info', 'generation live', { generation, workerBuildMs: running.map((s) => Math.round(s.lastBuildMs * 10) / 10) });
    this.onGenerationLive(generation);
  }

  /** A written request-log batch's buffer goes back to its worker while that worker still runs. */
  private giveBackLogBuffer(slot: Slot, worker: Worker, bytes: Uint8Array): void {
    if (slot.phase === 'exited' || slot.worker !== worker || bytes.byteOffset !== 0) return;
    const buffer = bytes.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== LOG_BATCH_BYTES) return;
    worker.postMessage({ type: 'log-buffer', buffer } satisfies PrimaryToWorker, [buffer]);
  }

  private spawn(index: number, restarts: number): void {
    const init: WorkerInit = { index, port: this.port, table: this.current!, faultInjection: this.faultInjection, cpu: this.cpuFor(index), https: this.https, ...this.shared };
    const slot: Slot = { index, worker: newWorker(init), phase: 'starting', generation: -1, restarts, lastStart: Date.now(), listenFailed: false, lastBuildMs: 0, pingSent: 0, pongSeen: 0 };
    const worker = slot.worker;
    this.slots[index] = slot;
    this.onChange();
    worker.on('message', (m: WorkerToPrimary) => {
      if (m.type === 'request-log') this.onRequestLog(m.bytes, m.lines, (bytes) => this.giveBackLogBuffer(slot, worker, bytes));
      else if (m.type === 'telemetry') this.onTelemetry(m.payload);
      else if (m.type === 'pong') slot.pongSeen = Math.max(slot.pongSeen, m.seq);
      else if (m.type === 'table-applied') { this.applied(slot, m.generation, m.buildMs); this.onChange(); }
      else if (m.type === 'listening') {
        if (this.port === 0) this.port = m.port;
        slot.phase = 'accepting';
        this.firstListen.get(index)?.resolve();
        this.firstListen.delete(index);
        this.observe();
        this.onChange();
      } else if (m.type === 'listen-failed') {
        slot.listenFailed = true;
        this.firstListen.get(index)?.reject(new OutpostError('OUTPOST_ERR_PORT_IN_USE', `worker ${index} could not listen on port ${m.port}`));
        this.firstListen.delete(index);
      }
    });
    worker.on('error', (err) => log('error', 'worker error', { worker: index, error: err.message, stack: err.stack }));
    worker.on('exit', (code) => {
      const wasAccepting = slot.phase === 'accepting' || slot.phase === 'starting';
      slot.phase = 'exited';
      this.onChange();
      if (this.stopping || !wasAccepting || slot.listenFailed || this.slots[index] !== slot) return;
      this.restartsTotal++;
      const verdict = this.guard.recordRestart(index, Date.now());
      if (verdict) return this.tripped(verdict);
      this.observe();
      const quick = Date.now() - slot.lastStart < 10_000;
      const delay = quick ? Math.min(100 * 2 ** Math.min(restarts, 6), 5_000) : 0;
      log('error', 'worker exited unexpectedly; starting a replacement', {
        errorCode: 'OUTPOST_ERR_WORKER_CRASHED', worker: index, exitCode: code, restartInMs: delay,
      });
      setTimeout(() => {
        if (!this.stopping) this.spawn(index, quick ? restarts + 1 : 0);
      }, delay);
    });
  }
}

function newWorker(init: WorkerInit): Worker {
  const options: WorkerOptions = {
    workerData: init, stdout: false, stderr: false,
    // A larger young generation: per-request garbage dies young, and fewer scavenges cost less CPU.
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  };
  // Test only (README, Operations): a module each worker imports before worker-main, so a test
  // can make workers fail at start for real (a module that throws) and exercise the crash-loop guard.
  const preload = process.env.OUTPOST_TEST_WORKER_PRELOAD;
  if (!preload) return new Worker(WORKER_FILE, options);
  const code = `import(${JSON.stringify(pathToFileURL(preload).href)}).then(() => import(${JSON.stringify(WORKER_FILE.href)}))`;
  return new Worker(code, { ...options, eval: true });
}
