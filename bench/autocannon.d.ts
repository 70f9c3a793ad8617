/**
 * The slice of autocannon 9's API the bench uses. The package ships no typings; declaring only
 * what we call keeps `any` out of the bench (field names follow autocannon's README "Results").
 */
declare module 'autocannon' {
  export interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    pipelining?: number;
    /** Seconds without a response before a request counts as a timeout. */
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    title?: string;
  }

  /** hdr-histogram-percentiles-obj: p2_5 … p99_999 plus summary statistics. */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    p99_99: number;
  }

  export interface Result {
    url: string;
    connections: number;
    /** Seconds, two decimals. */
    duration: number;
    /** Milliseconds; autocannon's HDR histogram stores whole milliseconds. */
    latency: Histogram & { totalCount: number };
    /** Requests completed per one-second sample; `total` is every completed response. */
    requests: Histogram & { sent: number };
    throughput: Histogram;
    errors: number;
    timeouts: number;
    mismatches: number;
    resets: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }

  export interface Client { readonly opts?: unknown }

  export interface Instance {
    on(event: 'response', listener: (client: Client, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
    on(event: 'reqError', listener: (error: Error) => void): this;
    stop(): void;
  }

  function autocannon(options: Options, callback: (err: Error | null, result: Result) => void): Instance;
  export default autocannon;
}
