/**
 * The config sync loop: one request at a time, a long poll (`wait=30`) so a change arrives in
 * about a second, and never more than one check per sync interval (10 s) when the control plane
 * answers early (one that does not long-poll is then simply checked every 10 s). The gateway
 * keeps serving from memory all along, since workers never wait on this loop.
 *
 * While the control plane is unreachable each retry is a quick check (no long poll) on a short
 * jittered backoff (1 s, doubling, 5 s at most by default): a retry that long-polled would be
 * held by a control plane that is back for up to 30 s before anyone noticed, and the outage
 * logged would grow by that much. The outage runs from the first failure seen to the first
 * success; then long polling resumes at once.
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

const BACKOFF_BASE_MS = 1_000;
/** A quick check while disconnected: connect timeout (5 s, client) plus a little for the answer. */
const PROBE_TIMEOUT_MS = 7_000;

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

  /** `downSince`: the control plane already failed (at startup) at this time; begin with quick checks. */
  start(downSince: number | null = null): void {
    this.done ??= this.run(downSince);
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

  private async run(downSince: number | null): Promise<void> {
    let failures = downSince === null ? 0 : 1;
    let outageStart = downSince ?? 0;
    while (!this.stopped) {
      const s = this.settings();
      const started = Date.now();
      const controller = new AbortController();
      this.inFlight = controller;
      const probing = failures > 0;
      try {
        const fetched = await this.client.fetchConfig({
          etag: this.handlers.etag(),
          waitSeconds: probing ? 0 : s.longPollSeconds,
          timeoutMs: probing ? PROBE_TIMEOUT_MS : (s.longPollSeconds + 15) * 1000,
          signal: controller.signal,
        });
        if (probing) this.handlers.onRecovered(failures, Date.now() - outageStart);
        failures = 0;
        if (fetched.status === 200) { await this.handlers.onConfig(fetched); continue; }
        this.handlers.onNotModified();
        if (!probing) await this.sleep(s.syncIntervalMs - (Date.now() - started));
      } catch (err) {
        if (this.stopped) break;
        if (controller.signal.aborted) continue;
        // When the failure was seen, not when the request began: a long poll may have begun 30 s ago.
        if (failures === 0) outageStart = Date.now();
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
