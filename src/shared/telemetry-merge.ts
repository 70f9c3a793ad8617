/**
 * Adding one MinuteAggregate delta to another of the same (minute, apiId, operationId): counts
 * summed, count maps summed key by key, histograms merged (decoded, added, encoded again). The
 * gateway's uploader uses it to fold rows together while the control plane is away; the control
 * plane to fold each upload into what it stores.
 */
import type { MinuteAggregate } from './telemetry-types.js';
import { mergeEncoded } from './telemetry-histogram.js';

export type CountMap = Record<string, number>;

/** The key rows merge under: one row per minute, API and operation. */
export function rowKey(row: Pick<MinuteAggregate, 'minute' | 'apiId' | 'operationId'>): string {
  // JSON keeps ids containing any separator apart.
  return JSON.stringify([row.minute, row.apiId, row.operationId]);
}

export function addCounts(into: CountMap, add: CountMap): CountMap {
  const out: CountMap = { ...into };
  for (const [key, n] of Object.entries(add)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** A new row: `a` plus `b` (same key). Neither input is changed. */
export function mergeRows(a: MinuteAggregate, b: MinuteAggregate): MinuteAggregate {
  return {
    minute: a.minute, apiId: a.apiId, operationId: a.operationId,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    statuses: addCounts(a.statuses, b.statuses),
    errorCodes: addCounts(a.errorCodes, b.errorCodes),
    cache: addCounts(a.cache, b.cache),
    requestBytes: a.requestBytes + b.requestBytes,
    responseBytes: a.responseBytes + b.responseBytes,
    totalHist: mergeEncoded([a.totalHist, b.totalHist]),
    backendHist: mergeEncoded([a.backendHist, b.backendHist]),
    gatewayHist: mergeEncoded([a.gatewayHist, b.gatewayHist]),
  };
}
