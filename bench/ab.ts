/**
 * `npm run bench:ab`: what one gateway configuration costs against another, in CPU per request,
 * measured over the same seconds.
 *
 * Why: on a shared VM the CPU per request of one build moves by 30% or more from one run to the
 * next (README, Performance), so a cost of 1-2 µs (request logs, metrics) read as the difference
 * of two runs taken one after the other is noise: in one `npm run bench` of eight rounds the
 * telemetry pairs ranged from -14 to +9.5 µs. Here both gateways run at once, pinned together to
 * core 0, each loaded by its own wrk (on core 1) for the same window, so whatever the host does
 * in that window (another tenant, the clock, the caches) it does to both. The core is the
 * bottleneck: the two share it, and each one's CPU per request is its CPU time over its requests.
 * Sharing a core costs each some cache refill after the other ran; the A/A run (AB_A = AB_B)
 * shows what that and the method's noise add: the same configuration against itself.
 *
 * Fresh processes for each of AB_PAIRS pairs: two processes of one build can sit a few % apart
 * (what the JIT made of them, where their memory landed), so the median is taken over windows of
 * several pairs.
 *
 * Two builds: AB_BUILD_A and AB_BUILD_B name checkouts (each with its `dist/` and native addon
 * built) whose gateway runs as A or as B; either defaults to this checkout. With AB_A = AB_B, the
 * difference is the builds'.
 *
 * Settings (environment): AB_A (telemetry-off), AB_B (plain): gateway scenarios among plain,
 * metrics-only, telemetry-off, policies and https; AB_BUILD_A, AB_BUILD_B (this checkout); AB_PAIRS (3) pairs, each AB_WINDOWS (4) measured
 * windows of AB_DURATION seconds (8) after AB_WARMUP seconds (3); AB_CONNECTIONS (32) per gateway.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreJiffies, sumTicks } from './measure.js';
import { startBackend } from './nginx.js';
import { probeTarget } from './probe.js';
import { CLK_TCK, runMain, threadStats } from './proc.js';
import { machine, writeJson } from './report.js';
import { envInt } from './settings.js';
import { startGateway, type GatewayVariant, type Layout, type Target } from './targets.js';
import { ensureTools, toolVersion, VERSION_ARGS } from './tools.js';
import { runWrk, writeWrkScript, type WrkResult } from './wrk.js';
import { abReport, type AbWindow, type ThreadSplit } from './ab-report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(repoRoot, 'bench/results');
const VARIANTS = ['plain', 'metrics-only', 'telemetry-off', 'policies', 'https'] as const satisfies readonly GatewayVariant[];
type Variant = (typeof VARIANTS)[number];
/** Core 0 busier than this over a window: the proxies, not the load generators, set the pace. */
const SATURATED_SHARE = 0.9;
let tmp: string | null = null;

function variantSetting(name: string, fallback: Variant): Variant {
  const raw = process.env[name] ?? fallback;
  if (!(VARIANTS as readonly string[]).includes(raw)) throw new Error(`${name}=${raw}: must be one of ${VARIANTS.join(', ')}`);
  return raw as Variant;
}

/** A checkout to run a gateway from (AB_BUILD_A / AB_BUILD_B): this one when unset; it must hold a built gateway. */
function buildSetting(name: string): string {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return repoRoot;
  const dir = resolve(raw);
  if (!existsSync(join(dir, 'dist/src/cli.js'))) throw new Error(`${name}=${raw}: no dist/src/cli.js there (build that checkout first: npx tsc -p .)`);
  return dir;
}

const ticksToUs = (ticks: number): number => (ticks * 1e6) / CLK_TCK;

/** utime + stime of each live thread of process `pid`. */
function threadTicks(pid: number): Map<number, number> {
  return new Map([...threadStats(pid)].map(([tid, t]) => [tid, t.ticks]));
}

/**
 * A window's CPU of one gateway by thread: the primary (the process's main thread: stdout, the
 * telemetry merge), the worker (the busiest other thread: it serves the requests; Node names no
 * thread, so it is found by its load) and the rest (libuv's pool: stdout's writes; V8's helpers).
 */
function byThread(pid: number, before: Map<number, number>, after: Map<number, number>): ThreadSplit {
  let primary = 0;
  let worker = 0;
  let rest = 0;
  for (const [tid, ticks] of after) {
    const delta = ticks - (before.get(tid) ?? 0);
    if (tid === pid) primary = delta;
    else if (delta > worker) { rest += worker; worker = delta; }
    else rest += delta;
  }
  return { primary, worker, rest };
}

/** One window: both gateways loaded at once by `load`; each one's CPU per request, by thread too. */
async function measureWindow(gwA: Target, gwB: Target, load: () => Promise<[WrkResult, WrkResult]>): Promise<AbWindow> {
  const snapshot = () => ({ a: sumTicks(gwA.pids()), b: sumTicks(gwB.pids()), core: coreJiffies()[0], aThreads: threadTicks(gwA.primaryTid!), bThreads: threadTicks(gwB.primaryTid!) });
  const before = snapshot();
  const [ra, rb] = await load();
  const after = snapshot();
  const perReq = (split: ThreadSplit, requests: number): ThreadSplit => ({
    primary: ticksToUs(split.primary) / Math.max(1, requests), worker: ticksToUs(split.worker) / Math.max(1, requests), rest: ticksToUs(split.rest) / Math.max(1, requests),
  });
  // Busy or stolen: either way nothing of core 0 was left idle for the gateways.
  const [busy0, steal0, total0] = before.core;
  const [busy1, steal1, total1] = after.core;
  const core0Busy = (busy1 + steal1 - busy0 - steal0) / Math.max(1, total1 - total0);
  return {
    aUs: ticksToUs(after.a - before.a) / Math.max(1, ra.requests), bUs: ticksToUs(after.b - before.b) / Math.max(1, rb.requests),
    aRps: ra.reqPerSec, bRps: rb.reqPerSec, core0Busy, saturated: core0Busy >= SATURATED_SHARE && ra.requests > 0 && rb.requests > 0,
    aThreads: perReq(byThread(gwA.primaryTid!, before.aThreads, after.aThreads), ra.requests),
    bThreads: perReq(byThread(gwB.primaryTid!, before.bThreads, after.bThreads), rb.requests),
  };
}

