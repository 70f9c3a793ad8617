/**
 * `npm run bench`: the same small GET, for a fixed time, straight to the backend, through the
 * gateway, and through nginx. The proxy under test runs alone on core 0; the backend and the load
 * generator (this process) share core 1, so the proxies are compared on equal CPU. See README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, warmUp, type LoadOptions, type Measurement } from './load.js';
import { ensureNginx, nginxVersion, startNginx } from './nginx.js';
import { CLK_TCK, httpGet, killAllNow, runMain, stopChild } from './proc.js';
import { machine, printReport, ratios, writeJson } from './report.js';
import { directTarget, startBackend, startGateway, type Layout, type Target } from './targets.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(repoRoot, 'bench/results');

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number in ${min}..${max}, got "${raw}"`);
  return value;
}

const settings = {
  durationS: envInt('BENCH_DURATION', 10, 1, 600),
  warmupS: envInt('BENCH_WARMUP', 2, 0, 60),
  connections: envInt('BENCH_CONNECTIONS', 64, 1, 4096),
  cpuProf: process.env.BENCH_CPU_PROF === '1',
};
const notes: string[] = [];
/** Gateway config and nginx files; removed on exit. */
let tmpDir: string | null = null;

/** Pin every thread of this process (the load generator) to `core`; threads made later inherit it. */
function pinSelf(core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

async function scenario(target: () => Promise<Target>, expectedBody: string, backendPid: number): Promise<Measurement> {
  const t = await target();
  try {
    // A proxy that answers 404 quickly would win the bench; check it really proxies first.
    const probe = await httpGet(t.url, 2_000, t.headers);
    if (probe.status !== 200 || probe.body !== expectedBody) {
      throw new Error(`${t.name} answered ${probe.status} "${probe.body.slice(0, 200)}" instead of the backend's body`);
    }
    process.stderr.write(`${t.name}: warm-up ${settings.warmupS} s, then ${settings.durationS} s at ${settings.connections} connections\n`);
    const opts: LoadOptions = { durationS: settings.durationS, connections: settings.connections };
    await warmUp(t, { ...opts, durationS: settings.warmupS });
    return await measure(t, backendPid, opts);
  } finally {
    await t.stop();
  }
}

async function main(): Promise<number> {
  const twoCores = cpus().length >= 2;
  if (twoCores) pinSelf(1);
  else notes.push('fewer than 2 cores: nothing is pinned, proxy and load generator share the CPU');
  const nginxBin = ensureNginx();
  if (!nginxBin) notes.push('nginx is not available and could not be installed: nginx comparison skipped');

  // Bounded no matter what hangs: three runs plus generous start/stop time.
  const budgetS = 4 * (settings.durationS + settings.warmupS + 60);
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${budgetS} s; killing everything\n`);
    killAllNow();
    process.exit(1);
  }, budgetS * 1000).unref();

  tmpDir = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
  const layout: Layout = { repoRoot, tmpDir, proxyCore: twoCores ? 0 : null, loadCore: twoCores ? 1 : null };
  const results: Measurement[] = [];
  let failed = false;
  const backend = await startBackend(layout);
  try {
    const direct = directTarget(backend.port);
    const expected = await httpGet(direct.url);
    if (expected.status !== 200) throw new Error(`backend answered ${expected.status}`);
    const scenarios: Array<[string, () => Promise<Target>]> = [
      ['direct', async () => direct],
      ['gateway', () => startGateway(layout, backend.port, settings.cpuProf ? resultsDir : null)],
      ['gateway+policies', () => startGateway(layout, backend.port, null, true)],
    ];
    if (nginxBin) scenarios.push(['nginx', () => startNginx(nginxBin, layout, backend.port)]);
    for (const [name, start] of scenarios) {
      try {
        results.push(await scenario(start, expected.body, backend.child.pid));
      } catch (err) {
        failed = true;
        notes.push(`${name} run failed: ${(err as Error).message}`);
        process.stderr.write(`${name} run failed: ${(err as Error).stack ?? String(err)}\n`);
      }
    }
  } finally {
    await stopChild(backend.child);
  }

  const m = machine(CLK_TCK);
  const r = ratios(results);
  if (settings.cpuProf) notes.push(`gateway CPU profiles (one per thread) in ${resultsDir}`);
  const file = writeJson(resultsDir, {
    time: new Date().toISOString(), machine: m, settings, nginx: nginxBin ? nginxVersion(nginxBin) : null,
    layout: { proxyCore: layout.proxyCore, loadCore: layout.loadCore }, results, ratios: r, notes,
  });
  notes.push(`report: ${file}`);
  printReport(m, settings, results, r, notes);
  return failed ? 1 : 0;
}

runMain('bench', main, () => tmpDir);
