/**
 * One measured run against one target: wrk for throughput and latency (the pacer for a fixed-rate
 * run), /proc for the CPU each side spent and for whether the proxy was saturated. CPU per request
 * takes the whole run; the saturation verdict takes the middle of it (half a second in from each
 * end), where wrk's connection set-up and tear-down cannot make a busy proxy look idle.
 */
import { readFileSync } from 'node:fs';
import { runPacer, type PacerStats } from './pacer.js';
import { CLK_TCK, allProcessTicks, cpuTicks, describeProcess, statFields } from './proc.js';
import type { Target } from './targets.js';
import { saturation } from './verdict.js';
import { runWrk, type WrkResult } from './wrk.js';

export interface Sample { atUs: number; proxyTicks: number }

export interface Measurement {
  target: string;
  url: string;
  /** The load generator's report: wrk's, or the pacer's (with its own stats) for a fixed-rate run. */
  wrk: WrkResult & { pacer?: PacerStats };
  reqPerSec: number;
  /** CPU µs per completed request: the proxy (all its processes and threads), backend, wrk. */
  cpuUsPerReq: { proxy: number; backend: number; wrk: number };
  /** Share of its `cores` the proxy used in the middle of the run (1 = every cycle of them). */
  proxyShare: number;
  saturated: boolean;
  cores: number;
  /** Busy share (0..1) of each core over the run, from /proc/stat (steal excluded). */
  coreBusy: number[];
  /**
   * Share of the proxy's core busy with anything but the proxy (other programs, kernel work);
   * null when the proxy is not pinned to one core. A run where this is high did not give the
   * proxy its core, whatever the verdict says.
   */
  proxyCoreOthers: number | null;
  /** Share of each core the hypervisor gave to someone else. */
  coreSteal: number[];
  /**
   * The gateway only, from the gateway itself: mean µs of its end-of-request telemetry hook over the
   * run (one request in 64 is timed; null when none was), and its primary thread's CPU µs per
   * request (the stdout writer and the telemetry merge run there).
   */
  gatewaySelf?: { hookUs: number | null; hookSamples: number; primaryUsPerReq: number };
  /** The busiest processes during the run that are not the bench's (share of one core). */
  otherProcesses: Array<{ pid: number; command: string; coreShare: number }>;
  problems: string[];
}

/** wrk at full speed with a Lua script, or the open-loop pacer (bench/pacer.ts) at a fixed rate. */
export type Load = { kind: 'wrk'; script: string } | { kind: 'pacer'; binary: string; rate: number };

export interface MeasureOptions {
  durationS: number;
  connections: number;
  load: Load;
  loadCore: number | null;
  /** The proxy's core when it is pinned to one. */
  proxyCore: number | null;
  backendPids: () => number[];
}

const ticksToUs = (ticks: number) => (ticks * 1e6) / CLK_TCK;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** utime+stime of `pids` (all their threads), skipping any that have exited. */
export function sumTicks(pids: number[]): number {
  return pids.reduce((sum, pid) => { try { return sum + cpuTicks(pid); } catch { return sum; } }, 0);
}

/** CPU ticks of one thread of a process (/proc/<pid>/task/<tid>/stat); 0 once it is gone. */
function threadTicks(tid: number): number {
  try {
    const fields = statFields(`/proc/${tid}/task/${tid}/stat`);
    return Number(fields[11]) + Number(fields[12]);
  } catch { return 0; }
}

/** CPU ticks of this process's reaped children (cutime + cstime): wrk's cost once it has exited. */
function childrenTicks(): number {
  const fields = statFields('/proc/self/stat');
  return Number(fields[13]) + Number(fields[14]); // cutime, cstime are fields 16 and 17
}

/** Per-core [busy, steal, total] jiffies (user nice system idle iowait irq softirq steal). */
export function coreJiffies(): Array<[number, number, number]> {
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
    .filter((p) => p.coreShare >= 0.05)
    .sort((a, b) => b.coreShare - a.coreShare)
    .slice(0, 5)
    .map((p) => ({ pid: p.pid, command: describeProcess(p.pid), coreShare: p.coreShare }));
}

