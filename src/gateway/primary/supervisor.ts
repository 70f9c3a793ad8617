/**
 * Starts, replaces and drains the request workers. The first worker binds the port (so port 0
 * resolves to one real port); the others join it through SO_REUSEPORT. A worker that exits when
 * it was not asked to is logged and replaced, with a growing delay if it keeps crashing.
 */
import { Worker } from 'node:worker_threads';
import type { PrimaryToWorker, TablePublish, WorkerInit, WorkerToPrimary } from '../../shared/protocol.js';
import { OutpostError } from '../../shared/errors.js';
import { log } from '../../shared/log.js';

export type WorkerPhase = 'starting' | 'accepting' | 'draining' | 'exited';

interface Slot {
  index: number;
  worker: Worker;
  phase: WorkerPhase;
  generation: number;
  restarts: number;
  lastStart: number;
  /** How long the worker took to build its view of the generation it applied last. */
  lastBuildMs: number;
}

const YOUNG_GENERATION_MB = Number(process.env.OUTPOST_YOUNG_GENERATION_MB ?? 64);
const WORKER_FILE = new URL('../worker/worker-main.js', import.meta.url);

export class Supervisor {
  private readonly slots: Slot[] = [];
  private current: TablePublish | null = null;
  private stopping = false;
  port = 0;
  restartsTotal = 0;

  constructor(private readonly count: number, private readonly faultInjection: boolean, private readonly counters: SharedArrayBuffer, private readonly gauges: SharedArrayBuffer) {}

  /** Starts every worker on `port`; resolves with the bound port once all accept. */
  async start(port: number, table: TablePublish): Promise<number> {
    this.current = table;
    this.port = port;
    await this.spawn(0, 0);
    await Promise.all(Array.from({ length: this.count - 1 }, (_, i) => this.spawn(i + 1, 0)));
    return this.port;
  }

  publish(table: TablePublish): void {
    this.current = table;
    for (const slot of this.slots) if (slot.phase !== 'exited') slot.worker.postMessage(table satisfies PrimaryToWorker);
  }

  /** Worker phases and the generation each one has applied, for readiness. */
  status(): Array<{ index: number; phase: WorkerPhase; generation: number; restarts: number }> {
    return this.slots.map(({ index, phase, generation, restarts }) => ({ index, phase, generation, restarts }));
  }

  allAccepting(generation: number): boolean {
    return this.slots.length === this.count && this.slots.every((s) => s.phase === 'accepting' && s.generation === generation);
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

  /** Logs 'generation live' once every running worker has switched to the newest generation. */
  private applied(slot: Slot, generation: number, buildMs: number): void {
    slot.generation = generation;
    slot.lastBuildMs = buildMs;
    const current = this.current?.generation;
    if (generation !== current) return;
    const running = this.slots.filter((s) => s.phase !== 'exited');
    if (running.length < this.count || !running.every((s) => s.generation === current)) return;
    log('info', 'generation live', { generation, workerBuildMs: running.map((s) => Math.round(s.lastBuildMs * 10) / 10) });
  }

  private spawn(index: number, restarts: number): Promise<void> {
    const init: WorkerInit = { index, port: this.port, table: this.current!, faultInjection: this.faultInjection, counters: this.counters, gauges: this.gauges };
    const worker = new Worker(WORKER_FILE, {
      workerData: init, stdout: false, stderr: false,
      // A larger young generation: per-request garbage dies young, and fewer scavenges cost less CPU.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    const slot: Slot = { index, worker, phase: 'starting', generation: -1, restarts, lastStart: Date.now(), lastBuildMs: 0 };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      worker.on('message', (m: WorkerToPrimary) => {
        if (m.type === 'table-applied') this.applied(slot, m.generation, m.buildMs);
        else if (m.type === 'listening') {
          if (this.port === 0) this.port = m.port;
          slot.phase = 'accepting';
          resolve();
        } else if (m.type === 'listen-failed') {
          reject(new OutpostError('OUTPOST_ERR_PORT_IN_USE', `worker ${index} could not listen on port ${m.port}`));
        }
      });
      worker.on('error', (err) => log('error', 'worker error', { worker: index, error: err.message, stack: err.stack }));
      worker.on('exit', (code) => {
        const wasAccepting = slot.phase === 'accepting' || slot.phase === 'starting';
        slot.phase = 'exited';
        if (this.stopping || !wasAccepting || this.slots[index] !== slot) return;
        this.restartsTotal++;
        const quick = Date.now() - slot.lastStart < 10_000;
        const delay = quick ? Math.min(100 * 2 ** Math.min(restarts, 6), 5_000) : 0;
        log('error', 'worker exited unexpectedly; starting a replacement', {
          errorCode: 'OUTPOST_ERR_WORKER_CRASHED', worker: index, exitCode: code, restartInMs: delay,
        });
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn(index, quick ? restarts + 1 : 0).catch((err) => log('error', 'replacement worker failed to start', { worker: index, error: String(err) }));
        }, delay);
      });
    });
  }
}
