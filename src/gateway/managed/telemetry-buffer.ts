/**
 * The rows waiting for the control plane, bounded. Rows of the same (minute, API, operation)
 * merge into one (counts added, histograms merged), so a node with steady traffic holds one row
 * per minute and operation however long the control plane is away. Past the bound the oldest
 * minutes go first: rows older than `maxAgeMinutes`, then the oldest while more than `maxRows`
 * are held. What is dropped is counted (rows and the requests they held) and handed to the next
 * batch, so the control plane hears of every loss exactly once.
 */
import type { MinuteAggregate } from '../../shared/telemetry-types.js';
import { mergeRows, rowKey } from '../../shared/telemetry-merge.js';

export interface BufferLimits {
  /** Rows held at most (merged rows; one per minute, API and operation). */
  maxRows: number;
  /** Rows of minutes older than this are dropped. */
  maxAgeMinutes: number;
  /** Rows per upload. */
  batchRows: number;
  /** Rough bytes per upload (histogram text dominates); the control plane refuses bodies over 4 MiB. */
  batchBytes: number;
}

export const DEFAULT_LIMITS: BufferLimits = { maxRows: 10_000, maxAgeMinutes: 60, batchRows: 500, batchBytes: 2 * 1024 * 1024 };

export interface Dropped { rows: number; requests: number }
export interface Batch { rows: MinuteAggregate[]; dropped: Dropped }

export class TelemetryBuffer {
  private readonly rows = new Map<string, MinuteAggregate>();
  /** Dropped since the last batch was taken. */
  private dropped: Dropped = { rows: 0, requests: 0 };
  /** Dropped since start (for readiness and /metrics). */
  readonly droppedTotal: Dropped = { rows: 0, requests: 0 };

  constructor(private readonly limits: BufferLimits = DEFAULT_LIMITS, private readonly onDrop: (d: Dropped & { reason: string }) => void = () => {}) {}

  get size(): number {
    return this.rows.size;
  }

  /** Adds rows, merging by key, then applies the bounds. `held` counts rows held elsewhere (the batch in flight). */
  add(rows: readonly MinuteAggregate[], now = Date.now(), held = 0): void {
    for (const row of rows) {
      const key = rowKey(row);
      const known = this.rows.get(key);
      try {
        this.rows.set(key, known ? mergeRows(known, row) : row);
      } catch {
        // A histogram that does not decode cannot be merged (nor would the control plane take it).
        this.drop([row], 'undecodable histogram');
      }
    }
    this.trim(now, held);
  }

  /** Applies the bounds: age first, then count (oldest minutes first). */
  trim(now = Date.now(), held = 0): void {
    const oldest = now - this.limits.maxAgeMinutes * 60_000;
    const stale = [...this.rows.values()].filter((r) => r.minute < oldest);
    if (stale.length > 0) this.remove(stale, `older than ${this.limits.maxAgeMinutes} minutes`);
    const over = this.rows.size + held - this.limits.maxRows;
    if (over > 0) this.remove(this.sorted().slice(0, over), `more than ${this.limits.maxRows} rows buffered`);
  }

  /** Takes the oldest rows for one upload, with the drops not yet reported. */
  takeBatch(): Batch | null {
    if (this.rows.size === 0 && this.dropped.rows === 0) return null;
    const rows: MinuteAggregate[] = [];
    let bytes = 0;
    for (const row of this.sorted()) {
      if (rows.length >= this.limits.batchRows || (rows.length > 0 && bytes >= this.limits.batchBytes)) break;
      rows.push(row);
      bytes += 300 + row.totalHist.length + row.backendHist.length + row.gatewayHist.length;
      this.rows.delete(rowKey(row));
    }
    const batch = { rows, dropped: this.dropped };
    this.dropped = { rows: 0, requests: 0 };
    return batch;
  }

  /** A batch that will never be delivered (refused as invalid, or too old): its rows count as dropped. */
  dropBatch(batch: Batch, reason: string): void {
    this.dropped.rows += batch.dropped.rows;
    this.dropped.requests += batch.dropped.requests;
    this.drop(batch.rows, reason);
  }

  private remove(rows: MinuteAggregate[], reason: string): void {
    for (const r of rows) this.rows.delete(rowKey(r));
    this.drop(rows, reason);
  }

  private drop(rows: readonly MinuteAggregate[], reason: string): void {
    if (rows.length === 0) return;
    const requests = rows.reduce((n, r) => n + r.requests, 0);
    this.dropped.rows += rows.length;
    this.dropped.requests += requests;
    this.droppedTotal.rows += rows.length;
    this.droppedTotal.requests += requests;
    this.onDrop({ rows: rows.length, requests, reason });
  }

  private sorted(): MinuteAggregate[] {
    return [...this.rows.values()].sort((a, b) => a.minute - b.minute);
  }
}
