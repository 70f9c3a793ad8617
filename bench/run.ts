/**
 * `npm run bench`: the same small proxied GET through nginx, the gateway, HAProxy and Caddy, each
 * alone on core 0, with an nginx backend and wrk on core 1; rounds in alternating order, a
 * saturation verdict per run, ratios to nginx only from saturated runs, then paired windows of one
 * and two workers (workers2), then a fixed-rate run for added latency. See README.md for what runs
 * where and what each figure means.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCaddy } from './caddy.js';
import { addedP99ByTarget, fixedRateFor, isBaseline, loadCoreNotes, MIN_COUNTED_ROUNDS, p99TargetMet, pacedRun, RATE_TOLERANCE, type PacedResult } from './fixed-rate.js';
import { startHaproxy } from './haproxy.js';
import { startRelay } from './relay-target.js';
import { measure } from './measure.js';
import { pacerBinary } from './pacer.js';
import { startBackend, startNginxProxy, type Backend } from './nginx.js';
import { CLK_TCK, killAllNow, runMain, stopChild } from './proc.js';
import { machine, pacedSummary, pacedTable, pairsSummary, pairsTable, runNotes, runsTable, summarize, summaryTable, writeJson, type Run } from './report.js';
import { CLOSE_CONNECTIONS, PACED_TARGET_SHARE, readSettings, type TargetName } from './settings.js';
import { probeTarget } from './probe.js';
import { startGateway, type GatewayVariant, type Layout, type Target } from './targets.js';
import { VERSION_ARGS, ensureTools, toolVersion, type Tool } from './tools.js';
import { measurePairs, summarizePairs, type WorkersPair } from './two-workers.js';
import { MIN_COUNTED_PAIRS, roundOrder, roundRatios, TWO_WORKER_LIMIT, twoWorkerTargetMet } from './verdict.js';
import { runWrk, writeWrkScript } from './wrk.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(repoRoot, 'bench/results');
const settings = readSettings();
const notes: string[] = [];
/** Configs, Lua scripts, nginx/HAProxy/Caddy files; removed on exit. */
let tmpDir: string | null = null;

/** A round's runs: the gateway variants, and `close` (every target as in plain, a connection per request). */
interface Planned { scenario: GatewayVariant | 'close'; target: TargetName }

/** Every (scenario, target) pair of one round, in the base order; rounds alternate it. */
function plan(targets: TargetName[]): Planned[] {
  const out: Planned[] = [];
  for (const target of targets) {
    if (settings.scenarios.includes('plain')) out.push({ scenario: 'plain', target });
    if (settings.scenarios.includes('close')) out.push({ scenario: 'close', target });
    if (target !== 'gateway') continue;
    if (settings.scenarios.includes('policies')) out.push({ scenario: 'policies', target });
    if (settings.scenarios.includes('https')) out.push({ scenario: 'https', target });
    if (settings.scenarios.includes('telemetry-off')) out.push({ scenario: 'telemetry-off', target });
    if (settings.scenarios.includes('metrics-only')) out.push({ scenario: 'metrics-only', target });
  }
  return out;
}

