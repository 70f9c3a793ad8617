/**
 * Request logs: one JSON line per request on stdout, APIM GatewayLogs' fields under the names
 * below. A worker builds the line when the request ends and keeps it in a batch; every 100 ms (or
 * at 256 KiB) the batch goes out as ONE stdout write. A worker's stdout is forwarded to the
 * primary, which writes each chunk whole, so lines never interleave mid-line, and the request path
 * never waits on a write. The batch is bounded: past MAX_PENDING_LINES lines are dropped and
 * counted (outpost_request_log_dropped_total) rather than growing memory behind a slow stdout.
 *
 * Never written: the subscription key (header or query), Authorization or any other header, and
 * the values of query parameters that look like credentials (query-redaction.ts).
 */
import type { ClientResponse } from '../../http1/server/client-response.js';
import { redactQuery } from './query-redaction.js';

const FLUSH_MS = 100;
const FLUSH_BYTES = 256 * 1024;
const MAX_PENDING_LINES = 20_000;

export interface RequestLogLine {
  type: 'request';
  time: string;
  correlationId: string | null;
  method: string;
  url: string;
  status: number;
  backendStatus: number | null;
  totalMs: number;
  backendMs: number | null;
  requestBytes: number;
  responseBytes: number;
  apiId: string | null;
  operationId: string | null;
  productId: string | null;
  subscriptionId: string | null;
  clientIp: string;
  cache: string | null;
  errorCode: string | null;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;
const orNull = (s: string): string | null => (s === '' ? null : s);

export function requestLogLine(res: ClientResponse, apiId: string, operationId: string, now: number): RequestLogLine {
  const query = redactQuery(res.query);
  const backend = res.backendStartedAt > 0;
  return {
    type: 'request',
    time: new Date(Date.now() - (now - res.startedAt)).toISOString(),
    correlationId: orNull(res.requestId),
    method: res.method,
    url: query === '' ? res.path : `${res.path}?${query}`,
    status: res.statusSent,
    backendStatus: res.backendStatus === 0 ? null : res.backendStatus,
    totalMs: round3(now - res.startedAt),
    backendMs: backend ? round3((res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt) : null,
    requestBytes: res.requestBytes,
    responseBytes: res.responseBytes,
    apiId: orNull(apiId),
    operationId: orNull(operationId),
    productId: orNull(res.productId),
    subscriptionId: orNull(res.subscriptionId),
    clientIp: res.remoteAddress,
    cache: res.cacheResult,
    errorCode: res.errorCode,
  };
}

export class RequestLogBatch {
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  dropped = 0;

  constructor(private readonly write: (chunk: string) => void) {}

  add(line: RequestLogLine): void {
    if (this.lines.length >= MAX_PENDING_LINES) { this.dropped++; return; }
    const text = JSON.stringify(line);
    this.lines.push(text);
    this.bytes += text.length + 1;
    if (this.bytes >= FLUSH_BYTES) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('\n') + '\n';
    this.lines = [];
    this.bytes = 0;
    this.write(chunk);
  }

  /** Dropped lines since the last call (sent with the telemetry report). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}
