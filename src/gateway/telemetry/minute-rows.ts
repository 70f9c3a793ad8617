/**
 * Per-minute rows for the TelemetrySink (src/shared/telemetry-types.ts): the worker deltas of one
 * upload interval, summed per (minute, API, operation), histograms merged (HDR add, so the
 * receiver's percentiles are true percentiles). `take()` hands the rows over and starts afresh:
 * each row is a delta the receiver adds to what it has.
 */
import type { MinuteAggregate } from '../../shared/telemetry-types.js';
import type { SeriesDelta } from '../../shared/protocol.js';
import { MergedHistogram } from '../../shared/telemetry-histogram.js';
import type { DeltaHistograms } from './hdr.js';

interface OpenRow {
  row: MinuteAggregate;
  total: MergedHistogram;
  backend: MergedHistogram;
  gateway: MergedHistogram;
}

export class MinuteRows {
  private readonly open = new Map<string, OpenRow>();

  get size(): number { return this.open.size; }

  add(atMs: number, d: SeriesDelta, hists: DeltaHistograms): void {
    const minute = Math.floor(atMs / 60_000) * 60_000;
    const key = `${minute}\n${d.apiId}\n${d.operationId}`;
    let r = this.open.get(key);
    if (r === undefined) {
      r = {
        row: {
          minute, apiId: d.apiId, operationId: d.operationId, requests: 0, errors: 0, statuses: {}, errorCodes: {}, cache: {},
          requestBytes: 0, responseBytes: 0, totalHist: '', backendHist: '', gatewayHist: '',
        },
        total: new MergedHistogram(), backend: new MergedHistogram(), gateway: new MergedHistogram(),
      };
      this.open.set(key, r);
    }
    const row = r.row;
    row.requests += d.requests;
    row.errors += d.errors;
    for (let i = 0; i < d.statuses.length; i += 2) addTo(row.statuses, String(d.statuses[i]), d.statuses[i + 1]);
    for (const [code, n] of Object.entries(d.errorCodes)) addTo(row.errorCodes, code, n);
    for (const [result, n] of Object.entries(d.cache)) addTo(row.cache, result, n);
    row.requestBytes += d.requestBytes;
    row.responseBytes += d.responseBytes;
    r.total.add(hists.total);
    if (hists.backend !== null) r.backend.add(hists.backend);
    r.gateway.add(hists.gateway);
  }

  /** The rows since the last call, histograms encoded; empties the set. */
  take(): MinuteAggregate[] {
    const rows: MinuteAggregate[] = [];
    for (const r of this.open.values()) {
      r.row.totalHist = r.total.encode();
      r.row.backendHist = r.backend.encode();
      r.row.gatewayHist = r.gateway.encode();
      rows.push(r.row);
    }
    this.open.clear();
    return rows;
  }
}

function addTo(counts: Record<string, number>, key: string, n: number): void {
  counts[key] = (counts[key] ?? 0) + n;
}
