/**
 * Telemetry as it leaves a gateway node: additive per-minute deltas per API and operation.
 * The primary's aggregator (src/gateway/telemetry/) merges what the workers send each second and,
 * every upload interval, hands a TelemetrySink the rows accumulated since the last hand-off. A row
 * is a delta: the same (minute, apiId, operationId) may come again in the next interval and the
 * receiver adds it (counts summed, histograms merged), so percentiles stay true percentiles.
 */
export interface MinuteAggregate {
  /** Start of the minute, unix milliseconds (a multiple of 60,000). */
  minute: number;
  /** '' for requests that matched no API. */
  apiId: string;
  operationId: string;
  requests: number;
  /** Responses with status >= 500 or a coded error of source backend/internal. */
  errors: number;
  /** Count per 3-digit status sent to the client: { "200": 12, "404": 1 }. */
  statuses: Record<string, number>;
  /** Count per OUTPOST_ERR_* code. */
  errorCodes: Record<string, number>;
  /** Count per cache result ("hit", "miss"); empty when no cache policy ran. */
  cache: Record<string, number>;
  requestBytes: number;
  responseBytes: number;
  /**
   * HDR histograms in microseconds (hdr-histogram-js `encodeIntoCompressedBase64`): total time,
   * backend time, gateway overhead (total minus backend).
   */
  totalHist: string;
  backendHist: string;
  gatewayHist: string;
}

/** Receives the rows of each upload interval (managed mode: the control-plane uploader). */
export interface TelemetrySink {
  add(rows: MinuteAggregate[]): void;
}
