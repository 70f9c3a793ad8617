/**
 * GET /analytics?gatewayId=&apiId=&operationId=&minutes=N (admin token): the last N minutes
 * (the current one included) of what gateways uploaded, as totals and one entry per minute.
 * Every percentile is read from the merge of the stored histograms it covers (each minute's rows
 * merged for the series; all rows merged for the totals, per node and per API), never from an
 * average of percentiles. An id parameter that is absent does not filter; one that is present
 * filters by its exact value (`apiId=` is the requests that matched no API).
 */
import type { AnalyticsStore, StoredRow } from './analytics-store.js';
import type { CountMap } from '../shared/telemetry-merge.js';
import { MergedHistogram, type SparseHistogram } from '../shared/telemetry-histogram.js';

export const DEFAULT_MINUTES = 60;
/** A month of minutes: the longest window one query reads. */
export const MAX_MINUTES = 31 * 24 * 60;

export interface AnalyticsQuery { gatewayId?: string; apiId?: string; operationId?: string; minutes: number }

/** Counts and percentiles of a set of rows (a minute, a node, an API or the whole window). */
class Summary {
  requests = 0; errors = 0; requestBytes = 0; responseBytes = 0;
  statuses: CountMap = {}; errorCodes: CountMap = {}; cache: CountMap = {};
  readonly total = new MergedHistogram();
  readonly backend = new MergedHistogram();
  readonly gateway = new MergedHistogram();

  add(row: StoredRow, hists: { total: SparseHistogram; backend: SparseHistogram; gateway: SparseHistogram }): void {
    this.requests += row.requests; this.errors += row.errors;
    this.requestBytes += row.requestBytes; this.responseBytes += row.responseBytes;
    addInto(this.statuses, row.statuses);
    addInto(this.errorCodes, row.errorCodes);
    addInto(this.cache, row.cache);
    this.total.add(hists.total); this.backend.add(hists.backend); this.gateway.add(hists.gateway);
  }

  view(): Record<string, unknown> {
    const hits = this.cache.hit ?? 0;
    const lookups = hits + (this.cache.miss ?? 0);
    return {
      requests: this.requests, errors: this.errors,
      p50Ms: this.total.percentileMs(50), p95Ms: this.total.percentileMs(95), p99Ms: this.total.percentileMs(99),
      backendP50Ms: this.backend.percentileMs(50), backendP95Ms: this.backend.percentileMs(95), backendP99Ms: this.backend.percentileMs(99),
      gatewayP50Ms: this.gateway.percentileMs(50), gatewayP95Ms: this.gateway.percentileMs(95), gatewayP99Ms: this.gateway.percentileMs(99),
      requestBytes: this.requestBytes, responseBytes: this.responseBytes,
      statuses: this.statuses, errorCodes: this.errorCodes, cache: this.cache,
      cacheHitRatio: lookups === 0 ? null : Math.round((hits / lookups) * 10_000) / 10_000,
    };
  }
}

/** The query from URL parameters, or the problem with its parameter name. */
export function parseAnalyticsQuery(params: URLSearchParams): { ok: true; query: AnalyticsQuery } | { ok: false; path: string; message: string } {
  const raw = params.get('minutes');
  const minutes = raw === null ? DEFAULT_MINUTES : /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(minutes >= 1 && minutes <= MAX_MINUTES)) return { ok: false, path: 'minutes', message: `must be a whole number from 1 to ${MAX_MINUTES}, got "${raw}"` };
  const query: AnalyticsQuery = { minutes };
  for (const name of ['gatewayId', 'apiId', 'operationId'] as const) {
    const value = params.get(name);
    if (value === null) continue;
    if (value.length > 256) return { ok: false, path: name, message: 'must be at most 256 characters' };
    query[name] = value;
  }
  return { ok: true, query };
}

export function runAnalyticsQuery(store: AnalyticsStore, q: AnalyticsQuery, now = Date.now()): Record<string, unknown> {
  const current = Math.floor(now / 60_000) * 60_000;
  const fromMinute = current - (q.minutes - 1) * 60_000;
  const totals = new Summary();
  const perMinute = new Map<number, Summary>();
  const perNode = new Map<string, Summary>();
  const perApi = new Map<string, Summary>();
  const perOperation = new Map<string, Summary>();
  for (const row of store.rows({ ...q, fromMinute })) {
    const hists = { total: row.totalHist, backend: row.backendHist, gateway: row.gatewayHist };
    totals.add(row, hists);
    summaryOf(perMinute, row.minute).add(row, hists);
    summaryOf(perNode, JSON.stringify([row.gatewayId, row.nodeId])).add(row, hists);
    summaryOf(perApi, row.apiId).add(row, hists);
    if (q.apiId !== undefined) summaryOf(perOperation, row.operationId).add(row, hists);
  }
  const empty = new Summary().view();
  const series = [];
  for (let minute = fromMinute; minute <= current; minute += 60_000) {
    series.push({ minute, ...(perMinute.get(minute)?.view() ?? empty) });
  }
  const dropped = store.dropped({ gatewayId: q.gatewayId, fromMinute });
  return {
    window: { from: fromMinute, to: current + 60_000, minutes: q.minutes },
    totals: totals.view(),
    series,
    nodes: [...perNode].map(([key, s]) => {
      const [gatewayId, nodeId] = JSON.parse(key) as [string, string];
      return { gatewayId, nodeId, ...pick(s.view()) };
    }),
    apis: [...perApi].map(([apiId, s]) => ({ apiId, ...pick(s.view()) })),
    ...(q.apiId !== undefined ? { operations: [...perOperation].map(([operationId, s]) => ({ operationId, ...pick(s.view()) })) } : {}),
    dropped: { rows: dropped.reduce((n, d) => n + d.rows, 0), requests: dropped.reduce((n, d) => n + d.requests, 0), byNode: dropped },
  };
}

function summaryOf<K>(map: Map<K, Summary>, key: K): Summary {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Summary()));
  return s;
}

/** The breakdown tables carry the headline numbers only. */
function pick(v: Record<string, unknown>): Record<string, unknown> {
  const { requests, errors, p50Ms, p95Ms, p99Ms, backendP99Ms, gatewayP99Ms, cacheHitRatio } = v;
  return { requests, errors, p50Ms, p95Ms, p99Ms, backendP99Ms, gatewayP99Ms, cacheHitRatio };
}

/** Adds in place: a query adds every row to four summaries, so no copies. */
function addInto(into: CountMap, add: CountMap): void {
  for (const key in add) into[key] = (into[key] ?? 0) + add[key];
}
