/**
 * The primary's view of configuration: the live generation and what happened to the last reload.
 * (Reloads are serialised by gateway-main's apply chain.)
 */
import type { ConfigProblem, GatewaySettings } from '../../shared/config-schema.js';

export interface ReloadOutcome {
  ok: boolean;
  at: string;
  generation: number;
  problems?: ConfigProblem[];
}

export class ConfigState {
  generation = 0;
  /**
   * The live config's gateway settings. Only these: the whole validated config of 50,000 APIs is
   * hundreds of MB of objects, and the primary needs none of it once the table is compiled.
   */
  settings: GatewaySettings | null = null;
  sourceHash: string | null = null;
  lastReload: ReloadOutcome | null = null;
  reloadFailures = 0;
  reloads = 0;

  /** A config that was not published: counted, and shown in readiness and metrics. */
  recordRejection(problems: ConfigProblem[], generation = this.generation): void {
    this.reloadFailures++;
    this.lastReload = { ok: false, at: new Date().toISOString(), generation, problems };
  }
}
