/**
 * Synthetic telemetry rows (MinuteAggregate) built from latency samples in microseconds, as the
 * gateway's aggregator produces them, plus a client for the control plane's intake and its
 * /analytics answer.
 */
import * as hdr from 'hdr-histogram-js';
import { pack } from 'msgpackr';
import type { MinuteAggregate } from '../../src/shared/telemetry-types.js';
import type { ControlPlaneProcess } from './control-plane-process.js';

export function histogramOf(samplesUs: readonly number[]): string {
  const h = hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  for (const v of samplesUs) h.recordValue(v);
  return hdr.encodeIntoCompressedBase64(h);
}

export function currentMinute(now = Date.now()): number {
  return Math.floor(now / 60_000) * 60_000;
}

/** A row whose every request took `totalUs[i]` in all, of which `backendShare` in the backend. */
export function row(fields: Partial<MinuteAggregate> & { totalUs: number[]; backendShare?: number; errors?: number }): MinuteAggregate {
  const { totalUs, backendShare = 0.8, ...rest } = fields;
  const backendUs = totalUs.map((t) => Math.max(1, Math.round(t * backendShare)));
  const errors = fields.errors ?? 0;
  return {
    minute: currentMinute(), apiId: 'orders', operationId: 'get',
    requests: totalUs.length, errors,
    statuses: { 200: totalUs.length - errors, ...(errors > 0 ? { 502: errors } : {}) },
    errorCodes: errors > 0 ? { OUTPOST_ERR_BACKEND_UNREACHABLE: errors } : {},
    cache: {}, requestBytes: 100 * totalUs.length, responseBytes: 1000 * totalUs.length,
    totalHist: histogramOf(totalUs),
    backendHist: histogramOf(backendUs),
    gatewayHist: histogramOf(totalUs.map((t, i) => Math.max(1, t - backendUs[i]))),
    ...rest,
  };
}

/** Deterministic pseudo-random latencies (µs) around `centreUs`, with a tail. */
export function latencies(n: number, centreUs: number, seed = 1): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    out.push(Math.round(centreUs * (0.5 + u) * (u > 0.97 ? 8 : 1)));
  }
  return out;
}

/** Posts one upload body the way the gateway does (msgpack, GatewayKey). */
export async function postTelemetry(cp: ControlPlaneProcess, token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(cp.url('/gateway/telemetry'), {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/msgpack', ...headers },
    body: new Uint8Array(body instanceof Uint8Array ? body : pack(body)),
  });
}

export async function gatewayToken(cp: ControlPlaneProcess, gatewayId: string): Promise<string> {
  const created = await cp.admin('PUT', `/gateways/${gatewayId}`, { name: gatewayId });
  if (created.status !== 201) throw new Error(`gateway ${gatewayId}: ${created.status} ${JSON.stringify(created.body)}`);
  const t = await cp.admin('POST', `/gateways/${gatewayId}/token`, { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
  return t.body.value as string;
}

export interface AnalyticsAnswer {
  totals: { requests: number; errors: number; p50Ms: number; p95Ms: number; p99Ms: number; backendP99Ms: number; [k: string]: unknown };
  series: Array<{ minute: number; requests: number; errors: number; p50Ms: number; p95Ms: number; p99Ms: number; backendP99Ms: number }>;
  nodes: Array<{ nodeId: string; requests: number }>;
  apis: Array<{ apiId: string; requests: number }>;
  dropped: { rows: number; requests: number };
}

export async function analytics(cp: ControlPlaneProcess, query: string): Promise<AnalyticsAnswer> {
  const r = await cp.admin('GET', `/analytics?${query}`);
  if (r.status !== 200) throw new Error(`/analytics?${query}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as AnalyticsAnswer;
}
