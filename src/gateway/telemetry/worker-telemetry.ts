/**
 * A worker's telemetry: one SeriesSlot per (API, operation) that had traffic, found through a
 * per-generation Int32Array indexed by operation (filled on the first request of each operation
 * in a generation), so the request path does an array read to find its slot and a few field
 * writes when it ends. Every second `report()` packs the slots' deltas (msgpackr) for the
 * primary. Request-log lines are written into a batch buffer when a request ends and sent off the path.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { pack } from 'msgpackr';
import type { ClientResponse } from '../../http1/server/client-response.js';
import type { SeriesDelta, TelemetryReport } from '../../shared/protocol.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { SeriesSlot } from './series-slot.js';
import { operationFragment, RequestLogBatch, type LogSink } from './request-log.js';
import { CustomMetricTable } from './custom-metrics.js';

/** Series 0: requests that matched no API (api=""). */
export const UNMATCHED_SERIES = 0;
/** Series 1: operations beyond MAX_SERIES share it, labelled api="*" operation="*". */
export const OVERFLOW_SERIES = 1;
/**
 * One end-of-request hook in this many times itself (a power of two): two clock reads per 64
 * requests cost well under a nanosecond per request, and a minute at 10k req/s gives ~9k samples.
 */
export const HOOK_SAMPLE_EVERY = 64;
const MAX_HOOK_SAMPLE_MS = 0.05;
/**
 * Busy series per part of a report (reportPart). A series with its three histograms costs ~2-3 µs
 * of the worker's loop once the code is optimized (bench/telemetry-micro.ts part 4), so a part
 * holds its requests for about 0.3 ms, and only a worker with more busy series than this sends
 * more than one message a second.
 */
export const REPORT_PART_SERIES = 128;
/** Label sets per worker (and in the primary): bounds memory and /metrics size whatever the config. */
export const MAX_SERIES = 2_000;

/** What the worker needs of a generation to find a series. */
export interface SeriesSource {
  operationCount: number;
  /** Series + 1 per operation, 0 until the first request; null until the generation first records. */
  telemetrySeries: Int32Array | null;
  operationIds(op: number): { apiId: string; operationId: string };
}

export class WorkerTelemetry {
  private readonly slots: SeriesSlot[] = [new SeriesSlot('', ''), new SeriesSlot('*', '*')];
  private readonly byKey = new Map<string, number>();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly log: RequestLogBatch;
  /** emit-metric's values (WorkerServices.metrics), sent with each report. */
  readonly customMetrics = new CustomMetricTable();
  private recording = true;
  private logEnabled = true;
  private sample = 1;

  /** `logBatchBytes`: the request-log batch's buffer (RequestLogBatch; the default but for the warm-up). */
  constructor(private readonly worker: number, writeLog: LogSink, whenLogDrained?: (resume: () => void) => void, logBatchBytes?: number) {
    this.log = new RequestLogBatch(writeLog, whenLogDrained, logBatchBytes);
    this.loop.enable();
  }

  /**
   * Settings of the generation just applied. Returns whether the server should call requestEnded
   * when a request ends: not when metrics and request logs are both off (then nothing runs at all).
   */
  configure(settings: GatewaySettings): boolean {
    this.recording = settings.telemetry.enabled;
    this.logEnabled = settings.requestLog.enabled && settings.requestLog.sample > 0;
    this.sample = settings.requestLog.sample;
    return this.recording || this.logEnabled;
  }

  /** The series of operation `op` in `gen`: one array read after its first request. */
  seriesFor(gen: SeriesSource, op: number): number {
    const cache = (gen.telemetrySeries ??= new Int32Array(gen.operationCount));
    const known = cache[op];
    if (known !== 0) return known - 1;
    const { apiId, operationId } = gen.operationIds(op);
    const key = `${apiId}\n${operationId}`;
    let series = this.byKey.get(key);
    if (series === undefined) {
      if (this.slots.length >= MAX_SERIES) series = OVERFLOW_SERIES;
      else {
        series = this.slots.length;
        this.slots.push(new SeriesSlot(apiId, operationId));
        this.byKey.set(key, series);
      }
    }
    cache[op] = series + 1;
    return series;
  }

