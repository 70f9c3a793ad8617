/**
 * One measured run against one target: autocannon for throughput and latency, /proc for the CPU
 * each side spent. The runner process itself is the load generator (pinned to the load core by
 * run.ts), so its own CPU time is the load generator's cost.
 */
import { readFileSync } from 'node:fs';
import autocannon, { type Result } from 'autocannon';
import hdr from 'hdr-histogram-js';
import { CLK_TCK, allProcessTicks, cpuTicks, describeProcess } from './proc.js';
import type { Target } from './targets.js';

export interface LoadOptions { durationS: number; connections: number }

export interface Measurement {
  target: string;
  url: string;
  durationS: number;
  requests: number;
  reqPerSec: number;
  /** Response bytes (status line, headers, body) per 2xx response: shows the proxies answer alike. */
  bytesPerResponse: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** µs, from the bench's own HDR histogram (autocannon's keeps whole milliseconds only). */
  latencyUs: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
  /** ms, autocannon's own HDR histogram, as autocannon prints it. */
  autocannonLatencyMs: { p50: number; p99: number; p99_9: number; max: number };
  /** CPU µs per completed request: the proxy (null for direct), the backend, the load generator. */
  cpuUsPerReq: { proxy: number | null; backend: number; loadgen: number };
  /** Busy share (0..1) of each core over the run, from /proc/stat (steal excluded). */
  coreBusy: number[];
  /** Share (0..1) of each core the hypervisor gave to someone else: a VM's noisy neighbours. */
  coreSteal: number[];
  /**
   * Busy share of [proxy core, load core] not explained by the bench's own processes: other
   * programs on the machine (builds, tests) or kernel work. High values mean noisy numbers.
   */
  otherShare: [number, number];
  /** The busiest processes during the run that are not part of the bench (share of one core). */
  otherProcesses: Array<{ pid: number; command: string; coreShare: number }>;
  problems: string[];
}

/**
 * Per-core [busy, steal, total] jiffies. Fields: user nice system idle iowait irq softirq steal;
 * busy leaves out idle, iowait and steal (time the hypervisor gave to another VM is not our work,
 * but it slows everything down, so it is reported on its own).
 */
function coreJiffies(): Array<[number, number, number]> {
  return readFileSync('/proc/stat', 'utf8').split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
      return [v[0] + v[1] + v[2] + v[5] + v[6], v[7], v.reduce((a, b) => a + b, 0)];
    });
}

function busiestOthers(before: Map<number, number>, after: Map<number, number>, ours: Set<number>, wallUs: number): Measurement['otherProcesses'] {
  const ticksPerCore = (wallUs / 1e6) * CLK_TCK;
  return [...after]
    .filter(([pid]) => !ours.has(pid))
    .map(([pid, ticks]) => ({ pid, coreShare: (ticks - (before.get(pid) ?? 0)) / ticksPerCore }))
    .filter((p) => p.coreShare >= 0.02)
    .sort((a, b) => b.coreShare - a.coreShare)
    .slice(0, 5)
    .map((p) => ({ pid: p.pid, command: describeProcess(p.pid), coreShare: p.coreShare }));
}

function sumTicks(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
}

function runAutocannon(url: string, opts: LoadOptions, onLatencyMs?: (ms: number) => void, headers?: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    // autocannon stops itself after `duration`; the watchdog covers a run that never finishes.
    const watchdog = setTimeout(() => {
      instance.stop();
      reject(new Error(`autocannon on ${url} did not finish within ${opts.durationS + 30} s`));
    }, (opts.durationS + 30) * 1000);
    const instance = autocannon({ url, headers, connections: opts.connections, duration: opts.durationS, timeout: 10 }, (err, result) => {
      clearTimeout(watchdog);
      if (err) reject(err); else resolve(result);
    });
    if (onLatencyMs) {
      instance.on('response', (_client, statusCode, _bytes, ms) => {
        if (statusCode >= 200 && statusCode < 300) onLatencyMs(ms);
      });
    }
  });
}

/** Unmeasured load first, so JIT, connection pools and caches are warm for the measured run. */
export async function warmUp(target: Target, opts: LoadOptions): Promise<void> {
  if (opts.durationS > 0) await runAutocannon(target.url, opts, undefined, target.headers);
}

export async function measure(target: Target, backendPid: number, opts: LoadOptions): Promise<Measurement> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const proxyPids = target.pids();
  const othersBefore = allProcessTicks();
  const before = { proxy: sumTicks(proxyPids), backend: cpuTicks(backendPid), self: process.cpuUsage(), cores: coreJiffies() };
  const startNs = process.hrtime.bigint();

  const result = await runAutocannon(target.url, opts, (ms) => histogram.recordValue(Math.max(1, Math.round(ms * 1000))), target.headers);

  const after = { proxy: sumTicks(proxyPids), backend: cpuTicks(backendPid), self: process.cpuUsage(before.self), cores: coreJiffies() };
  const wallUs = Number(process.hrtime.bigint() - startNs) / 1000;
  const othersAfter = allProcessTicks();
  const requests = result.requests.total;
  const perReq = (us: number) => (requests > 0 ? us / requests : 0);
  const ticksToUs = (ticks: number) => (ticks * 1e6) / CLK_TCK;
  const proxyUs = ticksToUs(after.proxy - before.proxy);
  const backendUs = ticksToUs(after.backend - before.backend);
  const loadgenUs = after.self.user + after.self.system;
  const coreShare = (field: 0 | 1) => after.cores.map((now, i) => {
    const then = before.cores[i] ?? [0, 0, 0];
    return now[2] > then[2] ? (now[field] - then[field]) / (now[2] - then[2]) : 0;
  });
  const coreBusy = coreShare(0);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const measurement: Measurement = {
    target: target.name,
    url: target.url,
    durationS: result.duration,
    requests,
    reqPerSec: result.duration > 0 ? requests / result.duration : 0,
    bytesPerResponse: result['2xx'] > 0 ? Math.round(result.throughput.total / result['2xx']) : 0,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    latencyUs: {
      p50: histogram.getValueAtPercentile(50),
      p90: histogram.getValueAtPercentile(90),
      p99: histogram.getValueAtPercentile(99),
      p99_9: histogram.getValueAtPercentile(99.9),
      max: histogram.maxValue,
      mean: Math.round(histogram.mean),
    },
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, p99_9: result.latency.p99_9, max: result.latency.max },
    cpuUsPerReq: { proxy: proxyPids.length > 0 ? perReq(proxyUs) : null, backend: perReq(backendUs), loadgen: perReq(loadgenUs) },
    coreBusy,
    coreSteal: coreShare(1),
    otherShare: [
      Math.max(0, (coreBusy[0] ?? 0) - proxyUs / wallUs),
      Math.max(0, (coreBusy[1] ?? 0) - (backendUs + loadgenUs) / wallUs),
    ],
    otherProcesses: busiestOthers(othersBefore, othersAfter, new Set([...proxyPids, backendPid, process.pid]), wallUs),
    problems: target.problems(),
  };
  histogram.destroy();
  return measurement;
}
