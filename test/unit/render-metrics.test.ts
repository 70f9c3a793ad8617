/** /metrics text of the request telemetry: label values escaped so a parser reads them back exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { TelemetryAggregator } from '../../src/gateway/telemetry/aggregator.js';
import { renderTelemetry } from '../../src/gateway/telemetry/render-metrics.js';
import { IntervalHistogram } from '../../src/gateway/telemetry/interval-histogram.js';
import type { TelemetryReport } from '../../src/shared/protocol.js';
import { Metrics } from '../support/prometheus.js';

test('operation ids with quotes, backslashes and newlines survive the text format', () => {
  const h = new IntervalHistogram();
  h.record(1500);
  const hist = h.encode();
  const odd = 'say "hi"\\now\nnext';
  const report: TelemetryReport = {
    worker: 0, at: Date.now(), loopDelayP99Ms: 0, loopDelayMaxMs: 0, requestLogDropped: 3,
    series: [{
      apiId: 'api-1', operationId: odd, requests: 1, errors: 0, statuses: [201, 1], errorCodes: { OUTPOST_ERR_RATE_LIMITED: 1, 'not a code': 5 }, cache: { hit: 1 },
      requestBytes: 10, responseBytes: 20, totalSumUs: 1500, backendSumUs: 0, gatewaySumUs: 1500, totalHist: hist, backendHist: null, gatewayHist: hist,
    }],
  };
  const agg = new TelemetryAggregator([0.001, 0.002], 3_600_000);
  agg.ingest(new Uint8Array(pack(report)));
  agg.close();
  const m = new Metrics(renderTelemetry(agg));
  assert.equal(m.value('outpost_requests_total', { api: 'api-1', operation: odd, status: '201' }), 1);
  const total = m.histogram('outpost_request_duration_seconds', { operation: odd })!;
  assert.deepEqual(total.les, ['0.001', '0.002', '+Inf']);
  assert.deepEqual(total.buckets, { 0.001: 0, 0.002: 1, '+Inf': 1 });
  assert.equal(total.sum, 0.0015);
  assert.equal(m.histogram('outpost_backend_duration_seconds', { operation: odd })!.count, 0);
  // Only codes of the coded-error table become labels.
  assert.deepEqual(m.family('outpost_request_errors_total').metrics.map((s) => s.labels?.code), ['OUTPOST_ERR_RATE_LIMITED']);
  assert.equal(m.value('outpost_cache_results_total', { result: 'hit' }), 1);
  assert.equal(m.value('outpost_request_log_dropped_total'), 3);
});
