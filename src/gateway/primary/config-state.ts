/**
 * The primary's view of configuration: the live generation and what happened to the last reload.
 * Reloads are serialised: a change that arrives while one is compiling runs right after it.
 */
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { TablePublish } from '../../shared/protocol.js';

export interface ReloadOutcome {
  ok: boolean;
  at: string;
  generation: number;
  problems?: ConfigProblem[];
}

export class ConfigState {
  generation = 0;
  config: GatewayConfig | null = null;
  sourceHash: string | null = null;
  table: TablePublish | null = null;
  lastReload: ReloadOutcome | null = null;
  reloadFailures = 0;
  reloads = 0;
  private running: Promise<void> | null = null;
  private again = false;

  /** Runs `job` now, or once more after the running one if called while it runs. */
  serialise(job: () => Promise<void>): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      do { this.again = false; await job(); } while (this.again);
      this.running = null;
    })();
    return this.running;
  }
}
