/**
 * `npm run bench:instructions`: user-space instructions per proxied request, counted by
 * valgrind's callgrind, for the gateway's scenarios in one run.
 *
 * Why: on a shared VM the CPU time of the same build swings by 30% between runs minutes apart
 * (README, Performance), so an effect of 1-3% (one change on the request path) or of a feature
 * (request logs, metrics) cannot be read off wall-clock or CPU-time runs. An instruction count is
 * repeatable to about 1% whatever else the host does. It is not CPU time: the kernel's share
 * (about half of a proxied request here) is not counted, nor cache misses; it says how much work
 * the gateway's own code does, and where (INSTR_TOP).
 *
 * Per scenario: the gateway (one worker) starts under callgrind with instrumentation off, takes
 * INSTR_WARMUP requests (JIT tiers settle), then counts INSTR_REQUESTS requests over
 * INSTR_CONNECTIONS keep-alive connections (every thread of the process: workers, primary, thread
 * pool). The costs between scenarios come from those counts. Timers run per second of wall time
 * and a run is ~30x slower under valgrind, so timer work weighs more per request than at full
 * speed: the same wall time is counted again with the gateway idle, right after the load, and
 * printed beside the count as a bound on that share. It is not taken off: it also holds work the
 * load left behind (V8 shrinking the heap once allocation stops, the last log batches), which
 * made a "net" figure that subtracted it wrong by thousands of instructions.
 *
 * Settings (environment): INSTR_SCENARIOS (plain,metrics-only,telemetry-off,policies),
 * INSTR_WARMUP (60000), INSTR_REQUESTS (20000), INSTR_CONNECTIONS (8), INSTR_TOP (0: the N
 * functions with the most instructions per request in each scenario, JIT code named through
 * --perf-basic-prof), INSTR_KEEP (1: keep the callgrind dumps, with each run's perf map beside them
 * as perf-<pid>.map, for `callgrind_annotate --tree=caller`; the folder is printed).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startBackend } from './nginx.js';
import { CLK_TCK, runMain, spawnGateway, stopChild } from './proc.js';
import { machine, writeJson } from './report.js';
import { BENCH_KEY, gatewayConfig, ITEM_PATH, KEY_HEADER, PROXY_PREFIX, type Layout, type TelemetryMode } from './targets.js';
import { ensureTools, toolVersion } from './tools.js';
import { countWindows, keepAliveRequests, topFunctions, totalInstructions, type FunctionCost } from './instructions-count.js';

const SCENARIOS = {
  plain: { policies: false, telemetry: 'all' },
  'metrics-only': { policies: false, telemetry: 'metrics' },
  'telemetry-off': { policies: false, telemetry: 'off' },
  policies: { policies: true, telemetry: 'all' },
} as const satisfies Record<string, { policies: boolean; telemetry: TelemetryMode }>;
type Scenario = keyof typeof SCENARIOS;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let tmp: string | null = null;
/** INSTR_KEEP=1: the callgrind dumps and perf maps stay (the folder is printed) instead of going with the temporary folder. */
const keep = process.env.INSTR_KEEP === '1';

function intSetting(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${raw}: must be an integer >= ${min}`);
  return n;
}

function scenarioSetting(): Scenario[] {
  const raw = process.env.INSTR_SCENARIOS ?? 'plain,metrics-only,telemetry-off,policies';
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!(n in SCENARIOS)) throw new Error(`INSTR_SCENARIOS: unknown scenario "${n}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
  if (names.length === 0) throw new Error('INSTR_SCENARIOS: no scenario');
  return names as Scenario[];
}

interface ScenarioResult {
  scenario: Scenario;
  /** All instructions of the counted window, per request. */
  perRequest: number;
  /** The idle gateway's instructions over the same wall time right after the load, per request. */
  idlePerRequest: number;
  windowSeconds: number;
  top: FunctionCost[];
}