async function main(): Promise<number> {
  const twoCores = cpus().length >= 2;
  if (twoCores) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  else notes.push('fewer than 2 cores: nothing is pinned and no run can be judged saturated on its own core');
  const wanted: Tool[] = ['wrk', 'nginx', ...settings.targets.filter((t): t is 'haproxy' | 'caddy' => t === 'haproxy' || t === 'caddy')];
  const bins = ensureTools(wanted, notes);
  const wrkBin = bins.get('wrk');
  const nginxBin = bins.get('nginx');
  if (!wrkBin || !nginxBin) throw new Error(`wrk and nginx are required (load generator and backend): ${notes.join('; ')}`);
  const targets = settings.targets.filter((t) => t === 'gateway' || t === 'relay' || bins.get(t));
  const versions = Object.fromEntries(wanted.map((t) => [t, bins.get(t) ? toolVersion(bins.get(t)!, VERSION_ARGS[t]) : null]));

  const runPlan = plan(targets);
  // Known before the rounds: a missing load generator skips the fixed-rate part, not the report.
  let pacer: string | null = null;
  if (settings.scenarios.includes('fixed-rate')) {
    try { pacer = pacerBinary(repoRoot); } catch (err) { notes.push(`fixed-rate skipped: ${(err as Error).message}`); }
  }
  const fixedRate = pacer !== null;
  const perRunS = settings.warmupS + settings.durationS + 30;
  const pacedRunS = settings.pacedWarmupS + settings.durationS + 30;
  const pairedTargets = settings.scenarios.includes('workers2') ? targets.filter((t) => t === 'nginx' || t === 'gateway') : [];
  // Per proxy: two starts and warm-ups, then each pair's two windows (each ends with ~1.2 s of the gateway's self-report).
  const pairedS = pairedTargets.length * (2 * (settings.warmupS + 30) + settings.pairs * 2 * (settings.pairWindowS + 5));
  const budgetS = settings.rounds * runPlan.length * perRunS + pairedS + (fixedRate ? settings.pacedRounds * (targets.length + 1) * pacedRunS : 0) + 120;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${budgetS} s; killing everything\n`);
    killAllNow();
    process.exit(1);
  }, budgetS * 1000).unref();

  tmpDir = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
  const layout: Layout = { repoRoot, tmpDir, proxyCore: twoCores ? 0 : null, loadCore: twoCores ? 1 : null, allCores: twoCores ? '0,1' : null };
  const doneScript = writeWrkScript(tmpDir);
  const start = (target: TargetName, variant: GatewayVariant, backend: Backend): Promise<Target> => {
    switch (target) {
      case 'nginx': return startNginxProxy(nginxBin, layout, backend.port, variant === 'workers2' ? 2 : 1);
      case 'haproxy': return startHaproxy(bins.get('haproxy')!, layout, backend.port);
      case 'caddy': return startCaddy(bins.get('caddy')!, layout, backend.port, settings.connections);
      case 'relay': return startRelay(layout, backend.port);
      case 'gateway': return startGateway(layout, backend.port, variant, settings.cpuProf && variant === 'plain' ? resultsDir : null);
    }
  };
  const measureOpts = (backend: Backend) => ({ connections: settings.connections, loadCore: layout.loadCore, proxyCore: layout.proxyCore, backendPids: backend.pids });

  const runs: Run[] = [];
  const pairs: WorkersPair[] = [];
  const paced: PacedResult[] = [];
  let failed = false;
  /** Runs one part of the bench; a failure is noted under `label` and the bench goes on (false). */
  const attempt = async (label: string, part: () => Promise<void>): Promise<boolean> => {
    try {
      await part();
      return true;
    } catch (err) {
      failed = true;
      notes.push(`${label} failed: ${(err as Error).message.split('\n')[0]}`);
      process.stderr.write(`${label} failed: ${(err as Error).stack ?? String(err)}\n`);
      return false;
    }
  };
  /** `use` on a target started by `started`, once it answers the probe; the target is stopped whatever happens. */
  const onTarget = async (started: Promise<Target>, use: (t: Target) => Promise<void>): Promise<void> => {
    const t = await started;
    try {
      await probeTarget(t);
      await use(t);
    } finally {
      await t.stop();
    }
  };
  const backend = await startBackend(nginxBin, layout);
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const { scenario, target } of roundOrder(runPlan, round)) {
        const label = `round ${round + 1}/${settings.rounds} ${scenario} ${target}`;
        const close = scenario === 'close';
        await attempt(label, () => onTarget(start(target, close ? 'plain' : scenario, backend), async (started) => {
          // close: the same target, every request asking for its connection to be closed after the response.
          const t: Target = close ? { ...started, headers: { ...started.headers, Connection: 'close' } } : started;
          const connections = close ? CLOSE_CONNECTIONS : settings.connections;
          process.stderr.write(`${label}: warm-up ${settings.warmupS} s, then ${settings.durationS} s, wrk -t1 -c${connections}${close ? ', Connection: close' : ''}\n`);
          if (settings.warmupS > 0) await runWrk({ url: t.url, core: layout.loadCore, durationS: settings.warmupS, connections, script: doneScript, headers: t.headers });
          runs.push({ round, scenario, ...(await measure(t, { ...measureOpts(backend), connections, durationS: settings.durationS, load: { kind: 'wrk', script: doneScript } })) });
        }));
      }
    }

    for (const target of pairedTargets) {
      await attempt(`workers2 ${target}`, async () => {
        const opts = { ...measureOpts(backend), pairs: settings.pairs, windowS: settings.pairWindowS, warmupS: settings.warmupS, load: { kind: 'wrk' as const, script: doneScript } };
        pairs.push(...await measurePairs(target, () => start(target, 'plain', backend), () => start(target, 'workers2', backend), opts, (line) => process.stderr.write(`${line}\n`)));
      });
    }

    if (pacer !== null) {
      if (fixedRateFor(runs) === null) {
        notes.push('fixed-rate skipped: it runs at a share of nginx\'s max rate, and no plain nginx run was saturated (an unsaturated run\'s rate is the load generator\'s limit, not nginx\'s)');
      } else {
        const opts = { ...measureOpts(backend), durationS: settings.durationS, warmupS: settings.pacedWarmupS, pacer };
        const direct: Target = { name: 'direct', url: backend.url, cores: 1, pids: () => [], problems: backend.problems, stop: async () => {} };
        for (const share of settings.pacedShares) {
          const rate = fixedRateFor(runs, share)!;
          // Each round: direct first (the round's baseline), then the targets, in alternating order.
          for (let round = 0; round < settings.pacedRounds; round++) {
            let directP99: number | null = null;
            for (const name of ['direct', ...roundOrder(targets, round)] as const) {
              const label = `fixed-rate ${share}% round ${round + 1}/${settings.pacedRounds} ${name}`;
              const ok = await attempt(label, () => onTarget(name === 'direct' ? Promise.resolve(direct) : start(name, 'plain', backend), async (t) => {
                process.stderr.write(`${label}: ${rate} req/s open-loop (outpost-pacer), warm-up ${settings.pacedWarmupS} s, then ${settings.durationS} s\n`);
                const p = await pacedRun(t, rate, opts, directP99, round, share);
                // A direct run that did not sustain the rate, or ran over it, is no baseline: the round's targets get no added p99.
                if (name === 'direct') directP99 = isBaseline(p) ? p.latencyUs.p99 : null;
                paced.push(p);
              }));
              if (!ok && name === 'direct') break;
            }
          }
        }
      }
    }
  } finally {
    await stopChild(backend.child);
  }

  return report(runs, pairs, paced, versions, layout, failed);
}

/** CPU per request through the HTTPS listener minus through the plain one (medians), as text; null without both. */
function httpsCostUs(summary: ReturnType<typeof summarize>): string | null {
  const cpu = (scenario: string) => summary.find((s) => s.scenario === scenario && s.target === 'gateway')?.cpuUsPerReq?.median;
  const https = cpu('https');
  const plain = cpu('plain');
  if (https === undefined || plain === undefined) return null;
  return `${https.toFixed(1)} µs CPU/req vs ${plain.toFixed(1)} over plain HTTP: TLS costs ${(https - plain).toFixed(1)} µs per request`;
}

function report(runs: Run[], pairs: WorkersPair[], paced: PacedResult[], versions: Record<string, string | null>, layout: Layout, failed: boolean): number {
  const m = machine(CLK_TCK);
  const ratios = roundRatios(runs.map((r) => ({ round: r.round, scenario: r.scenario, target: r.target, reqPerSec: r.reqPerSec, cpuUsPerReq: r.cpuUsPerReq.proxy, saturated: r.saturated })));
  const summary = summarize(runs, ratios);
  const p99Met = p99TargetMet(paced);
  const pairSummary = summarizePairs(pairs);
  const twoWorkersMet = twoWorkerTargetMet(pairSummary.find((x) => x.target === 'gateway')?.ratio ?? null);
  const layoutText = layout.proxyCore === null
    ? 'unpinned (one core)'
    : `core ${layout.proxyCore}: the proxy under test (workers2: the gateway, and nginx with 2 workers, on cores ${layout.allCores}); core ${layout.loadCore}: backend nginx (1 worker, return 200) + wrk -t1 -c${settings.connections}${settings.scenarios.includes('close') ? ` (close: -c${CLOSE_CONNECTIONS})` : ''} + this runner`;
  if (settings.cpuProf) notes.push(`gateway CPU profiles (one per thread, plain and close runs) in ${resultsDir}; profiled runs are slower, not results`);
  for (const r of runs) notes.push(...runNotes(r));
  notes.push(...telemetryCost(runs));
  for (const p of pairs) for (const line of [...p.one.problems, ...p.two.problems]) notes.push(`workers2 pair ${p.pair + 1} ${p.target} logged: ${line}`);
  for (const p of paced) for (const line of p.problems) notes.push(`fixed-rate ${p.sharePct}% round ${p.round + 1} ${p.target} logged: ${line}`);
  notes.push(...loadCoreNotes(paced));
  const date = new Date().toISOString();
  const file = writeJson(resultsDir, { date, machine: m, layout: layoutText, tools: versions, settings, runs, ratios, summary, twoWorkers: { pairs, summary: pairSummary, gatewayWithinLimit: twoWorkersMet }, fixedRate: { results: paced, addedP99: Object.fromEntries(addedP99ByTarget(paced.filter((p) => p.sharePct === PACED_TARGET_SHARE))), addedP99ByShare: Object.fromEntries(settings.pacedShares.map((share) => [share, Object.fromEntries(addedP99ByTarget(paced.filter((p) => p.sharePct === share)))])), gatewayAddedP99WithinNginxPlus1ms: p99Met }, notes });

  const out: string[] = [''];
  out.push(`date: ${date}`, `machine: ${m.cpuModel}, ${m.nproc} cores, kernel ${m.kernel}, node ${m.node}`);
  out.push(`tools: ${Object.entries(versions).map(([k, v]) => (v === null ? `${k} (skipped)` : v.toLowerCase().startsWith(k) ? v : `${k} ${v}`)).join('; ')}`);
  out.push(`layout: ${layoutText}`);
  out.push(`settings: ${settings.durationS} s runs after ${settings.warmupS} s warm-up (fixed rate: ${settings.pacedWarmupS} s), ${settings.rounds} rounds (order alternates), targets ${settings.targets.join(',')}, scenarios ${settings.scenarios.join(',')}`);
  if (runs.length > 0) {
    out.push('', 'runs (ratio: to nginx in the same round, plain or close as the run, only from saturated runs):', runsTable(runs, ratios));
    out.push('', 'summary: median [min–max] over rounds; ratios over the rounds where both runs were saturated:', summaryTable(summary));
    const tlsCost = httpsCostUs(summary);
    if (tlsCost !== null) out.push(`HTTPS: ${tlsCost} (wrk keeps its ${settings.connections} connections open: record encryption, handshakes amortised)`);
  }
  if (pairs.length > 0) {
    out.push('', `two workers (workers2): each proxy's one-worker instance (core ${layout.proxyCore ?? '-'}) and two-worker instance (cores ${layout.allCores ?? '-'}) run at once; each pair is two back-to-back ${settings.pairWindowS} s windows, order alternating; ratio = two workers' CPU/req ÷ one worker's in the same pair, only when the one-worker window was saturated:`, pairsTable(pairs));
    out.push(...pairsSummary(pairSummary));
    out.push(`target "gateway 2 workers' CPU/req <= ${TWO_WORKER_LIMIT.toFixed(2)} × its 1 worker's" (median over the pairs): ${twoWorkersMet === null ? `n/a (fewer than ${MIN_COUNTED_PAIRS} pairs had a saturated one-worker window)` : twoWorkersMet ? 'met' : 'NOT met'}`);
  }
  if (paced.length > 0) {
    const shares = settings.pacedShares.map((share) => `${share}%: ${paced.find((p) => p.sharePct === share)?.rate ?? '-'} req/s`).join(', ');
    out.push('', `fixed rate (a share of nginx's median max over its saturated runs: ${shares}; outpost-pacer, open-loop over ${paced[0].connections} connections, latency from when each request was due; added p99 = p99 − the same round's direct p99; warm-up p99/max = the ${settings.pacedWarmupS} s of the same load before each run, from the target's start; busy proxy/load core = each core's busy share over the run (the load core holds the pacer and the backend); pacer lag = how late the pacer itself sent):`, pacedTable(paced));
    for (const share of settings.pacedShares) out.push(...pacedSummary(paced.filter((p) => p.sharePct === share)).map((line) => `${share}%: ${line}`));
    out.push(!settings.pacedShares.includes(PACED_TARGET_SHARE)
      ? `target "gateway added p99 <= nginx added p99 + 1 ms" at ${PACED_TARGET_SHARE}% of nginx's max: n/a (not run: BENCH_PACED_SHARES=${settings.pacedShares.join(',')})`
      : `target "gateway added p99 <= nginx added p99 + 1 ms" at ${PACED_TARGET_SHARE}% of nginx's max (medians over the rounds): ${p99Met === null ? `n/a (fewer than ${MIN_COUNTED_ROUNDS} rounds of the gateway or of nginx count: the target must run within ${RATE_TOLERANCE * 100}% of the rate, and that round's direct run sustain it)` : p99Met ? 'met' : 'NOT met'}`);
  }
  out.push('');
  for (const note of notes) out.push(`note: ${note}`);
  out.push(`report: ${file}`);
  process.stdout.write(out.join('\n') + '\n');
  return failed ? 1 : 0;
}

/**
 * Per round, CPU µs per request: metrics and request logs together (plain minus telemetry-off),
 * metrics alone (metrics-only minus telemetry-off) and request logs alone (plain minus metrics-only).
 */
function telemetryCost(runs: Run[]): string[] {
  const out: string[] = [];
  const rounds = [...new Set(runs.map((r) => r.round))].sort((a, b) => a - b);
  for (const round of rounds) {
    const of = (scenario: string) => runs.find((r) => r.round === round && r.scenario === scenario && r.target === 'gateway');
    const plain = of('plain');
    const off = of('telemetry-off');
    const metrics = of('metrics-only');
    const parts: string[] = [];
    const cost = (label: string, a: Run | undefined, b: Run | undefined) => {
      if (!a || !b) return;
      const flag = a.saturated && b.saturated ? '' : ' (a run was not saturated: indicative only)';
      parts.push(`${label} ${(a.cpuUsPerReq.proxy - b.cpuUsPerReq.proxy).toFixed(1)} µs (${a.cpuUsPerReq.proxy.toFixed(1)} − ${b.cpuUsPerReq.proxy.toFixed(1)})${flag}`);
    };
    cost('metrics + request logs', plain, off);
    cost('metrics', metrics, off);
    cost('request logs', plain, metrics);
    if (parts.length > 0) out.push(`round ${round + 1}: telemetry CPU per request: ${parts.join('; ')}`);
  }
  // Measured inside the gateway, so neither the host's drift between runs nor another run's JIT
  // luck enters it: the workers' own timing of the end-of-request hook, and the primary thread.
  for (const scenario of ['plain', 'metrics-only', 'telemetry-off']) {
    const selves = runs.filter((r) => r.scenario === scenario && r.target === 'gateway' && r.gatewaySelf !== undefined);
    if (selves.length === 0) continue;
    const hooks = selves.map((r) => r.gatewaySelf!.hookUs).filter((v): v is number => v !== null);
    const samples = selves.reduce((n, r) => n + r.gatewaySelf!.hookSamples, 0);
    const primary = selves.map((r) => r.gatewaySelf!.primaryUsPerReq);
    out.push(`${scenario} gateway, measured inside it: end-of-request telemetry hook ${hooks.length === 0 ? 'not run' : `${fmtSpread(hooks, 2)} µs per request (${samples} timed calls)`}; `
      + `primary thread (stdout writer, telemetry merge) ${fmtSpread(primary, 2)} µs per request`);
  }
  return out;
}

/** Median [min–max] of `values`. */
function fmtSpread(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return sorted.length === 1 ? median.toFixed(digits) : `${median.toFixed(digits)} [${sorted[0].toFixed(digits)}–${sorted[sorted.length - 1].toFixed(digits)}]`;
}

runMain('bench', main, () => tmpDir);
