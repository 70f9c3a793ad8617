/**
 * Every message between the primary thread and the request workers, typed in one place.
 * Routing tables travel as SharedArrayBuffers: posting one shares the memory, it is not copied.
 */
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

export type PrimaryToWorker = TablePublish | DrainRequest | CrashRequest;

export interface Listening { type: 'listening'; port: number }
export interface ListenFailed { type: 'listen-failed'; port: number }
/** `buildMs`: how long the worker took to build its view of the generation (its event loop was busy). */
export interface TableApplied { type: 'table-applied'; generation: number; buildMs: number }
export interface Drained { type: 'drained'; cutOff: number }

/**
 * A worker's telemetry since its previous report (every second): a msgpackr-encoded
 * TelemetryReport, posted with its buffer transferred (no copy, no structured clone of the tree).
 */
export interface TelemetryMessage { type: 'telemetry'; payload: Uint8Array }

export type WorkerToPrimary = Listening | ListenFailed | TableApplied | Drained | TelemetryMessage;

/** What a TelemetryMessage's payload decodes to. */
export interface TelemetryReport {
  worker: number;
  /** Unix ms when the report was taken. */
  at: number;
  series: SeriesDelta[];
  /** The worker's event-loop delay over the interval (perf_hooks.monitorEventLoopDelay), ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Request-log lines dropped because the worker's batch was full. */
  requestLogDropped: number;
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
  totalHist: string;
  /** '' when no request of the interval reached a backend. */
  backendHist: string;
  gatewayHist: string;
}
