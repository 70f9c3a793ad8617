/**
 * Managed mode's TelemetrySink: the primary's aggregator hands it per-minute rows every upload
 * interval (10 s, OUTPOST_TELEMETRY_UPLOAD_MS) and it posts them at once to the control plane
 * (POST /gateway/telemetry, msgpack, the gateway token), oldest minutes first, in batches of at
 * most 500 rows; a timer of the same interval retries what could not be sent.
 *
 * While the control plane is unreachable the rows stay in a bounded buffer (telemetry-buffer.ts)
 * and go out when it answers again. A batch that was sent is re-sent unchanged, with the same
 * batch id, until the control plane acknowledges it: a reply lost after the control plane stored
 * the batch cannot make it count twice (the control plane ignores a batch id it has seen).
 * A batch the control plane refuses as invalid (400) or too large (413) would be refused forever,
 * so it is dropped, counted and logged like rows the buffer bound drops.
 */
import { randomUUID } from 'node:crypto';
import { pack } from 'msgpackr';
import { errorFields, log } from '../../shared/log.js';
import type { MinuteAggregate, TelemetrySink } from '../../shared/telemetry-types.js';
import { DEFAULT_LIMITS, TelemetryBuffer, type Batch, type BufferLimits } from './telemetry-buffer.js';
import { DEFAULT_UPLOAD_MS } from '../telemetry/aggregator.js';

/** Batches sent back to back in one tick, so a long outage drains quickly but one tick stays bounded. */
const MAX_BATCHES_PER_TICK = 20;

/** What the uploader posts: ControlPlaneClient.postTelemetry. */
export interface TelemetryPoster { postTelemetry(body: Uint8Array, timeoutMs?: number): Promise<void> }

/** The upload body (msgpack); the control plane's intake schema is in src/control-plane/telemetry-intake.ts. */
export interface TelemetryUpload { nodeId: string; batchId: string; rows: MinuteAggregate[]; dropped: { rows: number; requests: number } }

export interface UploaderStatus { bufferedRows: number; inFlightRows: number; uploadedBatches: number; droppedRows: number; droppedRequests: number; lastError: string | null }

export class TelemetryUploader implements TelemetrySink {
  private readonly buffer: TelemetryBuffer;
  private inFlight: (Batch & { batchId: string }) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;
  private uploadedBatches = 0;
  private lastError: string | null = null;

  constructor(private readonly client: TelemetryPoster, private readonly nodeId: string, private readonly limits: BufferLimits = DEFAULT_LIMITS) {
    this.buffer = new TelemetryBuffer(limits, (d) => log('warn', 'telemetry rows dropped', { ...d }));
  }

  /** The aggregator's hand-off (every upload interval): buffered, then sent at once. */
  add(rows: MinuteAggregate[]): void {
    this.buffer.add(rows, Date.now(), this.inFlight?.rows.length ?? 0);
    if (this.timer) void this.flush();
  }

  /** The timer retries what is held even when no traffic brings new rows (the aggregator hands off nothing then). */
  start(intervalMs = DEFAULT_UPLOAD_MS): void {
    this.stop();
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Sends what is buffered; true when nothing is left. One run at a time: a call during a run waits for it. */
  async flush(): Promise<boolean> {
    if (this.running) return this.running;
    this.running = this.run().finally(() => { this.running = null; });
    return this.running;
  }

  status(): UploaderStatus {
    return {
      bufferedRows: this.buffer.size, inFlightRows: this.inFlight?.rows.length ?? 0, uploadedBatches: this.uploadedBatches,
      droppedRows: this.buffer.droppedTotal.rows, droppedRequests: this.buffer.droppedTotal.requests, lastError: this.lastError,
    };
  }

  /** Prometheus lines for the ops listener's /metrics. */
  metrics(): string[] {
    const s = this.status();
    return [
      '# HELP outpost_telemetry_upload_buffered_rows Per-minute telemetry rows waiting for the control plane.',
      '# TYPE outpost_telemetry_upload_buffered_rows gauge',
      `outpost_telemetry_upload_buffered_rows ${s.bufferedRows + s.inFlightRows}`,
      '# HELP outpost_telemetry_upload_batches_total Telemetry batches the control plane acknowledged.',
      '# TYPE outpost_telemetry_upload_batches_total counter',
      `outpost_telemetry_upload_batches_total ${s.uploadedBatches}`,
      '# HELP outpost_telemetry_upload_dropped_rows_total Telemetry rows dropped (buffer bound, or refused by the control plane).',
      '# TYPE outpost_telemetry_upload_dropped_rows_total counter',
      `outpost_telemetry_upload_dropped_rows_total ${s.droppedRows}`,
      '# HELP outpost_telemetry_upload_dropped_requests_total Requests counted in the dropped telemetry rows.',
      '# TYPE outpost_telemetry_upload_dropped_requests_total counter',
      `outpost_telemetry_upload_dropped_requests_total ${s.droppedRequests}`,
    ];
  }

  private async run(): Promise<boolean> {
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      this.dropStaleInFlight();
      if (!this.inFlight) {
        const batch = this.buffer.takeBatch();
        if (!batch) return true;
        this.inFlight = { ...batch, batchId: randomUUID() };
      }
      const batch = this.inFlight;
      const body: TelemetryUpload = { nodeId: this.nodeId, batchId: batch.batchId, rows: batch.rows, dropped: batch.dropped };
      try {
        await this.client.postTelemetry(pack(body));
        this.inFlight = null;
        this.uploadedBatches++;
        this.lastError = null;
      } catch (err) {
        const status = (err as { details?: { status?: unknown } }).details?.status;
        this.lastError = (err as Error).message;
        if (status === 400 || status === 413) {
          log('error', 'the control plane refused a telemetry batch; its rows are dropped', { rows: batch.rows.length, status, ...errorFields(err), stack: undefined });
          this.inFlight = null;
          this.buffer.dropBatch(batch, `refused by the control plane (${status})`);
          continue;
        }
        // Unreachable, 5xx, 429 or a refused token (renewed by SIGHUP): keep it and try again next tick.
        log('debug', 'telemetry upload failed; kept for the next attempt', { rows: batch.rows.length, buffered: this.buffer.size, ...errorFields(err), stack: undefined });
        return false;
      }
    }
    return this.buffer.size === 0 && this.inFlight === null;
  }

  /** The batch in flight obeys the age bound too, once all of its minutes are past it. */
  private dropStaleInFlight(): void {
    const batch = this.inFlight;
    if (!batch || batch.rows.length === 0) return;
    const newest = Math.max(...batch.rows.map((r) => r.minute));
    if (newest >= Date.now() - this.limits.maxAgeMinutes * 60_000) return;
    this.inFlight = null;
    this.buffer.dropBatch(batch, `older than ${this.limits.maxAgeMinutes} minutes`);
  }
}
