/**
 * One label set (API, operation) of a worker's telemetry: counters and three HDR histograms of
 * the requests since the last report. Recording writes numbers into fields, a typed array and
 * the histograms: nothing is allocated per request. `takeDelta` turns the interval into a
 * SeriesDelta and resets; a slot idle for a minute frees its histograms (WASM memory) until its
 * next request, so memory follows the busy operations, not every operation ever seen.
 */
import type { ClientResponse } from '../../http1/server/client-response.js';
import type { SeriesDelta } from '../../shared/protocol.js';
import { ERRORS, type ErrorCode } from '../../shared/errors.js';
import { encodeDelta, recordingHistogram, toMicros, type Histogram } from './hdr.js';

/** Reports (seconds) without a request after which a slot's histograms are freed. */
const IDLE_REPORTS_BEFORE_RELEASE = 60;
/** Status codes index a typed array; anything outside 100..999 is counted as 999. */
const STATUS_SLOTS = 1000;

export class SeriesSlot {
  requests = 0;
  errors = 0;
  requestBytes = 0;
  responseBytes = 0;
  totalSumUs = 0;
  backendSumUs = 0;
  gatewaySumUs = 0;
  backendCount = 0;
  cacheHits = 0;
  cacheMisses = 0;
  private readonly statuses = new Uint32Array(STATUS_SLOTS);
  /** Keys come from the coded-error table only, so the map is bounded by its size. */
  private errorCodes: Map<string, number> | null = null;
  private total: Histogram | null = null;
  private backend: Histogram | null = null;
  private gateway: Histogram | null = null;
  private idleReports = 0;
  /** The slot's ids as request-log bytes (request-log.ts operationFragment), made on first use. */
  logFragment: Uint8Array | null = null;

  constructor(readonly apiId: string, readonly operationId: string) {}

  record(res: ClientResponse, now: number): void {
    if (this.total === null) this.allocate();
    const status = res.statusSent;
    const totalUs = toMicros(now - res.startedAt);
    this.requests++;
    this.statuses[status >= 100 && status < STATUS_SLOTS ? status : STATUS_SLOTS - 1]++;
    this.requestBytes += res.requestBytes;
    this.responseBytes += res.responseBytes;
    this.total!.recordValue(totalUs);
    this.totalSumUs += totalUs;
    let gatewayUs = totalUs;
    if (res.backendStartedAt > 0) {
      const backendUs = toMicros((res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt);
      this.backend!.recordValue(backendUs);
      this.backendSumUs += backendUs;
      this.backendCount++;
      gatewayUs = totalUs > backendUs ? totalUs - backendUs : 0;
    }
    this.gateway!.recordValue(gatewayUs);
    this.gatewaySumUs += gatewayUs;
    const code = res.errorCode;
    if (code !== null) {
      const codes = (this.errorCodes ??= new Map());
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    if (status >= 500 || (code !== null && isServerSide(code))) this.errors++;
    const cache = res.cacheResult;
    if (cache === 'hit') this.cacheHits++;
    else if (cache === 'miss') this.cacheMisses++;
  }

  /** The interval's deltas, or null when it had no request; resets the slot either way. */
  takeDelta(): SeriesDelta | null {
    if (this.requests === 0) {
      if (this.total !== null && ++this.idleReports >= IDLE_REPORTS_BEFORE_RELEASE) this.release();
      return null;
    }
    this.idleReports = 0;
    const statuses: number[] = [];
    for (let s = 0; s < STATUS_SLOTS; s++) if (this.statuses[s] !== 0) statuses.push(s, this.statuses[s]);
    const cache: Record<string, number> = {};
    if (this.cacheHits > 0) cache.hit = this.cacheHits;
    if (this.cacheMisses > 0) cache.miss = this.cacheMisses;
    const delta: SeriesDelta = {
      apiId: this.apiId, operationId: this.operationId, requests: this.requests, errors: this.errors, statuses,
      errorCodes: this.errorCodes === null ? {} : Object.fromEntries(this.errorCodes), cache,
      requestBytes: this.requestBytes, responseBytes: this.responseBytes,
      totalSumUs: this.totalSumUs, backendSumUs: this.backendSumUs, gatewaySumUs: this.gatewaySumUs,
      totalHist: encodeDelta(this.total!), backendHist: this.backendCount > 0 ? encodeDelta(this.backend!) : null,
      gatewayHist: encodeDelta(this.gateway!),
    };
    this.reset();
    return delta;
  }

  /** Frees the WASM histograms (worker exit, or idle for a minute). */
  release(): void {
    this.total?.destroy(); this.backend?.destroy(); this.gateway?.destroy();
    this.total = this.backend = this.gateway = null;
  }

  private allocate(): void {
    this.total = recordingHistogram();
    this.backend = recordingHistogram();
    this.gateway = recordingHistogram();
    this.idleReports = 0;
  }

  private reset(): void {
    this.requests = this.errors = this.requestBytes = this.responseBytes = 0;
    this.totalSumUs = this.backendSumUs = this.gatewaySumUs = this.backendCount = 0;
    this.cacheHits = this.cacheMisses = 0;
    this.statuses.fill(0);
    this.errorCodes?.clear();
    this.total!.reset(); this.backend!.reset(); this.gateway!.reset();
  }
}

function isServerSide(code: string): boolean {
  const spec = ERRORS[code as ErrorCode];
  return spec !== undefined && (spec.source === 'backend' || spec.source === 'internal');
}
