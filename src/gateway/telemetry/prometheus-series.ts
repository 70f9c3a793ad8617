/**
 * The primary's cumulative view for /metrics: per (API, operation) the requests by status, the
 * byte counters and three latency histograms in Prometheus buckets. Worker deltas are added as
 * they arrive (each HDR delta is walked once: its recorded values go into the buckets, which are
 * exact to the histograms' 1% value resolution). Label sets are bounded like the workers' (past
 * MAX_SERIES they share api="*" operation="*"). New buckets (`gateway.telemetry.buckets` changed
 * on reload) restart the histograms; counters keep counting.
 */
import type { SeriesDelta } from '../../shared/protocol.js';
import type { SparseHistogram } from '../../shared/hdr-sparse.js';
import type { DeltaHistograms } from './hdr.js';
import { MAX_SERIES } from './worker-telemetry.js';
import { ERRORS } from '../../shared/errors.js';

/** Label values stay bounded: only codes of the table become `code` labels. */
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(ERRORS));

export class LatencyHistogram {
  /** Per bucket (not cumulative); the last one is +Inf. */
  counts: Float64Array;
  count = 0;
  sumSeconds = 0;

  constructor(private boundsUs: Float64Array) { this.counts = new Float64Array(boundsUs.length + 1); }

  /** An interval's counts (null: the interval had none, as a backend histogram without backend calls). */
  add(h: SparseHistogram | null, sumUs: number): void {
    if (h === null) return;
    const bounds = this.boundsUs;
    for (let k = 0; k < h.indices.length; k++) {
      const valueUs = h.shape.medianEquivalentValue(h.indices[k]);
      let i = 0;
      while (i < bounds.length && valueUs > bounds[i]) i++;
      this.counts[i] += h.counts[k];
    }
    this.count += h.totalCount;
    this.sumSeconds += sumUs / 1e6;
  }

  rebucket(boundsUs: Float64Array): void {
    this.boundsUs = boundsUs;
    this.counts = new Float64Array(boundsUs.length + 1);
    this.count = 0;
    this.sumSeconds = 0;
  }
}

export class SeriesTotals {
  readonly statuses = new Map<number, number>();
  /** By OUTPOST_ERR_* code (the workers count only codes of the coded-error table). */
  readonly errorCodes = new Map<string, number>();
  /** By cache result (hit, miss). */
  readonly cache = new Map<string, number>();
  requestBytes = 0;
  responseBytes = 0;
  readonly total: LatencyHistogram;
  readonly backend: LatencyHistogram;
  readonly gateway: LatencyHistogram;

  constructor(readonly apiId: string, readonly operationId: string, boundsUs: Float64Array) {
    this.total = new LatencyHistogram(boundsUs);
    this.backend = new LatencyHistogram(boundsUs);
    this.gateway = new LatencyHistogram(boundsUs);
  }
}

export class PrometheusSeries {
  readonly series = new Map<string, SeriesTotals>();
  private boundsUs: Float64Array;

  constructor(public bucketsSeconds: readonly number[]) { this.boundsUs = toMicros(bucketsSeconds); }

  setBuckets(bucketsSeconds: readonly number[]): void {
    if (sameNumbers(bucketsSeconds, this.bucketsSeconds)) return;
    this.bucketsSeconds = bucketsSeconds;
    this.boundsUs = toMicros(bucketsSeconds);
    for (const s of this.series.values()) for (const h of [s.total, s.backend, s.gateway]) h.rebucket(this.boundsUs);
  }

  add(d: SeriesDelta, hists: DeltaHistograms): void {
    const s = this.totalsFor(d.apiId, d.operationId);
    for (let i = 0; i < d.statuses.length; i += 2) s.statuses.set(d.statuses[i], (s.statuses.get(d.statuses[i]) ?? 0) + d.statuses[i + 1]);
    for (const [code, n] of Object.entries(d.errorCodes)) if (KNOWN_CODES.has(code)) s.errorCodes.set(code, (s.errorCodes.get(code) ?? 0) + n);
    for (const [result, n] of Object.entries(d.cache)) if (result === 'hit' || result === 'miss') s.cache.set(result, (s.cache.get(result) ?? 0) + n);
    s.requestBytes += d.requestBytes;
    s.responseBytes += d.responseBytes;
    s.total.add(hists.total, d.totalSumUs);
    s.backend.add(hists.backend, d.backendSumUs);
    s.gateway.add(hists.gateway, d.gatewaySumUs);
  }

  private totalsFor(apiId: string, operationId: string): SeriesTotals {
    const key = `${apiId}\n${operationId}`;
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= MAX_SERIES && key !== '*\n*') return this.totalsFor('*', '*');
      s = new SeriesTotals(apiId, operationId, this.boundsUs);
      this.series.set(key, s);
    }
    return s;
  }
}

function toMicros(seconds: readonly number[]): Float64Array {
  return Float64Array.from(seconds, (s) => Math.round(s * 1e6));
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
