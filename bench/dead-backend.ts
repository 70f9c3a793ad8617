/**
 * `npm run bench:dead-backend`: what a backend that accepts no connections costs the gateway, with
 * gateway.upstream.connectBackoffMs at its default (250) and at 0 (every request tries to
 * connect, as before it existed), in alternated rounds on the same build.
 *
 * Layout as `npm run bench`: the gateway (one worker) alone on core 0; outpost-pacer, open-loop,
 * on core 1. The API's serviceUrl is a loopback port nobody listens on (refused at once). Per run:
 * DEAD_WARMUP s of the load unmeasured, then DEAD_DURATION s measured: the rate achieved (a
 * worker that falls behind answers fewer), p50/p99/max from when each request was due, and the
 * gateway's CPU µs per answered request. DEAD_RATE (default 15000), DEAD_ROUNDS (default 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { pacerBinary, runPacer } from './pacer.js';
import { cpuTicks, CLK_TCK, freePort, runMain, spawnGateway, stopChild } from './proc.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RATE = Number(process.env.DEAD_RATE ?? 15_000);
const DURATION = Number(process.env.DEAD_DURATION ?? 8);
const WARMUP = Number(process.env.DEAD_WARMUP ?? 2);
const ROUNDS = Number(process.env.DEAD_ROUNDS ?? 2);
const CONNECTIONS = 76;
let tmp: string | null = null;

interface Row { backoffMs: number; achieved: number; p50Us: number; p99Us: number; maxUs: number; cpuUsPerReq: number; under400: number }

async function run(backoffMs: number, deadPort: number, round: number): Promise<Row> {
  const configFile = join(tmp!, `gateway-${backoffMs}-${round}.yaml`);
  writeFileSync(configFile, stringify({
    gateway: { drainTimeoutSeconds: 1, upstream: { connectBackoffMs: backoffMs } },
    apis: [{ id: 'dead', name: 'Dead', path: 'bench', serviceUrl: `http://127.0.0.1:${deadPort}`, subscriptionRequired: false, operations: [{ id: 'item', method: 'GET', urlTemplate: '/items/{id}' }] }],
  }));
  const gw = await spawnGateway(repoRoot, 0, configFile, [], 1, join(tmp!, `gateway-${backoffMs}-${round}.log`));
  try {
    const url = `http://127.0.0.1:${gw.port}/bench/items/123`;
    const pacer = pacerBinary(repoRoot);
    if (WARMUP > 0) await runPacer({ binary: pacer, url, core: 1, rate: RATE, durationS: WARMUP, connections: CONNECTIONS });
    const before = cpuTicks(gw.child.pid);
    const r = await runPacer({ binary: pacer, url, core: 1, rate: RATE, durationS: DURATION, connections: CONNECTIONS });
    const ticks = cpuTicks(gw.child.pid) - before;
    return {
      backoffMs, achieved: Math.round(r.reqPerSec), p50Us: r.latencyUs.p50, p99Us: r.latencyUs.p99, maxUs: r.latencyUs.max,
      cpuUsPerReq: Number(((ticks / CLK_TCK) * 1e6 / Math.max(1, r.requests)).toFixed(1)),
      // Every answer must be an error (the backend-unreachable 502): a success would mean the port answered.
      under400: r.requests - r.errors.status,
    };
  } finally {
    await stopChild(gw.child);
  }
}

async function main(): Promise<number> {
  tmp = mkdtempSync(join(tmpdir(), 'outpost-dead-bench-'));
  const deadPort = await freePort();
  console.log(`bench:dead-backend: gateway (1 worker) on core 0, outpost-pacer on core 1 at ${RATE} req/s open-loop over ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured; serviceUrl http://127.0.0.1:${deadPort} (nothing listens)`);
  const rows: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const backoffMs of round % 2 === 0 ? [250, 0] : [0, 250]) rows.push(await run(backoffMs, deadPort, round));
  }
  console.log('| connectBackoffMs | achieved req/s | p50 µs | p99 µs | max µs | CPU µs/request | answers under 400 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.backoffMs} | ${r.achieved} | ${r.p50Us} | ${r.p99Us} | ${r.maxUs} | ${r.cpuUsPerReq} | ${r.under400} |`);
  return rows.some((r) => r.under400 !== 0) ? 1 : 0;
}

runMain('bench:dead-backend', main, () => tmp);
