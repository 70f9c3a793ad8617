/**
 * Prometheus text (format 0.0.4) of the request telemetry: requests by status, byte counters and
 * the three latency histograms per API and operation, worker event-loop delay and dropped
 * request-log lines. Label values are API and operation ids (or "" / "*") and status codes only,
 * escaped as the format requires (backslash, double quote, newline).
 */
import type { TelemetryAggregator } from './aggregator.js';
import type { LatencyHistogram, SeriesTotals } from './prometheus-series.js';

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(s: SeriesTotals): string {
  return `api="${escapeLabelValue(s.apiId)}",operation="${escapeLabelValue(s.operationId)}"`;
}

const HISTOGRAMS = [
  ['outpost_request_duration_seconds', 'Time from the request head to the end of the response, per API and operation.', 'total'],
  ['outpost_backend_duration_seconds', 'Time from dispatch to the backend to the end of its response, per API and operation.', 'backend'],
  ['outpost_gateway_duration_seconds', 'Gateway overhead: request time minus backend time, per API and operation.', 'gateway'],
] as const;

function histogramLines(out: string[], name: string, l: string, h: LatencyHistogram, bounds: readonly number[]): void {
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += h.counts[i];
    out.push(`${name}_bucket{${l},le="${bounds[i]}"} ${cumulative}`);
  }
  out.push(`${name}_bucket{${l},le="+Inf"} ${h.count}`);
  out.push(`${name}_sum{${l}} ${h.sumSeconds}`);
  out.push(`${name}_count{${l}} ${h.count}`);
}

export function renderTelemetry(t: TelemetryAggregator): string {
  const all = [...t.prometheus.series.values()];
  const bounds = t.prometheus.bucketsSeconds;
  const out: string[] = [
    '# HELP outpost_requests_total Requests answered, by API, operation and the status sent to the client (api="" for requests that matched no API).',
    '# TYPE outpost_requests_total counter',
  ];
  for (const s of all) {
    const l = labels(s);
    for (const [status, n] of [...s.statuses].sort((a, b) => a[0] - b[0])) out.push(`outpost_requests_total{${l},status="${status}"} ${n}`);
  }
  for (const [name, help, which] of HISTOGRAMS) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const s of all) histogramLines(out, name, labels(s), s[which], bounds);
  }
  out.push('# HELP outpost_request_errors_total Gateway-coded errors (OUTPOST_ERR_*) sent to clients, per API, operation and code.', '# TYPE outpost_request_errors_total counter');
  for (const s of all) for (const [code, n] of s.errorCodes) out.push(`outpost_request_errors_total{${labels(s)},code="${code}"} ${n}`);
  out.push('# HELP outpost_cache_results_total Cache policy results per API, operation and result (hit, miss).', '# TYPE outpost_cache_results_total counter');
  for (const s of all) for (const [result, n] of s.cache) out.push(`outpost_cache_results_total{${labels(s)},result="${result}"} ${n}`);
  out.push('# HELP outpost_request_bytes_total Request bytes received (head and body), per API and operation.', '# TYPE outpost_request_bytes_total counter');
  for (const s of all) out.push(`outpost_request_bytes_total{${labels(s)}} ${s.requestBytes}`);
  out.push('# HELP outpost_response_bytes_total Response bytes sent (head and body), per API and operation.', '# TYPE outpost_response_bytes_total counter');
  for (const s of all) out.push(`outpost_response_bytes_total{${labels(s)}} ${s.responseBytes}`);
  out.push('# HELP outpost_worker_event_loop_delay_seconds Event-loop delay of each worker over its last reported second.', '# TYPE outpost_worker_event_loop_delay_seconds gauge');
  for (const [worker, d] of [...t.loopDelay].sort((a, b) => a[0] - b[0])) {
    out.push(`outpost_worker_event_loop_delay_seconds{worker="${worker}",quantile="0.99"} ${d.p99Ms / 1000}`);
    out.push(`outpost_worker_event_loop_delay_seconds{worker="${worker}",quantile="1"} ${d.maxMs / 1000}`);
  }
  out.push('# HELP outpost_request_log_dropped_total Request-log lines dropped because a worker\'s batch was full.', '# TYPE outpost_request_log_dropped_total counter',
    `outpost_request_log_dropped_total ${t.requestLogDropped}`);
  // What telemetry costs, measured by the workers themselves: the end-of-request hook (metrics and
  // the request-log line) timed on one request in 64; sum / count is its mean per request.
  out.push('# HELP outpost_telemetry_hook_seconds Time the workers spent in their end-of-request telemetry hook (metrics and the request-log line), over a sample of one request in 64.',
    '# TYPE outpost_telemetry_hook_seconds summary',
    `outpost_telemetry_hook_seconds_sum ${t.hookSampledMs / 1000}`,
    `outpost_telemetry_hook_seconds_count ${t.hookSamples}`);
  customMetricLines(out, t);
  return out.join('\n') + '\n';
}

/** emit-metric's series: `namespace` and `name` labels, then the policy's dimensions. */
function customMetricLines(out: string[], t: TelemetryAggregator): void {
  out.push('# HELP outpost_custom_metric_sum Sum of the values emit-metric added, by namespace, name and dimensions.', '# TYPE outpost_custom_metric_sum counter');
  const series = [...t.custom.series.values()];
  const labelsOf = (s: (typeof series)[number]): string => {
    let l = `namespace="${escapeLabelValue(s.namespace)}",name="${escapeLabelValue(s.name)}"`;
    for (let i = 0; i < s.dimensions.length; i += 2) l += `,${s.dimensions[i]}="${escapeLabelValue(s.dimensions[i + 1])}"`;
    return l;
  };
  for (const s of series) out.push(`outpost_custom_metric_sum{${labelsOf(s)}} ${s.sum}`);
  out.push('# HELP outpost_custom_metric_count Values emit-metric added, by namespace, name and dimensions.', '# TYPE outpost_custom_metric_count counter');
  for (const s of series) out.push(`outpost_custom_metric_count{${labelsOf(s)}} ${s.count}`);
  out.push('# HELP outpost_custom_metric_dropped_total emit-metric values dropped: past the bound on label sets, or not a number.', '# TYPE outpost_custom_metric_dropped_total counter',
    `outpost_custom_metric_dropped_total ${t.custom.dropped}`);
}
