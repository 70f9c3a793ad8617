/**
 * One label set (API, operation) of a worker's telemetry: counters and three HDR histograms of
 * the requests since the last report (interval-histogram.ts). Recording writes numbers into
 * fields, a typed array and the histograms: nothing is allocated per request once a histogram has
 * room for the buckets an interval hits. `takeDelta` turns the interval into a SeriesDelta and
 * resets; a slot idle for a minute drops its histograms until its next request, so memory follows
 * the busy operations, not every operation ever seen.
 */
import type { ClientResponse } from '../../http1/server/client-response.js';
import type { SeriesDelta } from '../../shared/protocol.js';
import { ERRORS, type ErrorCode } from '../../shared/errors.js';
import { toMicros } from './hdr.js';
import { IntervalHistogram } from './interval-histogram.js';
import type { Fragment } from './json-line-buffer.js';

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
  /** The status codes counted this interval: the report and the reset visit these, not 1,000 slots. */
  private readonly statusesSeen: number[] = [];
  /** Keys come from the coded-error table only, so the map is bounded by its size. */
  private errorCodes: Map<string, number> | null = null;
  private total: IntervalHistogram | null = null;
  private backend: IntervalHistogram | null = null;
  private gateway: IntervalHistogram | null = null;
  private idleReports = 0;
  /** The slot's ids as request-log bytes (request-log.ts operationFragment), made on first use. */
  logFragment: Fragment | null = null;

  constructor(readonly apiId: string, readonly operationId: string) {}

  record(res: ClientResponse, now: number): void {
    if (this.total === null) this.allocate();
    const status = res.statusSent;
    const totalUs = toMicros(now - res.startedAt);
    this.requests++;
    const slot = status >= 100 && status < STATUS_SLOTS ? status : STATUS_SLOTS - 1;
    if (this.statuses[slot]++ === 0) this.statusesSeen.push(slot);
    this.requestBytes += res.requestBytes;
    this.responseBytes += res.responseBytes;
    this.total!.record(totalUs);
    this.totalSumUs += totalUs;
    let gatewayUs = totalUs;
    if (res.backendStartedAt > 0) {
      const backendUs = toMicros((res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt);
      this.backend!.record(backendUs);
      this.backendSumUs += backendUs;
      this.backendCount++;
      gatewayUs = totalUs > backendUs ? totalUs - backendUs : 0;
    }
    this.gateway!.record(gatewayUs);
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
    this.statusesSeen.sort((a, b) => a - b);
    for (const s of this.statusesSeen) statuses.push(s, this.statuses[s]);
    const cache: Record<string, number> = {};
    if (this.cacheHits > 0) cache.hit = this.cacheHits;
    if (this.cacheMisses > 0) cache.miss = this.cacheMisses;
    const delta: SeriesDelta = {
      apiId: this.apiId, operationId: this.operationId, requests: this.requests, errors: this.errors, statuses,
      errorCodes: this.errorCodes === null ? {} : Object.fromEntries(this.errorCodes), cache,
      requestBytes: this.requestBytes, responseBytes: this.responseBytes,
      totalSumUs: this.totalSumUs, backendSumUs: this.backendSumUs, gatewaySumUs: this.gatewaySumUs,
      totalHist: this.total!.encode(), backendHist: this.backendCount > 0 ? this.backend!.encode() : null,
      gatewayHist: this.gateway!.encode(),
    };
    this.reset();
    return delta;
  }

  /** Drops the histograms (worker exit, or idle for a minute). */
  release(): void {
    this.total = this.backend = this.gateway = null;
  }

  private allocate(): void {
    this.total = new IntervalHistogram();
    this.backend = new IntervalHistogram();
    this.gateway = new IntervalHistogram();
    this.idleReports = 0;
  }

  private reset(): void {
    this.requests = this.errors = this.requestBytes = this.responseBytes = 0;
    this.totalSumUs = this.backendSumUs = this.gatewaySumUs = this.backendCount = 0;
    this.cacheHits = this.cacheMisses = 0;
    for (const s of this.statusesSeen) this.statuses[s] = 0;
    this.statusesSeen.length = 0;
    this.errorCodes?.clear();
  }
}

function isServerSide(code: string): boolean {
  const spec = ERRORS[code as ErrorCode];
  return spec !== undefined && (spec.source === 'backend' || spec.source === 'internal');
}
