/**
 * Where configs come from. The primary does not care: a source hands it candidates (already
 * parsed and validated, or the problems with their field paths) and the primary compiles,
 * publishes and tells the source how it went (a file source hands over the file itself, which the
 * compiler thread loads). Two sources exist: a local file (standalone mode)
 * and a control plane with a backup file (managed mode, src/gateway/managed/).
 */
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { TelemetrySink } from '../../shared/telemetry-types.js';

export type CandidateResult =
  | { ok: true; config: GatewayConfig; sourceHash: string; timings?: Record<string, number> }
  | { ok: false; problems: ConfigProblem[]; sourceHash: string | null }
  /**
   * A config file not yet read: the compiler thread reads, parses and validates it (a large file
   * would block the primary's event loop for seconds), so problems come back from compilation.
   */
  | { ok: 'file'; file: string };

export interface ConfigCandidate {
  /** Why it arrived: 'startup', 'file-change', 'SIGHUP', 'control-plane', 'backup'. */
  trigger: string;
  result: CandidateResult;
  /** When the source hash equals the running config's, nothing is compiled (outcome 'unchanged'). */
  skipIfUnchanged: boolean;
  /** Added to the primary's log lines about this candidate: `{ file }` or `{ revision }`. */
  origin: Record<string, unknown>;
}

export type ApplyOutcome =
  | { status: 'published'; generation: number }
  | { status: 'unchanged'; generation: number }
  | { status: 'rejected'; problems: ConfigProblem[] };

export type ApplyConfig = (candidate: ConfigCandidate) => Promise<ApplyOutcome>;

export interface ConfigSource {
  readonly kind: 'file' | 'managed';
  /**
   * The config to start with. `null` means there is none yet: the gateway starts serving 404s,
   * reports not-ready, and waits for the source to deliver one. A file source never returns null.
   */
  initial(): Promise<ConfigCandidate | null>;
  /** From now on deliver changes through `apply`; `first` is what became of the initial candidate. */
  start(apply: ApplyConfig, first: ApplyOutcome | null): void;
  /**
   * SIGHUP: re-read whatever the source reads (the config file; the env file and its token).
   * Settles (never rejects) when that reload is over, applied or not: systemd hears READY=1 then.
   */
  sighup(): Promise<void>;
  /** Detail merged into /health/ready; `ready: false` here holds readiness down. */
  readiness(): Record<string, unknown>;
  /** Extra Prometheus lines for /metrics. */
  metrics(): string[];
  /** Where the telemetry aggregator hands its per-minute rows (managed mode: the control-plane uploader). */
  readonly telemetrySink?: TelemetrySink;
  /** At shutdown, after close() and the aggregator's last hand-off: deliver what the sink holds (bounded wait). */
  flushTelemetry?(): Promise<void>;
  close(): Promise<void>;
}
