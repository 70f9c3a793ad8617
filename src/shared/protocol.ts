/**
 * Every message between the primary thread and the request workers, typed in one place.
 * Routing tables travel as SharedArrayBuffers: posting one shares the memory, it is not copied.
 */
import type { RedisLinkSettings } from '../gateway/redis/redis-settings.js';

export interface WorkerInit {
  index: number;
  /** 0 asks the OS for a port (only the first worker does; the rest reuse the port it got). */
  port: number;
  table: TablePublish;
  /** Enables the `crash` message, for tests of the supervisor. Off in production. */
  faultInjection: boolean;
  /** The node-wide counters (rate limits, quotas): one buffer for the process's lifetime. */
  counters: SharedArrayBuffer;
  /** The node-wide gauges (limit-concurrency), one row per worker index: see shared-gauges.ts. */
  gauges: SharedArrayBuffer;
  /** What the API-port health probe answers (ready, not ready, shutting down): see probe-state.ts. */
  probe: SharedArrayBuffer;
  /** gateway.redis resolved by the primary (restart-only); null: no Redis, nothing connects. */
  redis: RedisLinkSettings | null;
  /** Each worker's Redis state and counts, one row per worker index: see redis-stats.ts. */
  redisStats: SharedArrayBuffer;
  /** The CPU this worker pins its thread to at start (gateway.cpuAffinity), or null: not pinned. */
  cpu: number | null;
  /** The HTTPS listener (gateway.tls): its concrete port and current certificates; null when none. */
  https: HttpsInit | null;
  /** What the worker sends through itself before it listens (gateway.warmupRequests); null: nothing. */
  warmup: WarmUpInit | null;
}

/** The warm-up API's path on the gateway: the primary's table routes it, the worker's requests use it. */
export const WARM_UP_PREFIX = '/outpost-warm-up';

/**
 * A worker's warm-up: the table of the one API it routes (the gateway's settings, no policies, a
 * backend the worker runs itself on loopback) and how many requests to send through it.
 */
export interface WarmUpInit {
  table: SharedArrayBuffer;
  requests: number;
}

/**
 * One certificate of the HTTPS listener as the gateway read and checked it: workers only build
 * secure contexts from the text (no file I/O on a request thread).
 */
export interface ListenerCertificate {
  /** The leaf, then its intermediates: the whole chain is served. */
  certPem: string;
  keyPem: string;
  /** Lower-case DNS names it serves (SAN DNS names, or the CN when it has none); `*.a.b` wildcards. */
  names: string[];
}

/** Everything a worker needs to (re)build the HTTPS listener's secure contexts. */
export interface HttpsMaterial {
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** The first is the default; the others are chosen by SNI. */
  certificates: ListenerCertificate[];
  /** gateway.tls.clientCertificate; absent: none. */
  clientCertificate?: 'none' | 'request' | 'require';
  /** PEM of gateway.tls.clientCaFile / clientCrlFile. */
  clientCaPem?: string;
  clientCrlPem?: string;
}

export interface HttpsInit {
  port: number;
  material: HttpsMaterial;
  /** 48 random bytes, the same in every worker: a TLS session ticket from one worker resumes on any. */
  ticketKeys: Uint8Array;
}

/** New certificates (SIGHUP, a file change, a reload): new handshakes use them, live connections stay. */
export interface HttpsCertificatesPublish {
  type: 'https-certificates';
  material: HttpsMaterial;
}

export interface TablePublish {
  type: 'table';
  generation: number;
  buffer: SharedArrayBuffer;
}

export interface DrainRequest {
  type: 'drain';
  /** After this, requests still in flight are cut off. */
  graceMs: number;
}

export interface CrashRequest {
  type: 'crash';
}

/**
 * Liveness ping (the systemd watchdog): the worker answers from its event loop, so a worker
 * stuck in a busy loop never does. `seq` grows by one each round.
 */
export interface LivenessPing { type: 'ping'; seq: number }

/**
 * A request-log batch's buffer, written to stdout, transferred back to the worker that filled it:
 * the next batch reuses its pages instead of faulting in a fresh 1 MiB (and the worker's heap
 * does not count it as new external memory, which brought on full GCs).
 */
export interface LogBufferReturn { type: 'log-buffer'; buffer: ArrayBuffer }

export type PrimaryToWorker = TablePublish | DrainRequest | CrashRequest | LivenessPing | HttpsCertificatesPublish | LogBufferReturn;

/** Sent once every listener of the worker (plain, and HTTPS when configured) accepts. */
export interface Listening { type: 'listening'; port: number; httpsPort: number | null }
export interface ListenFailed { type: 'listen-failed'; port: number }
/** `buildMs`: how long the worker took to build its view of the generation (its event loop was busy). */
export interface TableApplied { type: 'table-applied'; generation: number; buildMs: number }
export interface Drained { type: 'drained'; cutOff: number }

export interface LivenessPong { type: 'pong'; seq: number }

export type WorkerToPrimary = Listening | ListenFailed | TableApplied | Drained | LivenessPong | TelemetryMessage | RequestLogMessage;

/**
 * A batch of request-log lines (whole lines, newline-terminated), posted with `bytes` transferred:
 * the primary writes it to stdout (primary/stdout-owner.ts), the only writer of fd 1.
 */
export interface RequestLogMessage { type: 'request-log'; bytes: Uint8Array; lines: number }

import type { CustomMetricDelta } from '../gateway/telemetry/custom-metrics.js';

/**
 * A worker's telemetry since its previous report (every second): a msgpackr-encoded
 * TelemetryReport, posted with its buffer transferred (no copy, no structured clone of the tree).
 */
export interface TelemetryMessage { type: 'telemetry'; payload: Uint8Array }

/** What a TelemetryMessage's payload decodes to. */
export interface TelemetryReport {
  worker: number;
  /** Unix ms when the report was taken. */
  at: number;
  series: SeriesDelta[];
  /**
   * The worker's event-loop delay over the interval (perf_hooks.monitorEventLoopDelay), ms: in the
   * part of the interval's report that ends it (WorkerTelemetry.reportPart), absent in the others.
   */
  loopDelayP99Ms?: number;
  loopDelayMaxMs?: number;
  /** Request-log lines dropped because the worker's batch was full. */
  requestLogDropped: number;
  /**
   * The end-of-request hook timing itself (metrics and the request-log line): one call in
   * HOOK_SAMPLE_EVERY is timed; the summed ms of those calls and how many there were.
   */
  hookSampledMs?: number;
  hookSamples?: number;
  /** emit-metric's sums and counts since the previous report, and values dropped past the bound. */
  custom?: CustomMetricDelta[];
  customDropped?: number;
}

/** One label set's deltas: counts, bytes, exact sums and HDR histograms (µs, compressed base64). */
export interface SeriesDelta {
  apiId: string;
  operationId: string;
  requests: number;
  /** Status >= 500, or a coded error whose source is backend or internal. */
  errors: number;
  /** [status, count, status, count, ...] */
  statuses: number[];
  errorCodes: Record<string, number>;
  cache: Record<string, number>;
  requestBytes: number;
  responseBytes: number;
  totalSumUs: number;
  backendSumUs: number;
  gatewaySumUs: number;
  /** The interval's histograms, HDR V2 uncompressed (IntervalHistogram.encode; telemetry/hdr.ts decodeDelta reads them). */
  totalHist: Uint8Array;
  /** null when no request of the interval reached a backend. */
  backendHist: Uint8Array | null;
  gatewayHist: Uint8Array;
}
