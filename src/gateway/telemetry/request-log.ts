/**
 * Request logs: one JSON line per request on stdout, APIM GatewayLogs' fields under the names
 * below. A worker builds the line when the request ends and keeps it in a batch; every 100 ms (or
 * at 256 KiB) the batch goes out as ONE stdout write. A worker's stdout is forwarded to the
 * primary, which writes each chunk whole, so lines never interleave mid-line, and the request path
 * never waits on a write. While stdout pushes back (its buffer is full: a slow log collector),
 * nothing more is written until it drains; the batch is bounded meanwhile: past MAX_PENDING_LINES
 * lines are dropped and counted (outpost_request_log_dropped_total) rather than growing memory.
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

/**
 * A JSON string literal. Most values (ids, paths, addresses) are plain printable ASCII: they are
 * quoted as they are after one scan; anything else goes through JSON.stringify.
 */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}
const strOrNull = (s: string | null): string => (s === null || s === '' ? 'null' : str(s));

/** ISO time of `epochMs`: the "YYYY-MM-DDTHH:MM:SS." part is reused within a second. */
let isoSecond = -1;
let isoPrefix = '';
function isoTime(epochMs: number): string {
  const ms = Math.floor(epochMs);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/**
 * The line of one request (RequestLogLine's fields, in its order), written as text directly:
 * cheaper than building an object and stringifying it, and this runs for every logged request.
 */
export function requestLogText(res: ClientResponse, apiId: string, operationId: string, now: number): string {
  const query = res.query === '' ? '' : redactQuery(res.query);
  const backend = res.backendStartedAt > 0;
  const backendMs = backend ? round3((res.backendEndedAt > 0 ? res.backendEndedAt : now) - res.backendStartedAt) : null;
  return `{"type":"request","time":"${isoTime(Date.now() - (now - res.startedAt))}","correlationId":${strOrNull(res.requestId)}`
    + `,"method":${str(res.method)},"url":${str(query === '' ? res.path : `${res.path}?${query}`)},"status":${res.statusSent}`
    + `,"backendStatus":${res.backendStatus === 0 ? 'null' : res.backendStatus},"totalMs":${round3(now - res.startedAt)},"backendMs":${backendMs}`
    + `,"requestBytes":${res.requestBytes},"responseBytes":${res.responseBytes},"apiId":${strOrNull(apiId)},"operationId":${strOrNull(operationId)}`
    + `,"productId":${strOrNull(res.productId)},"subscriptionId":${strOrNull(res.subscriptionId)},"clientIp":${str(res.remoteAddress)}`
    + `,"cache":${strOrNull(res.cacheResult)},"errorCode":${strOrNull(res.errorCode)}}`;
}

export class RequestLogBatch {
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** stdout said its buffer is full; writing resumes on its drain. */
  private blocked = false;
  dropped = 0;

  /** `write` returns false when the stream's buffer is full; `whenDrained` calls back once it has room. */
  constructor(private readonly write: (chunk: string) => boolean, private readonly whenDrained: (resume: () => void) => void = () => undefined) {}

  /** False when the batch is full: the caller counts the line as dropped instead of building it. */
  get hasRoom(): boolean { return this.lines.length < MAX_PENDING_LINES; }

  add(text: string): void {
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
    if (this.lines.length === 0 || this.blocked) return;
    const chunk = this.lines.join('\n') + '\n';
    this.lines = [];
    this.bytes = 0;
    if (this.write(chunk)) return;
    this.blocked = true;
    this.whenDrained(() => {
      this.blocked = false;
      this.flush();
    });
  }

  /** Dropped lines since the last call (sent with the telemetry report). */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}
