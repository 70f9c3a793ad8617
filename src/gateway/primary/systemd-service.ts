/**
 * The gateway's side of the systemd notify protocol (Type=notify; config/systemd/), only when
 * $NOTIFY_SOCKET is set:
 *   READY=1      the first time readiness holds: a config is published and every worker listens
 *   STATUS=…     whenever the one-line summary changes (generation, workers, config file or sync state)
 *   WATCHDOG=1   every half $WATCHDOG_USEC, only while every worker answered the previous liveness
 *                ping: a worker stuck in a busy loop stops it, and systemd restarts the service
 *   RELOADING=1 + MONOTONIC_USEC on SIGHUP, READY=1 once the reload is applied (or rejected: the
 *                running config stays, and STATUS says so)
 *   STOPPING=1   when the drain starts
 */
import type { ReadinessReport } from './ops-server.js';
import type { Readiness } from './readiness.js';
import type { Supervisor } from './supervisor.js';
import { monotonicUsec, SdNotify } from './sd-notify.js';
import { nativeAddon } from '../native.js';
import { errorFields, log } from '../../shared/log.js';

/** STATUS= is shown by `systemctl status`: one short line. */
const MAX_STATUS_CHARS = 400;

export class SystemdService {
  private readySent = false;
  private reloads = 0;
  private stopped = false;
  private lastStatus = '';
  private watchdog: NodeJS.Timeout | null = null;
  private silent: number[] = [];

  /**
   * `pingWorkers`: one liveness round; returns the workers that did not answer the previous one.
   * `readinessNow`: the current verdict, for the READY=1 that ends a reload.
   */
  constructor(private readonly notify: SdNotify, private readonly pingWorkers: () => number[], private readonly readinessNow: () => ReadinessReport) {}

  /**
   * The notifier, following `readiness` from now on (READY=1 as soon as it holds); null when the
   * gateway does not run under systemd's notify protocol ($NOTIFY_SOCKET unset) or has no addon.
   */
  static attach(readiness: Readiness, supervisor: Supervisor, env: NodeJS.ProcessEnv = process.env): SystemdService | null {
    const notify = SdNotify.fromEnv(env, nativeAddon());
    if (notify === null) return null;
    const service = new SystemdService(notify, () => supervisor.pingRound(), () => readiness.report());
    readiness.onReport = (report) => service.observe(report);
    return service;
  }

  /** SIGHUP: RELOADING=1 now, READY=1 once `run` (the config source's reload) settles. */
  async reload(run: () => Promise<void>): Promise<void> {
    this.reloading();
    try {
      await run();
    } catch (err) {
      log('error', 'SIGHUP reload failed', errorFields(err));
    }
    this.reloaded(this.readinessNow());
  }

  /** Every readiness verdict comes through here (Readiness.onReport), on changes and on its timer. */
  observe(report: ReadinessReport): void {
    if (this.stopped) return;
    const status = statusLine(report);
    if (!this.readySent && report.ready) {
      this.readySent = true;
      this.lastStatus = status;
      this.notify.send(['READY=1', `STATUS=${status}`]);
      log('info', 'systemd notified: ready', { notifySocket: this.notify.socket, watchdogIntervalMs: this.notify.watchdogIntervalMs });
      this.startWatchdog();
    } else if (status !== this.lastStatus && this.reloads === 0) {
      this.lastStatus = status;
      this.notify.send([`STATUS=${status}`]);
    }
  }

  /** Before the first READY=1 there is nothing to reload in systemd's eyes. */
  private reloading(): void {
    if (this.stopped || !this.readySent) return;
    this.reloads++;
    this.notify.send(['RELOADING=1', `MONOTONIC_USEC=${monotonicUsec()}`, 'STATUS=reloading']);
  }

  /** The SIGHUP reload is over (applied or rejected); `report` is readiness now. */
  private reloaded(report: ReadinessReport): void {
    if (this.stopped || this.reloads === 0) return;
    this.reloads--;
    if (this.reloads > 0) return; // another SIGHUP's reload is still running: one READY=1 at the end
    this.lastStatus = statusLine(report);
    this.notify.send(['READY=1', `STATUS=${this.lastStatus}`]);
  }

  /** The drain starts: no more watchdog pings (systemd's stop timeout applies now). */
  stopping(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.notify.send(['STOPPING=1', `STATUS=draining (${reason})`]);
  }

  private startWatchdog(): void {
    const interval = this.notify.watchdogIntervalMs;
    if (interval === null) return;
    const round = () => {
      const silent = this.pingWorkers();
      if (silent.length === 0) this.notify.send(['WATCHDOG=1']);
      if (silent.join() !== this.silent.join()) {
        if (silent.length > 0) log('error', 'workers do not answer the liveness ping: the systemd watchdog is not fed', { workers: silent });
        else log('info', 'every worker answers the liveness ping again: the systemd watchdog is fed', { workers: this.silent });
      }
      this.silent = silent;
    };
    round();
    this.watchdog = setInterval(round, interval);
    this.watchdog.unref();
  }
}

/** One line for STATUS=: readiness, generation, workers, and where the config comes from. */
export function statusLine(report: ReadinessReport): string {
  const parts: string[] = [];
  const generation = Number(report.generation);
  const reason = typeof report.reason === 'string' ? `: ${report.reason}` : '';
  parts.push(report.ready ? `serving generation ${generation}` : `not ready${reason}`);
  if (Array.isArray(report.workers)) {
    const workers = report.workers as Array<{ phase?: unknown }>;
    parts.push(`${workers.filter((w) => w.phase === 'accepting').length}/${workers.length} workers accepting`);
  }
  if (typeof report.configFile === 'string') parts.push(`config ${report.configFile}`);
  const managed = report.managed as { servingFrom?: unknown; configRevision?: unknown; controlPlane?: { connected?: unknown } } | undefined;
  if (managed) {
    const connected = managed.controlPlane?.connected;
    const link = connected === true ? 'connected' : connected === false ? 'unreachable' : 'not reached yet';
    parts.push(`control plane ${link}, revision ${String(managed.configRevision ?? 'none')}, serving from ${String(managed.servingFrom ?? 'nothing yet')}`);
  }
  const last = report.lastReload as { ok?: unknown; problems?: unknown[] } | null | undefined;
  if (last && last.ok === false) parts.push(`last config rejected (${last.problems?.length ?? 0} problem(s)), generation ${generation} stays`);
  const line = parts.join('; ').replace(/[\r\n]+/g, ' ');
  return line.length > MAX_STATUS_CHARS ? line.slice(0, MAX_STATUS_CHARS - 1) + '…' : line;
}
