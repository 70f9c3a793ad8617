/**
 * `npm run bench:large`: configs of 10, 10,000 and 50,000 APIs (× 10 operations) through every
 * phase a config goes through. In-process (large-phases.ts): YAML parse, validation, compile,
 * table size, a worker's generation build, the router's match() cost. Then the real gateway
 * (large-gateway.ts): startup, RSS, and reloads under load with their breakdown, failed requests
 * and the longest stall. LARGE_SIZES=10,10000 picks sizes; LARGE_RELOADS (default 2) per size;
 * LARGE_GATEWAY=0 skips the gateway part; LARGE_FORMAT=yaml gives the gateway YAML instead of JSON;
 * LARGE_YAML_MAX (default 10000) is the largest size whose YAML parse is timed. Match cost is CPU time. Writes bench/results/large-<time>.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runMain, spawnPinned, stopChild, waitForLine } from './proc.js';
import { largeConfig } from './large-config-gen.js';
import { measurePhases, type PhaseNumbers } from './large-phases.js';
import { measureGateway, type GatewayNumbers } from './large-gateway.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SIZES = (process.env.LARGE_SIZES ?? '10,10000,50000').split(',').map(Number);
const RELOADS = Number(process.env.LARGE_RELOADS ?? 2);
const GATEWAY = process.env.LARGE_GATEWAY !== '0';
/** The YAML parser takes about a second per MB: above this many APIs the YAML text is skipped. */
const YAML_MAX = Number(process.env.LARGE_YAML_MAX ?? 10_000);
/** The file the gateway reads: json (default) or yaml. */
const FORMAT = process.env.LARGE_FORMAT ?? 'json';
let tmp: string | null = null;

const f = (n: number, digits = 0) => n.toFixed(digits);
/** The compiler thread's CPU over a reload, as printed. */
const cpuPart = (ms: number | null) => (ms === null ? 'compiler thread CPU unknown (no addon)' : `compiler thread CPU ${f(ms)} ms`);

async function main(): Promise<number> {
  if (SIZES.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 200_000)) throw new Error('LARGE_SIZES: whole numbers in 1..200000');
  tmp = mkdtempSync(join(tmpdir(), 'outpost-large-'));
  const backend = spawnPinned(null, process.execPath, [join(repoRoot, 'dist/bench/backend.js')]);
  const backendPort = await waitForLine(backend, (l) => { try { return (JSON.parse(l) as { port?: number }).port; } catch { return undefined; } }, 10_000, 'backend');
  const rows: Array<{ phases: PhaseNumbers; gateway: GatewayNumbers | null }> = [];
  let baselineNs = 0;
  let baselineHotNs = 0;
  for (const apis of SIZES) {
    const config = largeConfig({ apis, serviceUrl: `http://127.0.0.1:${backendPort}` });
    const yaml = apis <= YAML_MAX ? stringify(config) : null;
    const json = JSON.stringify(config, null, 1);
    const file = join(tmp, FORMAT === 'yaml' && yaml !== null ? `gateway-${apis}.yaml` : `gateway-${apis}.json`);
    writeFileSync(file, FORMAT === 'yaml' && yaml !== null ? yaml : json);
    const phases = measurePhases(apis, yaml, json);
    if (baselineNs === 0) { baselineNs = phases.matchNs; baselineHotNs = phases.matchHotNs; }
    const yamlPart = phases.parseYamlMs === null ? 'YAML skipped' : `YAML ${f(phases.yamlBytes / 1048576, 1)} MB parse ${f(phases.parseYamlMs)} ms`;
    process.stdout.write(`${apis} APIs: ${yamlPart}, JSON ${f(phases.jsonBytes / 1048576, 1)} MB parse ${f(phases.parseMs)} ms, validate ${f(phases.validateMs)} ms, ${phases.inParts === null ? 'in parts: no addon' : `in parts (the gateway's path) parse ${f(phases.inParts.parseMs)} + validate ${f(phases.inParts.validateMs)} ms`}, compile ${f(phases.compileMs)} ms, table ${f(phases.tableBytes / 1048576, 1)} MB, ` +
      `generation build ${f(phases.buildMs, 1)} ms (+${f(phases.generationHeapMb, 1)} MB heap), match ${f(phases.matchNs)} ns (${f((phases.matchNs / baselineNs - 1) * 100, 1)}% vs first size), ` +
      `8 hot APIs ${f(phases.matchHotNs)} ns (${f((phases.matchHotNs / baselineHotNs - 1) * 100, 1)}%)` +
      (phases.hotAloneRatio === null ? '' : `, the same 8 APIs against a table of their own ${f(phases.hotAloneRatio.median, 3)}× [${f(phases.hotAloneRatio.min, 2)}–${f(phases.hotAloneRatio.max, 2)}]`) + '\n');
    const gateway = GATEWAY ? await measureGateway(join(repoRoot, 'dist/src/cli.js'), file, apis, RELOADS) : null;
    if (gateway) {
      process.stdout.write(`  gateway: startup ${f(gateway.startupMs)} ms, RSS ${f(gateway.rssStartMb)} MB, settled ${f(gateway.rssStartSettledMb)} MB\n`);
      const idle = gateway.idleReload;
      process.stdout.write(`  reload, no load: ${f(idle.totalMs)} ms (${Object.entries(idle.timings).map(([k, v]) => `${k} ${f(v)}`).join(', ')}; ${cpuPart(idle.compilerCpuMs)}), RSS peak ${f(idle.rssPeakMb)} MB\n`);
      for (const r of gateway.reloads) {
        const t = Object.entries(r.timings).map(([k, v]) => `${k} ${f(v)}`).join(', ');
        process.stdout.write(`  reload: ${f(r.totalMs)} ms (${t}; ${cpuPart(r.compilerCpuMs)}; worker switch ${r.workerBuildMs.map((m) => f(m, 1)).join('/')} ms), ` +
          `${r.requests} requests (${f(r.requestsPerSecond)}/s, p99 ${f(r.p99Ms, 1)} ms), ${r.failed} failed, longest request ${f(r.longestRequestMs)} ms, longest ops answer ${f(r.longestOpsMs)} ms (load generator's loop ${f(r.clientLoopMaxMs)} ms; ` +
          `same load, ${f(r.baseline.requests)} requests without a reload (${f(r.baseline.requestsPerSecond)}/s, p99 ${f(r.baseline.p99Ms, 1)} ms): ${r.baseline.failed} failed, longest request ${f(r.baseline.longestRequestMs)} ms, ops ${f(r.baseline.longestOpsMs)} ms, loop ${f(r.baseline.clientLoopMaxMs)} ms), RSS peak ${f(r.rssPeakMb)} MB, after ${f(r.rssAfterMb)} MB, settled ${f(r.rssSettledMb)} MB\n`);
      }
    }
    rows.push({ phases, gateway });
  }
  await stopChild(backend);
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `large-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2));
  process.stdout.write(`results: ${out}\n`);
  return 0;
}

runMain('bench:large', main, () => tmp);
