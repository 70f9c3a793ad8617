/**
 * The gateway side of the large-config bench: start the real gateway (2 workers) on a generated
 * config, time startup and RSS, reload it once with no requests running, then reload it (SIGHUP,
 * same file: a full reload) while a bounded client loop sends requests over loopback and a probe
 * times the ops port every 10 ms. Reports failed requests, the longest request, the primary's
 * longest ops answer (beside the same figures for the same load without a reload, and the load
 * generator's own event-loop delay), RSS (peak, after, settled), and the reload's breakdown from
 * the gateway's own log lines ('config reloaded' timings, 'generation live').
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import * as hdr from 'hdr-histogram-js';
import { CLK_TCK, gatewayReady, httpGet, spawnPinned, stopChild, threadStats, type Child } from './proc.js';
import { rssBytes, sampleRss } from '../test/support/rss.js';
import { COMPILER_NICE } from '../src/gateway/primary/compiler-priority.js';
import { samplePath } from './large-config-gen.js';

export interface ReloadNumbers {
  totalMs: number;
  timings: Record<string, number>;
  workerBuildMs: number[];
  requests: number;
  failed: number;
  longestRequestMs: number;
  longestOpsMs: number;
  /** The load generator's own longest event-loop delay in the window (a floor under the longest request). */
  clientLoopMaxMs: number;
  /**
   * CPU time of the compiler thread over the reload (read, parse, validate, compile; not V8's GC
   * helper threads), beside totalMs: how much of the window it had a core. Null without the addon.
   */
  compilerCpuMs: number | null;
  /** Requests answered per second in the window, and their 99th-percentile time. */
  requestsPerSecond: number;
  p99Ms: number;
  /** The same figures for BASELINE_MS of the same load just before the reload. */
  baseline: { requests: number; failed: number; longestRequestMs: number; longestOpsMs: number; clientLoopMaxMs: number; requestsPerSecond: number; p99Ms: number };
  /** Sampled every 50 ms from SIGHUP until the new generation is live (the compiler thread's heap is most of it). */
  rssPeakMb: number;
  /** 300 ms after the generation went live (the compiler thread may still hold its heap). */
  rssAfterMb: number;
  /** Once the idle compiler thread has ended (3 s later): what the gateway holds between reloads. */
  rssSettledMb: number;
}

export interface GatewayNumbers {
  startupMs: number;
  /** When the gateway says it is ready (the compiler thread still holds its heap). */
  rssStartMb: number;
  /** 3 s later, once the idle compiler thread has ended. */
  rssStartSettledMb: number;
  /** A reload with no requests running: the compiler thread has the machine to itself. */
  idleReload: { totalMs: number; timings: Record<string, number>; rssPeakMb: number; compilerCpuMs: number | null };
  reloads: ReloadNumbers[];
}

interface LogLine { msg?: string; [k: string]: unknown }

const CONNECTIONS = 16;
const BASELINE_MS = 3_000;

export async function measureGateway(cli: string, configFile: string, apis: number, reloads: number): Promise<GatewayNumbers> {
  const t0 = performance.now();
  const child = spawnPinned(null, process.execPath, [cli, 'gateway', '--config', configFile, '--port', '0', '--ops-port', '0', '--workers', '2']);
  const logs: LogLine[] = [];
  // Request-log lines (one per request, thousands a second) are skipped unparsed: keeping and
  // searching them here took CPU from the gateway on the same two cores.
  child.onLine((line) => {
    if (line.includes('"type":"request"')) return;
    try { logs.push(JSON.parse(line) as LogLine); } catch { /* not ours */ }
  });
  try {
    const started = await gatewayReady(child, 600_000, 120_000);
    const startupMs = performance.now() - t0;
    const rssStartMb = rssBytes(child.pid) / 1048576;
    await new Promise((r) => setTimeout(r, 3_000)); // the idle compiler thread ends after 2 s
    const rssStartSettledMb = rssBytes(child.pid) / 1048576;
    const idleReload = await reloadIdle(child, logs, 2);
    const out: ReloadNumbers[] = [];
    for (let r = 0; r < reloads; r++) out.push(await reloadUnderLoad(child, logs, started.port, started.opsPort, apis, r + 3));
    return { startupMs, rssStartMb, rssStartSettledMb, idleReload, reloads: out };
  } finally {
    await stopChild(child, 20_000);
  }
}

/** CPU milliseconds so far of each thread of `pid` at the compiler thread's nice value, by thread id. */
function compilerThreadsCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [tid, t] of threadStats(pid)) if (t.nice === COMPILER_NICE) out.set(tid, (t.ticks * 1000) / CLK_TCK);
  return out;
}

/** The compiler threads' CPU since `before` (a thread that ended in between is not counted); null when none is niced (no addon). */
function compilerCpuSince(pid: number, before: Map<number, number>): number | null {
  const now = compilerThreadsCpu(pid);
  if (now.size === 0) return null;
  let ms = 0;
  for (const [tid, cpu] of now) ms += cpu - (before.get(tid) ?? 0);
  return ms;
}

