/**
 * Readiness means "can serve": some published generation is served by every worker, and the
 * gateway is not draining. A reload does not make a gateway unready: while generation N+1 rolls
 * out (50-100 ms at 5,000 APIs) every worker still serves N or N+1, and both serve.
 * Not ready only when no config has been published (managed mode before the first config),
 * when a worker is not up (starting, crashed, or the crash-loop guard tripped), or when draining.
 *
 * The verdict is also published to the workers (probe-state.ts), because APIM's probe on the
 * API port must follow it: on every phase change, every reload, at shutdown, and on a short
 * timer for what the config source decides on its own (managed mode's first config).
 */
import type { ConfigSource } from './config-source.js';
import type { ConfigState } from './config-state.js';
import type { Supervisor } from './supervisor.js';
import type { ReadinessReport } from './ops-server.js';
import { PROBE_NOT_READY, PROBE_READY, PROBE_SHUTTING_DOWN, storeProbeState } from '../../shared/probe-state.js';

const REFRESH_MS = 250;

export interface ReadinessInputs {
  state: ConfigState;
  supervisor: Supervisor;
  source: ConfigSource;
  probe: SharedArrayBuffer;
  hasConfig(): boolean;
  shuttingDown(): boolean;
  /** Redis detail (never a reason to be unready); null when not configured. */
  redis?(): Record<string, unknown> | null;
}

export class Readiness {
  private timer: NodeJS.Timeout | null = null;
  /** Sees every verdict (the systemd notifier follows readiness through it). */
  onReport: (report: ReadinessReport) => void = () => undefined;

  constructor(private readonly inputs: ReadinessInputs) {}

  /** The /health/ready body; computing it also publishes the verdict to the workers' probe. */
  report(): ReadinessReport {
    const { state, supervisor, source } = this.inputs;
    const workers = supervisor.status();
    const { ready: sourceReady, ...detail } = source.readiness();
    const shuttingDown = this.inputs.shuttingDown();
    const ready = !shuttingDown && this.inputs.hasConfig() && sourceReady !== false && supervisor.allServing();
    storeProbeState(this.inputs.probe, shuttingDown ? PROBE_SHUTTING_DOWN : ready ? PROBE_READY : PROBE_NOT_READY);
    // Workers still switching to the newest generation: detail only, not a reason to be unready.
    const rollingOut = workers.some((w) => w.phase === 'accepting' && w.generation !== state.generation);
    const redis = this.inputs.redis?.() ?? null;
    const report = { ready, generation: state.generation, rollingOut, ...detail, ...(redis ? { redis } : {}), workers, lastReload: state.lastReload, shuttingDown, liveness: supervisor.liveness() };
    this.onReport(report);
    return report;
  }

  /** Re-publish now (a phase change, a reload, shutdown). */
  refresh(): void {
    this.report();
  }

  start(): void {
    this.refresh();
    this.timer ??= setInterval(() => this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
