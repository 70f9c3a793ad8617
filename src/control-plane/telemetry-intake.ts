/**
 * POST /gateway/telemetry (GatewayKey auth, checked by gateway-api.ts): one node's batch of
 * per-minute rows, msgpack. Everything is checked before anything is stored (body size, shape,
 * id lengths, counts as non-negative integers, every histogram decoded within its bounds), so a
 * bad upload is a 400 naming the field path and stores nothing. A batch id seen before for the
 * same node is acknowledged again without being added twice (the gateway re-sends a batch whose
 * reply it lost); the ids are stored with the rows, so this holds across a restart. Node ids count
 * against the gateway's node bound as heartbeats do (nodes.ts): a token holder cannot make up
 * endless node ids to fill the store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { unpack } from 'msgpackr';
import { z } from 'zod';
import { log } from '../shared/log.js';
import { decodeHistogram, HistogramDecodeError, MAX_HISTOGRAM_CHARS } from '../shared/telemetry-histogram.js';
import type { SparseHistogram } from '../shared/hdr-sparse.js';
import type { AnalyticsRow, AnalyticsStore } from './analytics-store.js';
import { readBytes, sendError } from './http-util.js';

/** The gateway sends at most 500 rows in about 2 MiB; these bounds leave room and stop abuse. */
export const MAX_TELEMETRY_BYTES = 4 * 1024 * 1024;
export const MAX_ROWS_PER_UPLOAD = 2_000;
const MAX_ID_CHARS = 256;
const MAX_MAP_KEYS = 64;
/** Gateway clocks may run a little ahead of ours; a row further in the future is refused. */
const MAX_FUTURE_MS = 5 * 60_000;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const id = z.string().max(MAX_ID_CHARS).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
const countMap = (key: RegExp, what: string) => z.record(z.string().regex(key, `keys must be ${what}`), count)
  .refine((m) => Object.keys(m).length <= MAX_MAP_KEYS, `at most ${MAX_MAP_KEYS} keys`);
const histogram = z.string().max(MAX_HISTOGRAM_CHARS);

const rowSchema = z.object({
  minute: z.number().int().min(0).refine((m) => m % 60_000 === 0, 'must be the start of a minute (unix ms, a multiple of 60000)'),
  apiId: id,
  operationId: id,
  requests: count,
  errors: count,
  statuses: countMap(/^[1-9]\d\d$/, '3-digit status codes'),
  errorCodes: countMap(/^OUTPOST_ERR_[A-Z0-9_]{1,80}$/, 'OUTPOST_ERR_* codes'),
  cache: countMap(/^[a-z][a-z0-9-]{0,31}$/, 'short lower-case words'),
  requestBytes: count,
  responseBytes: count,
  totalHist: histogram,
  backendHist: histogram,
  gatewayHist: histogram,
}).refine((r) => r.errors <= r.requests, { message: 'errors must not exceed requests', path: ['errors'] });

const uploadSchema = z.object({
  nodeId: z.string().min(1).max(200),
  batchId: z.string().min(1).max(64),
  rows: z.array(rowSchema).max(MAX_ROWS_PER_UPLOAD),
  dropped: z.object({ rows: count, requests: count }).default({ rows: 0, requests: 0 }),
});

export type TelemetryUploadBody = Omit<z.infer<typeof uploadSchema>, 'rows'> & { rows: AnalyticsRow[] };
export interface Problem { path: string; message: string }

/** The upload as stored, or the problems with their field paths. */
export function parseUpload(bytes: Buffer, now = Date.now(), oldestMinute = 0): { ok: true; upload: TelemetryUploadBody } | { ok: false; problems: Problem[] } {
  let decoded: unknown;
  try {
    decoded = unpack(bytes);
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `the body is not msgpack: ${(err as Error).message}` }] };
  }
  const parsed = uploadSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })) };
  const problems: Problem[] = [];
  const rows: AnalyticsRow[] = [];
  parsed.data.rows.forEach((row, i) => {
    if (row.minute > now + MAX_FUTURE_MS) problems.push({ path: `rows.${i}.minute`, message: 'is in the future' });
    const decode = (field: 'totalHist' | 'backendHist' | 'gatewayHist'): SparseHistogram | undefined => {
      try {
        return decodeHistogram(row[field]);
      } catch (err) {
        if (!(err instanceof HistogramDecodeError)) throw err;
        problems.push({ path: `rows.${i}.${field}`, message: `not a valid HDR histogram: ${err.message}` });
        return undefined;
      }
    };
    const totalHist = decode('totalHist');
    const backendHist = decode('backendHist');
    const gatewayHist = decode('gatewayHist');
    // Minutes already past the retention would be purged at once: acknowledged, not stored.
    if (totalHist && backendHist && gatewayHist && row.minute >= oldestMinute) rows.push({ ...row, totalHist, backendHist, gatewayHist });
  });
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 20) };
  return { ok: true, upload: { ...parsed.data, rows } };
}

export class TelemetryIntake {
  /** Told of each stored upload (for /metrics). */
  onUpload: (rows: number) => void = () => {};

  constructor(private readonly analytics: AnalyticsStore) {}

  /** `admit` says whether the node may report (the per-gateway node bound); when not, it has answered. */
  async handle(req: IncomingMessage, res: ServerResponse, gatewayId: string, admit: (nodeId: string) => boolean): Promise<void> {
    const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
    const bytes = await readBytes(req, MAX_TELEMETRY_BYTES);
    if (type !== 'application/msgpack') return invalid(res, [{ path: '', message: 'the content type must be application/msgpack' }]);
    const now = Date.now();
    const parsed = parseUpload(bytes, now, now - this.analytics.retentionDays * 24 * 3600 * 1000);
    if (!parsed.ok) {
      log('warn', 'a telemetry upload was refused', { gatewayId, errorCode: 'OUTPOST_ERR_TELEMETRY_INVALID', problems: parsed.problems.slice(0, 5) });
      return invalid(res, parsed.problems);
    }
    const { nodeId, batchId, rows, dropped } = parsed.upload;
    if (!admit(nodeId)) return;
    if (this.analytics.add(gatewayId, nodeId, batchId, rows, dropped, now)) {
      this.onUpload(rows.length);
      if (dropped.rows > 0) log('warn', 'a gateway node dropped telemetry rows while the control plane was away', { gatewayId, nodeId, rows: dropped.rows, requests: dropped.requests });
    }
    res.writeHead(204).end();
  }
}

function invalid(res: ServerResponse, problems: Problem[]): void {
  sendError(res, 'OUTPOST_ERR_TELEMETRY_INVALID', undefined, { problems });
}