  /** Calls to the hook; every HOOK_SAMPLE_EVERY-th one is timed (its own cost, for /metrics). */
  private hookCalls = 0;
  private hookSampledMs = 0;
  private hookSamples = 0;

  /**
   * The server's requestEnded hook: every response, however it ended. A method, not a closure per
   * instance: the worker's hook calls it on the warm-up's telemetry, then on its own, and a call
   * site that saw one function stays optimized for the other (worker-state.ts).
   */
  requestEnded(res: ClientResponse): void {
    if ((++this.hookCalls & (HOOK_SAMPLE_EVERY - 1)) !== 0) { this.record(res); return; }
    const from = performance.now();
    this.record(res);
    const ms = performance.now() - from;
    // Longer than this, the thread lost its core mid-call (preempted): a sample of the scheduler, not of the hook.
    if (ms > MAX_HOOK_SAMPLE_MS) return;
    this.hookSampledMs += ms;
    this.hookSamples++;
  }

  private record(res: ClientResponse): void {
    const now = performance.now();
    const slot = this.slots[res.series];
    // A series of another telemetry (a warm-up request that outlived the warm-up's 2 s wind-down): not ours to count.
    if (slot === undefined) return;
    if (this.recording) slot.record(res, now);
    if (this.logEnabled && res.logged && (this.sample >= 1 || Math.random() < this.sample)) {
      if (this.log.hasRoom) this.log.add(res, slot.logFragment ??= operationFragment(slot.apiId, slot.operationId), now);
      else this.log.dropped++;
    }
  }

  /** Where the report pass under way has got to in `slots`; 0 when none is. */
  private passAt = 0;

  /**
   * The next part of this interval's report, msgpack-encoded: the deltas of up to `maxSeries` busy
   * series, visited from where the last part stopped (a series recorded into meanwhile gives what
   * it has then: nothing is lost or counted twice). The part that ends the pass (`last`) also
   * carries what is the worker's as a whole: event-loop delay, dropped log lines, the hook's own
   * timing, emit-metric's values.
   *
   * Why parts: the report runs on the worker's event loop, so its requests wait for it; with
   * thousands of busy operations (a large config under spread traffic) one whole report held them
   * for 10-20 ms every second. Sent a part per loop turn, the wait is bounded by the part's size.
   */
  reportPart(maxSeries: number): { payload: Uint8Array; last: boolean } {
    const series: SeriesDelta[] = [];
    const slots = this.slots;
    let at = this.passAt;
    while (at < slots.length && series.length < maxSeries) {
      const delta = slots[at++].takeDelta();
      if (delta !== null) series.push(delta);
    }
    const last = at >= slots.length;
    this.passAt = last ? 0 : at;
    const report: TelemetryReport = { worker: this.worker, at: Date.now(), series, requestLogDropped: 0 };
    if (last) {
      const custom = this.customMetrics.take();
      report.custom = custom.deltas;
      report.customDropped = custom.dropped;
      report.loopDelayP99Ms = this.loop.percentile(99) / 1e6;
      report.loopDelayMaxMs = this.loop.max / 1e6;
      report.requestLogDropped = this.log.takeDropped();
      report.hookSampledMs = this.hookSampledMs;
      report.hookSamples = this.hookSamples;
      this.hookSampledMs = 0;
      this.hookSamples = 0;
      this.loop.reset();
    }
    return { payload: pack(report), last };
  }

  /** The rest of the interval's report in one part (a worker's last, as it exits). */
  report(): Uint8Array {
    return this.reportPart(Infinity).payload;
  }

  /** A written request-log batch's buffer, back from the primary. */
  reuseLogBuffer(buffer: ArrayBuffer): void {
    this.log.reuse(buffer);
  }

  /** Writes pending request-log lines now (drain, exit). */
  flushLogs(): void {
    this.log.flush();
  }

  /** Stops its event-loop delay monitor (a warm-up's telemetry, dropped with what it recorded). */
  stop(): void {
    this.loop.disable();
  }
}