async function main(): Promise<number> {
  const a = variantSetting('AB_A', 'telemetry-off');
  const b = variantSetting('AB_B', 'plain');
  const pairs = envInt(process.env, 'AB_PAIRS', 3, 1, 20);
  const windowCount = envInt(process.env, 'AB_WINDOWS', 4, 1, 100);
  const durationS = envInt(process.env, 'AB_DURATION', 8, 2, 120);
  const warmupS = envInt(process.env, 'AB_WARMUP', 3, 0, 60);
  const connections = envInt(process.env, 'AB_CONNECTIONS', 32, 1, 1024);
  const buildA = buildSetting('AB_BUILD_A');
  const buildB = buildSetting('AB_BUILD_B');
  if (cpus().length < 2) throw new Error('bench:ab needs two cores: the gateways on core 0, backend and load on core 1');
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const notes: string[] = [];
  const bins = ensureTools(['wrk', 'nginx'], notes);
  const nginxBin = bins.get('nginx');
  if (!bins.get('wrk') || !nginxBin) throw new Error(`wrk and nginx are required: ${notes.join('; ')}`);
  setTimeout(() => { process.stderr.write('bench:ab: over its time budget; stopping\n'); process.exit(1); },
    (pairs * (warmupS + 30 + (durationS + 30) * windowCount) + 120) * 1000).unref();

  tmp = mkdtempSync(join(tmpdir(), 'outpost-ab-'));
  const layout: Layout = { repoRoot, tmpDir: tmp, proxyCore: 0, loadCore: 1, allCores: '0,1' };
  const script = writeWrkScript(tmp);
  const backend = await startBackend(nginxBin, layout);
  const windows: AbWindow[] = [];
  const problems: string[] = [];
  process.stderr.write(`bench:ab: A ${a} and B ${b} together on core 0; ${pairs} pairs of fresh processes, each warmed up ${warmupS} s, then ${windowCount} windows of ${durationS} s, wrk -t1 -c${connections} each\n`);
  for (let pair = 0; pair < pairs; pair++) {
    // Fresh processes per pair: one process's JIT and memory layout can sit a few % off another's of the same build.
    const gwA = await startGateway({ ...layout, repoRoot: buildA }, backend.port, a, null, `a-${a}`);
    const gwB = await startGateway({ ...layout, repoRoot: buildB }, backend.port, b, null, `b-${b}`);
    try {
      await probeTarget(gwA);
      await probeTarget(gwB);
      const both = (seconds: number): Promise<[WrkResult, WrkResult]> => Promise.all([gwA, gwB].map((t) =>
        runWrk({ url: t.url, core: 1, durationS: seconds, connections, script, headers: t.headers }))) as Promise<[WrkResult, WrkResult]>;
      if (warmupS > 0) await both(warmupS);
      for (let i = 0; i < windowCount; i++) {
        const w = await measureWindow(gwA, gwB, () => both(durationS));
        windows.push(w);
        process.stderr.write(`pair ${pair + 1}/${pairs} window ${i + 1}/${windowCount}: A ${w.aUs.toFixed(2)} µs, B ${w.bUs.toFixed(2)} µs per request\n`);
      }
    } finally {
      problems.push(...gwA.problems(), ...gwB.problems());
      await Promise.all([gwA.stop(), gwB.stop()]);
    }
  }
  const m = machine(CLK_TCK);
  const header = [
    `bench:ab, ${m.cpuModel}, ${m.nproc} cores, node ${m.node}, ${toolVersion(bins.get('wrk')!, VERSION_ARGS.wrk).split('\n')[0]}`,
    ...(buildA === repoRoot && buildB === repoRoot ? [] : [`builds: A ${buildA}, B ${buildB}`]),
    `layout: core 0: gateway A (${a}) and gateway B (${b}), one worker each, together; core 1: nginx backend, two wrk -t1 -c${connections}, this runner`,
    `${pairs} pairs of fresh gateways, each ${windowCount} windows of ${durationS} s after ${warmupS} s of warm-up; a window counts when core 0 was at least ${SATURATED_SHARE * 100}% busy`,
  ];
  const lines = [...header, '', ...abReport(a, b, windows), ...notes.map((n) => `note: ${n}`)];
  process.stdout.write(lines.join('\n') + '\n');
  const file = writeJson(resultsDir, { kind: 'ab', machine: m, a, b, buildA, buildB, pairs, windowCount, durationS, warmupS, connections, windows, problems: [...new Set([...problems, ...backend.problems()])].slice(0, 20) });
  process.stdout.write(`results: ${file}\n`);
  return windows.some((w) => w.saturated) ? 0 : 1;
}

runMain('bench:ab', main, () => tmp);