async function measureScenario(name: Scenario, layout: Layout, backendPort: number, opts: { warmup: number; requests: number; connections: number; top: number }): Promise<ScenarioResult> {
  const dir = join(layout.tmpDir, name);
  mkdirSync(dir, { recursive: true });
  const config = SCENARIOS[name];
  const configFile = join(dir, 'gateway.yaml');
  const gatewayFile = gatewayConfig(backendPort, config.policies, undefined, config.telemetry) as { gateway: Record<string, unknown> };
  // Its own warm-up below goes through the measured route; the built-in one would take minutes under valgrind.
  gatewayFile.gateway.warmupRequests = 0;
  writeFileSync(configFile, stringify(gatewayFile));
  const wrapper = ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'callgrind.%p')}`];
  // Naming (INSTR_TOP only): JIT code through the perf map; builtins through the node binary's
  // symbols, which --no-short-builtin-calls keeps them called at (by default V8 copies them next
  // to the JIT code, where they showed as one unnamed lump of ~9,000 instructions a request).
  const nodeArgs = opts.top > 0 ? ['--perf-basic-prof-only-functions', '--no-short-builtin-calls'] : [];
  // Start-up under valgrind takes about a minute on the 2-core VM; five are allowed.
  const gw = await spawnGateway(layout.repoRoot, null, configFile, nodeArgs, 1, join(dir, 'gateway.log'), { wrapper, startTimeoutMs: 300_000, readyTimeoutMs: 120_000 });
  const pid = gw.child.pid;
  try {
    const headers: Record<string, string> = config.policies ? { [KEY_HEADER]: BENCH_KEY } : {};
    const url = { port: gw.port, path: `${PROXY_PREFIX}${ITEM_PATH}`, headers };
    process.stderr.write(`${name}: warming up (${opts.warmup} requests)\n`);
    await keepAliveRequests(url, opts.warmup, opts.connections, 1_800_000);
    process.stderr.write(`${name}: counting ${opts.requests} requests\n`);
    const counted = await countWindows(pid, dir, () => keepAliveRequests(url, opts.requests, opts.connections, 1_800_000));
    const top = opts.top > 0 ? topFunctions(counted.dumpFile, `/tmp/perf-${pid}.map`, opts.requests, opts.top) : [];
    const idlePerRequest = counted.idleInstructions / opts.requests;
    const perRequest = totalInstructions(counted.dumpFile) / opts.requests;
    return { scenario: name, perRequest, idlePerRequest, windowSeconds: counted.windowSeconds, top };
  } finally {
    await stopChild(gw.child, 30_000);
    if (keep && existsSync(`/tmp/perf-${pid}.map`)) copyFileSync(`/tmp/perf-${pid}.map`, join(dir, `perf-${pid}.map`));
    rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
}

function table(results: ScenarioResult[]): string {
  const plain = results.find((r) => r.scenario === 'plain');
  const lines = ['| scenario | instructions/request | vs plain | same wall time idle, after the load (per request) |', '| --- | --- | --- | --- |'];
  for (const r of results) {
    const vs = plain === undefined || r === plain ? '' : `${r.perRequest >= plain.perRequest ? '+' : ''}${Math.round(r.perRequest - plain.perRequest).toLocaleString('en-US')}`;
    lines.push(`| ${r.scenario} | ${Math.round(r.perRequest).toLocaleString('en-US')} | ${vs} | ${Math.round(r.idlePerRequest).toLocaleString('en-US')} |`);
  }
  return lines.join('\n');
}

/** The telemetry and policy costs the scenarios give between them (instructions per request). */
function costs(results: ScenarioResult[]): Record<string, number> {
  const count = new Map(results.map((r) => [r.scenario, r.perRequest]));
  const out: Record<string, number> = {};
  const diff = (a: Scenario, b: Scenario): number | null => (count.has(a) && count.has(b) ? Math.round(count.get(a)! - count.get(b)!) : null);
  const metrics = diff('metrics-only', 'telemetry-off');
  const logs = diff('plain', 'metrics-only');
  const both = diff('plain', 'telemetry-off');
  const policies = diff('policies', 'plain');
  if (metrics !== null) out.metrics = metrics;
  if (logs !== null) out.requestLogs = logs;
  if (both !== null) out.metricsAndRequestLogs = both;
  if (policies !== null) out.keyRateLimitSetHeader = policies;
  return out;
}

async function main(): Promise<number> {
  const scenarios = scenarioSetting();
  const opts = {
    warmup: intSetting('INSTR_WARMUP', 60_000, 0),
    requests: intSetting('INSTR_REQUESTS', 20_000, 100),
    connections: intSetting('INSTR_CONNECTIONS', 8, 1),
    top: intSetting('INSTR_TOP', 0, 0),
  };
  const notes: string[] = [];
  const tools = ensureTools(['nginx', 'valgrind'], notes);
  const nginx = tools.get('nginx');
  if (!nginx || !tools.get('valgrind')) {
    process.stderr.write(`bench:instructions needs nginx (the backend) and valgrind: ${notes.join('; ')}\n`);
    return 2;
  }
  if (!existsSync(join(repoRoot, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run npm run build');
  tmp = mkdtempSync(join(tmpdir(), 'outpost-instr-'));
  const layout: Layout = { repoRoot, tmpDir: tmp, proxyCore: null, loadCore: null, allCores: null };
  const backend = await startBackend(nginx, layout);
  const results: ScenarioResult[] = [];
  try {
    for (const s of scenarios) {
      const r = await measureScenario(s, layout, backend.port, opts);
      process.stderr.write(`${s}: ${Math.round(r.perRequest)} instructions/request (idle timers ${Math.round(r.idlePerRequest)})\n`);
      results.push(r);
    }
  } finally {
    await stopChild(backend.child);
  }
  const m = machine(CLK_TCK);
  const report = {
    kind: 'instructions', at: new Date().toISOString(), machine: m, valgrind: toolVersion('valgrind', ['--version']), nginx: toolVersion(nginx, ['-v']),
    settings: { scenarios, ...opts }, results, costs: costs(results), notes,
  };
  const file = writeJson(join(repoRoot, 'bench', 'results'), report);
  const out = [
    `bench:instructions, ${m.cpuModel}, ${m.nproc} cores, node ${m.node}; ${opts.warmup} warm-up and ${opts.requests} counted requests on ${opts.connections} keep-alive connections, one worker, nginx backend`,
    '',
    table(results),
    '',
    `costs (instructions per request): ${Object.entries(report.costs).map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v.toLocaleString('en-US')}`).join(', ') || 'none (needs two scenarios)'}`,
  ];
  for (const r of results) {
    if (r.top.length === 0) continue;
    out.push('', `${r.scenario}: top functions, instructions per request`);
    for (const f of r.top) out.push(`  ${String(Math.round(f.perRequest)).padStart(7)}  ${f.name}`);
  }
  for (const n of notes) out.push(`note: ${n}`);
  out.push('', `results: ${file}`);
  if (keep) out.push(`callgrind dumps and perf maps kept in ${tmp}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

runMain('bench:instructions', main, () => (keep ? null : tmp));
