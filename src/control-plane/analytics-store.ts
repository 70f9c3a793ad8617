/**
 * Analytics rows: one per minute, gateway, node, API and operation, each upload added to the row
 * it falls in (counts summed, histograms merged) in one transaction. They live in their own SQLite
 * file beside the config store (analytics.db): telemetry is written every few seconds by every
 * node and purged by age, while the config store is small and changes by hand; keeping them apart
 * keeps the config store's file, its WAL and its backups small, and a purge never holds the lock
 * a config write needs.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { addCounts } from '../shared/telemetry-merge.js';
import type { MinuteAggregate } from '../shared/telemetry-types.js';
import { packSparse, unpackSparse, type SparseHistogram } from '../shared/hdr-sparse.js';
import { addSparse } from '../shared/telemetry-histogram.js';

export const DEFAULT_RETENTION_DAYS = 7;
export const MAX_RETENTION_DAYS = 366;
const BATCH_ID_TTL_MS = 24 * 3600 * 1000;

/** A row with its histograms decoded (the intake decodes them to check them; the store keeps them so). */
export type AnalyticsRow = Omit<MinuteAggregate, 'totalHist' | 'backendHist' | 'gatewayHist'> & { totalHist: SparseHistogram; backendHist: SparseHistogram; gatewayHist: SparseHistogram };
export interface StoredRow extends AnalyticsRow { gatewayId: string; nodeId: string }
export interface RowFilter { gatewayId?: string; apiId?: string; operationId?: string; fromMinute: number }
export interface DroppedReport { gatewayId: string; nodeId: string; rows: number; requests: number }

interface DbRow {
  minute: number; gateway_id: string; node_id: string; api_id: string; operation_id: string;
  requests: number; errors: number; request_bytes: number; response_bytes: number;
  statuses: string; error_codes: string; cache: string; total_hist: Buffer; backend_hist: Buffer; gateway_hist: Buffer;
}

const COLUMNS = 'minute, gateway_id, node_id, api_id, operation_id, requests, errors, request_bytes, response_bytes, statuses, error_codes, cache, total_hist, backend_hist, gateway_hist';

export class AnalyticsStore {
  private readonly db: Database.Database;
  private readonly selectOne: Database.Statement;
  private readonly upsert: Database.Statement;

