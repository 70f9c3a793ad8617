/**
 * The primary's telemetry: takes each worker's report (every second, msgpackr; in parts when it
 * has many busy series, each added as it comes), adds it to the cumulative series /metrics shows
 * and, when a TelemetrySink is attached (managed mode: the control-plane uploader), to the
 * per-minute rows that every upload interval (default 10 s, `OUTPOST_TELEMETRY_UPLOAD_MS`) are
 * handed to the sink. `close()` hands over what is left.
 */
import { unpack } from 'msgpackr';
import type { TelemetryReport } from '../../shared/protocol.js';
import type { TelemetrySink } from '../../shared/telemetry-types.js';
import { errorFields, log } from '../../shared/log.js';
import { PrometheusSeries } from './prometheus-series.js';
import { MinuteRows } from './minute-rows.js';
import { CustomMetricTable } from './custom-metrics.js';
import { decodeDeltaHistograms, type DeltaHistograms } from './hdr.js';

export const DEFAULT_UPLOAD_MS = 10_000;

export function uploadIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OUTPOST_TELEMETRY_UPLOAD_MS;
  const n = raw === undefined || raw === '' ? DEFAULT_UPLOAD_MS : Number(raw);
  return Number.isInteger(n) && n >= 100 && n <= 3_600_000 ? n : DEFAULT_UPLOAD_MS;
}

export interface WorkerLoopDelay { p99Ms: number; maxMs: number }

export class TelemetryAggregator {
  readonly prometheus: PrometheusSeries;
  private readonly rows = new MinuteRows();
  private sink: TelemetrySink | null = null;
  private readonly timer: NodeJS.Timeout;
  /** Per worker index: its event-loop delay over its last reported second. */
  readonly loopDelay = new Map<number, WorkerLoopDelay>();
  requestLogDropped = 0;
  /** The workers' sampled timing of their end-of-request hook (worker-telemetry.ts), summed since start. */
  hookSampledMs = 0;
  hookSamples = 0;
  reportsRejected = 0;
  /** emit-metric's totals since start, bounded (custom-metrics.ts). */
  readonly custom = new CustomMetricTable();

  constructor(buckets: readonly number[], uploadMs = uploadIntervalMs()) {
    this.prometheus = new PrometheusSeries(buckets);
    this.timer = setInterval(() => this.handOff(), uploadMs);
    this.timer.unref();
  }

  /** Managed mode: where the per-minute rows go. */
  attachSink(sink: TelemetrySink): void {
    this.sink = sink;
  }

  setBuckets(buckets: readonly number[]): void {
    this.prometheus.setBuckets(buckets);
  }

  /** A worker's TelemetryMessage payload. A report that does not decode is counted, never thrown. */
  ingest(payload: Uint8Array): void {
    let report: TelemetryReport;
    try {
      report = unpack(payload) as TelemetryReport;
      if (typeof report !== 'object' || report === null || !Array.isArray(report.series)) throw new Error('not a telemetry report');
    } catch (err) {
      this.reportsRejected++;
      log('warn', 'telemetry report did not decode', errorFields(err));
      return;
    }
    // Only the part that ends a worker's interval carries its loop delay (WorkerTelemetry.reportPart).
    if (typeof report.loopDelayP99Ms === 'number' && typeof report.loopDelayMaxMs === 'number') {
      this.loopDelay.set(report.worker, { p99Ms: report.loopDelayP99Ms, maxMs: report.loopDelayMaxMs });
    }
    this.requestLogDropped += report.requestLogDropped;
    if (typeof report.hookSampledMs === 'number' && typeof report.hookSamples === 'number') {
      this.hookSampledMs += report.hookSampledMs;
      this.hookSamples += report.hookSamples;
    }
    if (Array.isArray(report.custom)) this.custom.merge(report.custom, report.customDropped ?? 0);
    for (const delta of report.series) {
      let hists: DeltaHistograms;
      try {
        hists = decodeDeltaHistograms(delta);
      } catch (err) {
        this.reportsRejected++;
        log('warn', 'telemetry series did not decode', { apiId: String(delta.apiId), operationId: String(delta.operationId), ...errorFields(err) });
        continue;
      }
      this.prometheus.add(delta, hists);
      if (this.sink !== null) this.rows.add(report.at, delta, hists);
    }
  }

  /** Hands the rows since the last hand-off to the sink (a sink that throws loses nothing else). */
  handOff(): void {
    if (this.sink === null || this.rows.size === 0) return;
    const rows = this.rows.take();
    try {
      this.sink.add(rows);
    } catch (err) {
      log('error', 'telemetry sink failed', { rows: rows.length, ...errorFields(err) });
    }
  }

  /** Shutdown: the last rows go to the sink now. */
  close(): void {
    clearInterval(this.timer);
    this.handOff();
  }
}
