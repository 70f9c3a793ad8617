/**
 * emit-metric's numbers: sums and counts per (namespace, name, dimensions), kept per worker,
 * sent with each telemetry report as deltas and added up in the primary for /metrics.
 *
 * Bounded both sides: dimension values come from policy expressions (request data), so a worker
 * keeps at most MAX_CUSTOM_SERIES label sets per interval and the primary at most as many in all;
 * past the bound a value is dropped and counted (outpost_custom_metric_dropped_total). Each value
 * is cut at MAX_DIMENSION_VALUE characters.
 */
export const MAX_CUSTOM_SERIES = 1_000;
export const MAX_DIMENSION_VALUE = 128;

export interface CustomMetricDelta {
  namespace: string;
  name: string;
  /** [name, value, name, value, ...] in the policy's order. */
  dimensions: string[];
  sum: number;
  count: number;
}

/** What emit-metric writes to (WorkerServices.metrics). */
export interface CustomMetricSink {
  add(namespace: string, name: string, dimensions: string[], value: number): void;
}

const keyOf = (namespace: string, name: string, dimensions: string[]): string => `${namespace}\u0000${name}\u0000${dimensions.join('\u0000')}`;

/** A bounded table of label sets and their sums and counts. */
export class CustomMetricTable implements CustomMetricSink {
  readonly series = new Map<string, CustomMetricDelta>();
  dropped = 0;

  add(namespace: string, name: string, dimensions: string[], value: number, count = 1): void {
    if (!Number.isFinite(value)) { this.dropped += count; return; }
    const key = keyOf(namespace, name, dimensions);
    let s = this.series.get(key);
    if (s === undefined) {
      if (this.series.size >= MAX_CUSTOM_SERIES) { this.dropped += count; return; }
      s = { namespace, name, dimensions, sum: 0, count: 0 };
      this.series.set(key, s);
    }
    s.sum += value;
    s.count += count;
  }

  /** The worker's deltas since the last call; the table starts empty again. */
  take(): { deltas: CustomMetricDelta[]; dropped: number } {
    const out = { deltas: [...this.series.values()], dropped: this.dropped };
    this.series.clear();
    this.dropped = 0;
    return out;
  }

  /** The primary: adds a worker's deltas to the running totals (still bounded). */
  merge(deltas: readonly CustomMetricDelta[], dropped: number): void {
    this.dropped += dropped;
    for (const d of deltas) this.add(d.namespace, d.name, d.dimensions, d.sum, d.count);
  }
}

/** A Prometheus label name from a dimension name ("API ID" → "api_id"). */
export function labelName(name: string): string {
  const out = name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z_]/.test(out) ? out : `d_${out}`;
}