  constructor(dataDir: string, readonly retentionDays = DEFAULT_RETENTION_DAYS) {
    this.db = new Database(join(dataDir, 'analytics.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS minutes (
        minute INTEGER NOT NULL, gateway_id TEXT NOT NULL, node_id TEXT NOT NULL, api_id TEXT NOT NULL, operation_id TEXT NOT NULL,
        requests INTEGER NOT NULL, errors INTEGER NOT NULL, request_bytes INTEGER NOT NULL, response_bytes INTEGER NOT NULL,
        statuses TEXT NOT NULL, error_codes TEXT NOT NULL, cache TEXT NOT NULL,
        -- Histograms as uncompressed sparse counts (hdr-sparse.ts packSparse): read with no inflate.
        total_hist BLOB NOT NULL, backend_hist BLOB NOT NULL, gateway_hist BLOB NOT NULL,
        PRIMARY KEY (gateway_id, minute, node_id, api_id, operation_id));
      CREATE INDEX IF NOT EXISTS minutes_by_minute ON minutes (minute);
      -- Rows a gateway node reported it had to drop (its buffer bound), by the minute they were reported.
      -- Batch ids taken in, so a batch re-sent after a lost reply is not added twice, even across a restart.
      CREATE TABLE IF NOT EXISTS batches (gateway_id TEXT NOT NULL, node_id TEXT NOT NULL, batch_id TEXT NOT NULL, received INTEGER NOT NULL,
        PRIMARY KEY (gateway_id, node_id, batch_id));
      CREATE INDEX IF NOT EXISTS batches_by_received ON batches (received);
      CREATE TABLE IF NOT EXISTS dropped (minute INTEGER NOT NULL, gateway_id TEXT NOT NULL, node_id TEXT NOT NULL,
        rows INTEGER NOT NULL, requests INTEGER NOT NULL, PRIMARY KEY (gateway_id, minute, node_id));
    `);
    this.selectOne = this.db.prepare(`SELECT ${COLUMNS} FROM minutes WHERE gateway_id = ? AND minute = ? AND node_id = ? AND api_id = ? AND operation_id = ?`);
    this.upsert = this.db.prepare(`INSERT INTO minutes (${COLUMNS}) VALUES (@minute, @gateway_id, @node_id, @api_id, @operation_id, @requests, @errors,
      @request_bytes, @response_bytes, @statuses, @error_codes, @cache, @total_hist, @backend_hist, @gateway_hist)
      ON CONFLICT (gateway_id, minute, node_id, api_id, operation_id) DO UPDATE SET requests = excluded.requests, errors = excluded.errors,
      request_bytes = excluded.request_bytes, response_bytes = excluded.response_bytes, statuses = excluded.statuses, error_codes = excluded.error_codes,
      cache = excluded.cache, total_hist = excluded.total_hist, backend_hist = excluded.backend_hist, gateway_hist = excluded.gateway_hist`);
  }

  /**
   * Adds one node's upload (rows already validated) in one transaction: all of it is stored, or
   * none. False (nothing added) when this node's batch id was taken in before.
   */
  add(gatewayId: string, nodeId: string, batchId: string, rows: readonly AnalyticsRow[], dropped: { rows: number; requests: number }, now = Date.now()): boolean {
    return this.db.transaction(() => {
      const fresh = this.db.prepare('INSERT OR IGNORE INTO batches (gateway_id, node_id, batch_id, received) VALUES (?, ?, ?, ?)').run(gatewayId, nodeId, batchId, now).changes > 0;
      if (!fresh) return false;
      for (const row of rows) {
        const old = this.selectOne.get(gatewayId, row.minute, nodeId, row.apiId, row.operationId) as DbRow | undefined;
        const merged = old ? addRows(fromDb(old), row) : row;
        this.upsert.run(toDb(gatewayId, nodeId, merged));
      }
      if (dropped.rows > 0 || dropped.requests > 0) {
        this.db.prepare(`INSERT INTO dropped (minute, gateway_id, node_id, rows, requests) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (gateway_id, minute, node_id) DO UPDATE SET rows = rows + excluded.rows, requests = requests + excluded.requests`)
          .run(Math.floor(now / 60_000) * 60_000, gatewayId, nodeId, dropped.rows, dropped.requests);
      }
      return true;
    })();
  }

  /** Rows from `fromMinute` on, oldest first, narrowed by whichever ids the filter names. */
  rows(filter: RowFilter): StoredRow[] {
    const { where, params } = whereClause(filter);
    return (this.db.prepare(`SELECT ${COLUMNS} FROM minutes WHERE ${where} ORDER BY minute`).all(...params) as DbRow[]).map(fromDb);
  }

  /** Requests and errors of one gateway since `fromMinute` (a sum: no histogram is read). */
  totalsSince(gatewayId: string, fromMinute: number): { requests: number; errors: number } {
    const r = this.db.prepare('SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors FROM minutes WHERE gateway_id = ? AND minute >= ?')
      .get(gatewayId, fromMinute) as { requests: number; errors: number };
    return { requests: r.requests, errors: r.errors };
  }

  /** Drops reported since `fromMinute`, summed per gateway node. */
  dropped(filter: Pick<RowFilter, 'gatewayId' | 'fromMinute'>): DroppedReport[] {
    const { where, params } = whereClause(filter);
    return (this.db.prepare(`SELECT gateway_id, node_id, SUM(rows) AS rows, SUM(requests) AS requests FROM dropped WHERE ${where} GROUP BY gateway_id, node_id ORDER BY gateway_id, node_id`)
      .all(...params) as Array<{ gateway_id: string; node_id: string; rows: number; requests: number }>)
      .map((r) => ({ gatewayId: r.gateway_id, nodeId: r.node_id, rows: r.rows, requests: r.requests }));
  }

  /** Deletes rows older than the retention, and batch ids older than a day; returns the rows deleted. */
  purge(now = Date.now()): number {
    const cutoff = now - this.retentionDays * 24 * 3600 * 1000;
    return this.db.transaction(() => {
      // A gateway re-sends a batch for as long as it holds it (60 minutes at most): a day is ample.
      this.db.prepare('DELETE FROM batches WHERE received < ?').run(now - BATCH_ID_TTL_MS);
      return this.db.prepare('DELETE FROM minutes WHERE minute < ?').run(cutoff).changes
        + this.db.prepare('DELETE FROM dropped WHERE minute < ?').run(cutoff).changes;
    })();
  }

  close(): void {
    this.db.close();
  }
}

function whereClause(filter: Partial<RowFilter> & { fromMinute: number }): { where: string; params: Array<string | number> } {
  const parts = ['minute >= ?'];
  const params: Array<string | number> = [filter.fromMinute];
  if (filter.gatewayId !== undefined) { parts.push('gateway_id = ?'); params.push(filter.gatewayId); }
  if (filter.apiId !== undefined) { parts.push('api_id = ?'); params.push(filter.apiId); }
  if (filter.operationId !== undefined) { parts.push('operation_id = ?'); params.push(filter.operationId); }
  return { where: parts.join(' AND '), params };
}

/** `a` plus `b` (same key): counts summed, histograms merged. */
function addRows(a: AnalyticsRow, b: AnalyticsRow): AnalyticsRow {
  return {
    minute: a.minute, apiId: a.apiId, operationId: a.operationId,
    requests: a.requests + b.requests, errors: a.errors + b.errors,
    statuses: addCounts(a.statuses, b.statuses), errorCodes: addCounts(a.errorCodes, b.errorCodes), cache: addCounts(a.cache, b.cache),
    requestBytes: a.requestBytes + b.requestBytes, responseBytes: a.responseBytes + b.responseBytes,
    totalHist: addSparse(a.totalHist, b.totalHist), backendHist: addSparse(a.backendHist, b.backendHist), gatewayHist: addSparse(a.gatewayHist, b.gatewayHist),
  };
}

function toDb(gatewayId: string, nodeId: string, r: AnalyticsRow): DbRow {
  return {
    minute: r.minute, gateway_id: gatewayId, node_id: nodeId, api_id: r.apiId, operation_id: r.operationId,
    requests: r.requests, errors: r.errors, request_bytes: r.requestBytes, response_bytes: r.responseBytes,
    statuses: JSON.stringify(r.statuses), error_codes: JSON.stringify(r.errorCodes), cache: JSON.stringify(r.cache),
    total_hist: packSparse(r.totalHist), backend_hist: packSparse(r.backendHist), gateway_hist: packSparse(r.gatewayHist),
  };
}

function fromDb(r: DbRow): StoredRow {
  return {
    minute: r.minute, gatewayId: r.gateway_id, nodeId: r.node_id, apiId: r.api_id, operationId: r.operation_id,
    requests: r.requests, errors: r.errors, requestBytes: r.request_bytes, responseBytes: r.response_bytes,
    statuses: JSON.parse(r.statuses) as Record<string, number>, errorCodes: JSON.parse(r.error_codes) as Record<string, number>,
    cache: JSON.parse(r.cache) as Record<string, number>,
    totalHist: unpackSparse(r.total_hist), backendHist: unpackSparse(r.backend_hist), gatewayHist: unpackSparse(r.gateway_hist),
  };
}
