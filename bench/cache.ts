/**
 * `npm run bench:cache`: what a response-cache hit costs, in one run, three ways over the same
 * backend (bench/backend.ts, pinned to core 1 with the load generator):
 *   direct   – autocannon straight to the backend;
 *   proxied  – through the gateway (1 worker, core 0), an API with no policies;
 *   cache hit – through the same gateway, an API with cache-lookup (internal) + cache-store, warmed
 *              so every measured request is a hit and the backend is never called.
 * Reports req/s, p50/p99 latency, the gateway's CPU µs per request (utime+stime of its process
 * over the run / responses) and the added p50 of a hit over direct. Load is autocannon (Node,
 * in this process): enough to compare the three on this machine, not to publish against nginx
 * (that is `npm run bench`). CACHE_BENCH_DURATION (s, default 5), CACHE_BENCH_CONNECTIONS (default 32).
 */
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { cpuTicks, CLK_TCK, httpGet, runMain, spawnGateway, spawnPinned, stopChild, waitForLine } from './proc.js';

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  duration: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; pipelining: number }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DURATION = Number(process.env.CACHE_BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.CACHE_BENCH_CONNECTIONS ?? 32);
let tmp: string | null = null;

interface Row { name: string; reqPerSec: number; p50Ms: number; p99Ms: number; errors: number; gatewayCpuUsPerReq: number | null }

async function load(url: string, durationS: number, gatewayPid: number | null): Promise<Row & { total: number }> {
  const before = gatewayPid === null ? 0 : cpuTicks(gatewayPid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: durationS, pipelining: 1 });
  const ticks = gatewayPid === null ? 0 : cpuTicks(gatewayPid) - before;
  const total = r.requests.total;
  return {
    name: url, total, reqPerSec: total / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx,
    gatewayCpuUsPerReq: gatewayPid === null || total === 0 ? null : (ticks / CLK_TCK) * 1e6 / total,
  };
}

async function main(): Promise<number> {
  tmp = mkdtempSync(join(tmpdir(), 'outpost-cache-bench-'));
  const backend = spawnPinned(1, process.execPath, [join(repoRoot, 'dist/bench/backend.js')]);
  const { port } = await waitForLine(backend, (l) => { try { return JSON.parse(l) as { port: number }; } catch { return undefined; } }, 10_000, 'backend');
  const backendUrl = `http://127.0.0.1:${port}`;
  const op = [{ id: 'item', method: 'GET', urlTemplate: '/items/{id}' }];
  const configFile = join(tmp, 'gateway.yaml');
  writeFileSync(configFile, stringify({
    gateway: { drainTimeoutSeconds: 1 },
    apis: [
      { id: 'plain', name: 'Plain', path: 'bench', serviceUrl: backendUrl, subscriptionRequired: false, operations: op },
      { id: 'cached', name: 'Cached', path: 'cached', serviceUrl: backendUrl, subscriptionRequired: false, operations: op,
        policies: { inbound: [{ 'cache-lookup': { 'caching-type': 'internal' } }], outbound: [{ 'cache-store': { duration: 3600 } }] } },
    ],
  }));
  const gw = await spawnGateway(repoRoot, 0, configFile);
  try {
    const gwUrl = (path: string) => `http://127.0.0.1:${gw.port}${path}`;
    const probe = await httpGet(gwUrl('/cached/items/123'));
    const direct = await httpGet(`${backendUrl}/items/123`);
    if (probe.status !== 200 || probe.body !== direct.body) throw new Error(`the cached route does not answer the backend's body: ${probe.status}`);
    const rows: Row[] = [];
    for (const [name, url, pid] of [['direct', `${backendUrl}/items/123`, null], ['proxied', gwUrl('/bench/items/123'), gw.child.pid], ['cache hit', gwUrl('/cached/items/123'), gw.child.pid]] as const) {
      await load(url, 1, pid); // warm-up: JIT, pools, and the cache entry
      rows.push({ ...(await load(url, DURATION, pid)), name });
    }
    const hit = rows[2];
    const out = [
      `cache bench: ${DURATION} s per target, ${CONNECTIONS} connections, autocannon; gateway 1 worker on core 0, backend + load on core 1`,
      'target      req/s     p50 ms  p99 ms  errors  gateway CPU µs/req',
      ...rows.map((r) => `${r.name.padEnd(10)}  ${r.reqPerSec.toFixed(0).padStart(7)}  ${r.p50Ms.toFixed(2).padStart(6)}  ${r.p99Ms.toFixed(2).padStart(6)}  ${String(r.errors).padStart(6)}  ${r.gatewayCpuUsPerReq === null ? '-' : r.gatewayCpuUsPerReq.toFixed(1)}`),
      `added p50 of a hit over direct: ${(hit.p50Ms - rows[0].p50Ms).toFixed(2)} ms; hit CPU / proxied CPU: ${((hit.gatewayCpuUsPerReq ?? 0) / (rows[1].gatewayCpuUsPerReq ?? 1)).toFixed(2)}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    await stopChild(gw.child, 5_000);
    await stopChild(backend, 2_000);
  }
}

runMain('cache bench', main, () => tmp);
