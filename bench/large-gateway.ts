/**
 * The gateway side of the large-config bench: start the real gateway (2 workers) on a generated
 * config, time startup and RSS, then reload it (SIGHUP, same file: a full reload) while a bounded
 * client loop sends requests over loopback and a probe times the ops port every 10 ms. Reports
 * failed requests, the longest request, the primary's longest ops answer, and the reload's
 * breakdown from the gateway's own log lines ('config reloaded' timings, 'generation live').
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { gatewayReady, httpGet, spawnPinned, stopChild, type Child } from './proc.js';
import { rssBytes } from '../test/support/rss.js';
import { samplePath } from './large-config-gen.js';

export interface ReloadNumbers {
  totalMs: number;
  timings: Record<string, number>;
  workerBuildMs: number[];
  requests: number;
  failed: number;
  longestRequestMs: number;
  longestOpsMs: number;
  rssAfterMb: number;
}

export interface GatewayNumbers {
  startupMs: number;
  rssStartMb: number;
  reloads: ReloadNumbers[];
}

interface LogLine { msg?: string; [k: string]: unknown }

const CONNECTIONS = 16;

export async function measureGateway(cli: string, configFile: string, apis: number, reloads: number): Promise<GatewayNumbers> {
  const t0 = performance.now();
  const child = spawnPinned(null, process.execPath, [cli, 'gateway', '--config', configFile, '--port', '0', '--ops-port', '0', '--workers', '2']);
  const logs: LogLine[] = [];
  child.onLine((line) => { try { logs.push(JSON.parse(line) as LogLine); } catch { /* not ours */ } });
  try {
    const started = await gatewayReady(child, 600_000, 120_000);
    const startupMs = performance.now() - t0;
    const rssStartMb = rssBytes(child.pid) / 1048576;
    const out: ReloadNumbers[] = [];
    for (let r = 0; r < reloads; r++) out.push(await reloadUnderLoad(child, logs, started.port, started.opsPort, apis, r + 2));
    return { startupMs, rssStartMb, reloads: out };
  } finally {
    await stopChild(child, 20_000);
  }
}

async function reloadUnderLoad(child: Child, logs: LogLine[], port: number, opsPort: number, apis: number, generation: number): Promise<ReloadNumbers> {
  const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
  let running = true;
  let requests = 0;
  let failed = 0;
  let longestRequestMs = 0;
  let longestOpsMs = 0;
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
      longestRequestMs = Math.max(longestRequestMs, performance.now() - t);
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
  await new Promise((r) => setTimeout(r, 500)); // load running before the reload starts
  requests = failed = 0;
  longestRequestMs = longestOpsMs = 0;
  const t0 = performance.now();
  child.proc.kill('SIGHUP');
  const live = await waitFor(logs, (l) => l.msg === 'generation live' && l.generation === generation, 600_000);
  const totalMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 300));
  running = false;
  await Promise.all([...clients, probing]);
  await agent.close();
  const reloaded = logs.find((l) => l.msg === 'config reloaded' && l.generation === generation);
  return {
    totalMs, timings: (reloaded?.timings ?? {}) as Record<string, number>, workerBuildMs: (live.workerBuildMs ?? []) as number[],
    requests, failed, longestRequestMs, longestOpsMs, rssAfterMb: rssBytes(child.pid) / 1048576,
  };
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
