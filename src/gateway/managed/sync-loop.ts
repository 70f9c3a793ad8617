/**
 * The config sync loop: one request at a time, a long poll (`wait=30`) so a change arrives in
 * about a second, and never more than one check per sync interval (10 s) when the control plane
 * answers early (one that does not long-poll is then simply checked every 10 s). While the
 * control plane is unreachable it retries with jittered exponential backoff; the gateway keeps
 * serving from memory all along, since workers never wait on this loop.
 */
import type { ConfigFetch, ControlPlaneClient } from './control-plane-client.js';
import type { ManagedSettings } from './managed-settings.js';

export interface SyncHandlers {
  etag(): string | null;
  onConfig(fetched: Extract<ConfigFetch, { status: 200 }>): Promise<void>;
  onNotModified(): void;
  onFailure(err: unknown, attempt: number, retryInMs: number): void;
  onRecovered(failedAttempts: number, outageMs: number): void;
}

const BACKOFF_BASE_MS = 500;

/** Equal jitter: half fixed, half random, so retries spread out but never collapse to zero. */
export function backoffDelay(attempt: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class SyncLoop {
  private stopped = false;
  private inFlight: AbortController | null = null;
  private wakeSleep: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly client: ControlPlaneClient, private readonly settings: () => ManagedSettings, private readonly handlers: SyncHandlers) {}

  start(): void {
    this.done ??= this.run();
  }

  /** Abandon the current wait or poll and check now (SIGHUP: a new token or endpoint). */
  wake(): void {
    this.inFlight?.abort();
    this.wakeSleep?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let outageStart = 0;
    while (!this.stopped) {
      const s = this.settings();
      const started = Date.now();
      const controller = new AbortController();
      this.inFlight = controller;
      try {
        const fetched = await this.client.fetchConfig({
          etag: this.handlers.etag(), waitSeconds: s.longPollSeconds, timeoutMs: (s.longPollSeconds + 15) * 1000, signal: controller.signal,
        });
        if (failures > 0) this.handlers.onRecovered(failures, Date.now() - outageStart);
        failures = 0;
        if (fetched.status === 200) { await this.handlers.onConfig(fetched); continue; }
        this.handlers.onNotModified();
        await this.sleep(s.syncIntervalMs - (Date.now() - started));
      } catch (err) {
        if (this.stopped) break;
        if (controller.signal.aborted) continue;
        if (failures === 0) outageStart = started;
        failures++;
        const delay = backoffDelay(failures, s.retryMaxMs);
        this.handlers.onFailure(err, failures, delay);
        await this.sleep(delay);
      } finally {
        this.inFlight = null;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wakeSleep = () => { this.wakeSleep = null; done(); };
    });
  }
}
