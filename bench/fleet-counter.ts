/**
 * `npm run bench:fleet`: the CPU cost per request of a fleet counter. One gateway (one worker)
 * serves the same GET on two routes that differ only in their rate-limit-by-key's scope:
 * `/node/...` (shared memory) and `/fleet/...` (Redis, one EVALSHA per request), with a limit
 * never reached. A redis-server of the bench's own (never the shared one) holds the fleet counts.
 * Rounds alternate the order; each run reports the gateway's CPU µs per request (primary +
 * worker threads) and redis-server's, from /proc. The difference is what fleet scope costs.
 *
 *   BENCH_DURATION=5 BENCH_ROUNDS=2 npm run bench:fleet     (defaults; keep it short on a shared machine)
 *
 * With two cores the gateway and redis-server run on core 0, the backend and wrk on core 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CLK_TCK, cpuTicks, freePort, processGroup, runMain, spawnGateway, spawnPinned, stopChild, waitForHttp, waitForLine } from './proc.js';
import { runWrk, writeWrkScript } from './wrk.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let tmpDir: string | null = null;

function intEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be a whole number in 1..${max}, got "${raw}"`);
  return n;
}

function config(backendPort: number, redisPort: number): object {
  const route = (scope: string) => ({
    id: scope, name: scope, path: scope, serviceUrl: `http://127.0.0.1:${backendPort}`, subscriptionRequired: false,
    policies: { inbound: [{ 'rate-limit-by-key': { calls: 1_000_000_000, 'renewal-period': 300, 'counter-key': 'ip', scope } }] },
    operations: [{ id: 'get-item', method: 'GET', urlTemplate: '/items/{id}' }],
  });
  return {
    gateway: { name: 'bench-fleet', drainTimeoutSeconds: 5, redis: { url: `redis://127.0.0.1:${redisPort}/0`, commandTimeoutMs: 1_000 } },
    apis: [route('node'), route('fleet')],
  };
}

interface Row { route: string; round: number; requests: number; reqPerSec: number; gatewayUsPerReq: number; redisUsPerReq: number; p99Us: number; errors: number }

async function main(): Promise<number> {
  const durationS = intEnv('BENCH_DURATION', 5, 120);
  const rounds = intEnv('BENCH_ROUNDS', 2, 10);
  const twoCores = cpus().length >= 2;
  const [proxyCore, loadCore] = twoCores ? [0, 1] : [null, null];
  tmpDir = mkdtempSync(join(tmpdir(), 'outpost-bench-fleet-'));

  const redisPort = await freePort();
  const redis = spawnPinned(proxyCore, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  await waitForLine(redis, (l) => (l.includes('Ready to accept connections') ? true : undefined), 10_000, 'redis-server');
  const backend = spawnPinned(loadCore, process.execPath, [join(repoRoot, 'dist/bench/backend.js')]);
  const backendPort = await waitForLine(backend, (l) => { try { return (JSON.parse(l) as { port?: number }).port; } catch { return undefined; } }, 10_000, 'backend');
  const configFile = join(tmpDir, 'gateway.yaml');
  writeFileSync(configFile, stringify(config(backendPort, redisPort)));
  const gateway = await spawnGateway(repoRoot, proxyCore, configFile, [], 1);
  const script = writeWrkScript(tmpDir);
  const url = (route: string) => `http://127.0.0.1:${gateway.port}/${route}/items/123`;
  for (const route of ['node', 'fleet']) await waitForHttp(url(route), (r) => r.status === 200, 10_000);

  // Warm-up (JIT, connections to the backend and to Redis), not measured.
  for (const route of ['node', 'fleet']) await runWrk({ url: url(route), core: loadCore, durationS: 1, connections: 32, script });

  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const route of round % 2 === 1 ? ['node', 'fleet'] : ['fleet', 'node']) {
      const pids = processGroup(gateway.child.pid);
      const ticks = () => ({ gw: pids.reduce((s, p) => s + cpuTicks(p), 0), redis: cpuTicks(redis.pid) });
      const before = ticks();
      const wrk = await runWrk({ url: url(route), core: loadCore, durationS, connections: 32, script });
      const after = ticks();
      const perReqUs = (t: number) => wrk.requests > 0 ? Math.round((t / CLK_TCK) * 1e6 / wrk.requests * 10) / 10 : NaN;
      const errors = wrk.errors.connect + wrk.errors.read + wrk.errors.write + wrk.errors.status + wrk.errors.timeout;
      rows.push({ route, round, requests: wrk.requests, reqPerSec: Math.round(wrk.reqPerSec), gatewayUsPerReq: perReqUs(after.gw - before.gw), redisUsPerReq: perReqUs(after.redis - before.redis), p99Us: Math.round(wrk.latencyUs.p99), errors });
    }
  }
  await stopChild(gateway.child);
  await stopChild(backend);
  await stopChild(redis);

  process.stdout.write('\nroute  round  requests  req/s   gateway µs CPU/req  redis µs CPU/req  p99 µs  errors\n');
  for (const r of rows) {
    process.stdout.write(`${r.route.padEnd(6)} ${String(r.round).padStart(5)} ${String(r.requests).padStart(9)} ${String(r.reqPerSec).padStart(6)} ${String(r.gatewayUsPerReq).padStart(19)} ${String(r.redisUsPerReq).padStart(17)} ${String(r.p99Us).padStart(7)} ${String(r.errors).padStart(7)}\n`);
  }
  const mean = (route: string, f: (r: Row) => number) => { const xs = rows.filter((r) => r.route === route).map(f); return xs.reduce((a, b) => a + b, 0) / xs.length; };
  const added = mean('fleet', (r) => r.gatewayUsPerReq) - mean('node', (r) => r.gatewayUsPerReq);
  process.stdout.write(`\nfleet scope adds ${added.toFixed(1)} µs of gateway CPU per request (mean over ${rounds} round(s)), plus ${mean('fleet', (r) => r.redisUsPerReq).toFixed(1)} µs in redis-server.\n`);
  if (!twoCores) process.stdout.write('one core: nothing pinned; figures include the load generator\'s interference.\n');
  process.stdout.write(`${JSON.stringify({ bench: 'fleet-counter', durationS, rounds, rows })}\n`);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

runMain('bench:fleet', main, () => tmpDir);