export async function measure(target: Target, opts: MeasureOptions): Promise<Measurement> {
  const proxyPids = target.pids();
  const backendPids = opts.backendPids();
  const sample = (): Sample => ({ atUs: nowUs(), proxyTicks: sumTicks(proxyPids) });
  const others = allProcessTicks();
  const selfBefore = target.selfReport ? await target.selfReport().catch(() => null) : null;
  const primaryBefore = target.primaryTid === undefined ? 0 : threadTicks(target.primaryTid);
  const before = { ...sample(), backend: sumTicks(backendPids), wrk: childrenTicks(), cores: coreJiffies() };

  // The saturation window: the middle of the run, or all of it when the run is too short to trim.
  const edgeMs = opts.durationS >= 2 ? 500 : 0;
  const mid: { first?: Sample; last?: Sample } = {};
  const t1 = setTimeout(() => { mid.first = sample(); }, edgeMs);
  const t2 = setTimeout(() => { mid.last = sample(); }, opts.durationS * 1000 - edgeMs);
  let wrk: Measurement['wrk'];
  try {
    const run = { url: target.url, core: opts.loadCore, durationS: opts.durationS, connections: opts.connections, headers: target.headers };
    wrk = opts.load.kind === 'wrk' ? await runWrk({ ...run, script: opts.load.script }) : await runPacer({ ...run, binary: opts.load.binary, rate: opts.load.rate });
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
  }
  const after = { ...sample(), backend: sumTicks(backendPids), wrk: childrenTicks(), cores: coreJiffies() };
  const primaryAfter = target.primaryTid === undefined ? 0 : threadTicks(target.primaryTid);
  // Workers report every second: wait for the last report before reading the hook's summary.
  const selfAfter = selfBefore === null ? null : await new Promise((r) => setTimeout(r, 1_200)).then(() => target.selfReport!()).catch(() => null);
  const wallUs = after.atUs - before.atUs;
  const window: [Sample, Sample] = mid.first && mid.last ? [mid.first, mid.last] : [before, after];
  const verdict = saturation(ticksToUs(window[1].proxyTicks - window[0].proxyTicks), window[1].atUs - window[0].atUs, target.cores);

  const perReq = (ticks: number) => (wrk.requests > 0 ? ticksToUs(ticks) / wrk.requests : 0);
  const proxyUs = ticksToUs(after.proxyTicks - before.proxyTicks);
  const coreShare = (field: 0 | 1) => after.cores.map((now, i) => {
    const then = before.cores[i] ?? [0, 0, 0];
    return now[2] > then[2] ? (now[field] - then[field]) / (now[2] - then[2]) : 0;
  });
  const coreBusy = coreShare(0);
  return {
    target: target.name,
    url: target.url,
    wrk,
    reqPerSec: wrk.reqPerSec,
    cpuUsPerReq: {
      proxy: wrk.requests > 0 ? proxyUs / wrk.requests : 0,
      backend: perReq(after.backend - before.backend),
      wrk: perReq(after.wrk - before.wrk),
    },
    proxyShare: verdict.share,
    saturated: verdict.saturated,
    cores: target.cores,
    coreBusy,
    proxyCoreOthers: opts.proxyCore === null || target.cores !== 1 ? null : Math.max(0, (coreBusy[opts.proxyCore] ?? 0) - proxyUs / wallUs),
    coreSteal: coreShare(1),
    ...(selfBefore !== null && selfAfter !== null ? {
      gatewaySelf: {
        hookSamples: selfAfter.hookSamples - selfBefore.hookSamples,
        hookUs: selfAfter.hookSamples > selfBefore.hookSamples ? ((selfAfter.hookSeconds - selfBefore.hookSeconds) * 1e6) / (selfAfter.hookSamples - selfBefore.hookSamples) : null,
        primaryUsPerReq: perReq(primaryAfter - primaryBefore),
      },
    } : {}),
    otherProcesses: busiestOthers(others, allProcessTicks(), new Set([...proxyPids, ...backendPids, process.pid]), wallUs),
    problems: target.problems(),
  };
}