async function reloadIdle(child: Child, logs: LogLine[], generation: number): Promise<GatewayNumbers['idleReload']> {
  const t0 = performance.now();
  const rss = sampleRss(child.pid);
  const cpuBefore = compilerThreadsCpu(child.pid);
  child.proc.kill('SIGHUP');
  await waitFor(logs, (l) => l.msg === 'generation live' && l.generation === generation, 600_000);
  const totalMs = performance.now() - t0;
  const compilerCpuMs = compilerCpuSince(child.pid, cpuBefore);
  const rssPeakMb = rss.stop() / 1048576;
  const reloaded = logs.find((l) => l.msg === 'config reloaded' && l.generation === generation);
  await new Promise((r) => setTimeout(r, 3_000)); // the next reload starts a fresh compiler thread, as a reload an hour later would
  return { totalMs, timings: (reloaded?.timings ?? {}) as Record<string, number>, rssPeakMb, compilerCpuMs };
}

async function reloadUnderLoad(child: Child, logs: LogLine[], port: number, opsPort: number, apis: number, generation: number): Promise<ReloadNumbers> {
  const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
  let running = true;
  let requests = 0;
  let failed = 0;
  let longestRequestMs = 0;
  let longestOpsMs = 0;
  let latencies = latencyHistogram();
  let k = 0;
  const client = async () => {
    while (running) {
      const i = (k++ * 7919) % apis;
      const { method, host, path } = samplePath(i, k);
      const t = performance.now();
      try {
        const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: agent, method: method as 'GET', headers: { host } });
        await res.body.dump();
        if (res.statusCode !== 200) failed++;
      } catch { failed++; }
      const ms = performance.now() - t;
      longestRequestMs = Math.max(longestRequestMs, ms);
      latencies.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))));
      requests++;
    }
  };
  const probe = async () => {
    while (running) {
      const t = performance.now();
      try { await httpGet(`http://127.0.0.1:${opsPort}/health/live`, 30_000); } catch { /* counted as long */ }
      longestOpsMs = Math.max(longestOpsMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const clients = Array.from({ length: CONNECTIONS }, client);
  const probing = probe();
  await new Promise((r) => setTimeout(r, 500)); // load running before anything is measured
  // The same load without a reload first: on two shared cores the longest request of any window
  // is tens of milliseconds, and part of it is this process's own event loop (timed here too).
  requests = failed = 0;
  longestRequestMs = longestOpsMs = 0;
  latencies = latencyHistogram();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  await new Promise((r) => setTimeout(r, BASELINE_MS));
  const baseline = { requests, failed, longestRequestMs, longestOpsMs, clientLoopMaxMs: loop.max / 1e6, requestsPerSecond: requests / (BASELINE_MS / 1000), p99Ms: percentile(latencies, 0.99) };
  loop.reset();
  requests = failed = 0;
  longestRequestMs = longestOpsMs = 0;
  latencies = latencyHistogram();
  const t0 = performance.now();
  const rss = sampleRss(child.pid);
  const cpuBefore = compilerThreadsCpu(child.pid);
  child.proc.kill('SIGHUP');
  const live = await waitFor(logs, (l) => l.msg === 'generation live' && l.generation === generation, 600_000);
  const totalMs = performance.now() - t0;
  const compilerCpuMs = compilerCpuSince(child.pid, cpuBefore);
  const rssPeakMb = rss.stop() / 1048576;
  const windowRequests = requests;
  const p99Ms = percentile(latencies, 0.99);
  await new Promise((r) => setTimeout(r, 300));
  loop.disable();
  const clientLoopMaxMs = loop.max / 1e6;
  running = false;
  await Promise.all([...clients, probing]);
  await agent.close();
  const rssAfterMb = rssBytes(child.pid) / 1048576;
  await new Promise((r) => setTimeout(r, 3_000));
  const reloaded = logs.find((l) => l.msg === 'config reloaded' && l.generation === generation);
  return {
    totalMs, timings: (reloaded?.timings ?? {}) as Record<string, number>, workerBuildMs: (live.workerBuildMs ?? []) as number[],
    compilerCpuMs, requests, failed, longestRequestMs, longestOpsMs, clientLoopMaxMs, requestsPerSecond: windowRequests / (totalMs / 1000), p99Ms, baseline, rssPeakMb, rssAfterMb, rssSettledMb: rssBytes(child.pid) / 1048576,
  };
}

/** Request times in microseconds (1 µs to 10 min, 3 significant digits). */
const latencyHistogram = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

/** The percentile `q` (0-1) of a window's request times, in ms; 0 for an empty window. */
function percentile(times: hdr.Histogram, q: number): number {
  return times.totalCount === 0 ? 0 : times.getValueAtPercentile(q * 100) / 1000;
}

async function waitFor(logs: LogLine[], pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logs.find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching gateway log line after ${timeoutMs} ms; last: ${JSON.stringify(logs.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
