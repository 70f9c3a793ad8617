/**
 * `npm run bench:stream`: STREAM_BYTES (default 1 GiB) up and down, first straight to the backend,
 * then through the gateway, each with a 2 s stall on the slow side (the backend stops reading the
 * upload, the client stops reading the download a quarter in). Checks every byte by sha256 and
 * samples the gateway's RSS: the 1 GiB version of test/integration/streaming.test.ts. See README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CLK_TCK, allProcessTicks, cpuTicks, describeProcess, killAllNow, runMain, spawnGateway, spawnPinned, stopChild, waitForLine, type Child } from './proc.js';
import { machine } from './report.js';
import { download, rssBytes, sampleRss, settle, upload } from './stream-client.js';
import { expectedSha256 } from './stream-data.js';
import { TEST_RSS_BOUND, printReport, ratio, writeJson, type Row } from './stream-report.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const resultsDir = join(repoRoot, 'bench/results');
const GiB = 2 ** 30;
const STALL_MS = 2_000;
const TIMEOUT_MS = 120_000;
const SAMPLE_MS = 50;

function streamBytes(): number {
  const raw = process.env.STREAM_BYTES;
  if (raw === undefined || raw === '') return GiB;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64 * GiB) throw new Error(`STREAM_BYTES must be a whole number of bytes in 1..${64 * GiB}, got "${raw}"`);
  return n;
}

const SIZE = streamBytes();
// Content-Length or chunked. By default sizes from 1e9 up are sent chunked (the uWS front end
// refused 10+ digit lengths; Outpost's own accepts up to 15 digits); STREAM_UPLOAD picks one.
const UPLOAD_FRAMING = process.env.STREAM_UPLOAD === 'chunked' || (!process.env.STREAM_UPLOAD && SIZE >= 1e9) ? 'chunked' : 'content-length';
if (!['', undefined, 'chunked', 'content-length'].includes(process.env.STREAM_UPLOAD)) {
  throw new Error(`STREAM_UPLOAD must be "content-length" or "chunked", got "${process.env.STREAM_UPLOAD}"`);
}
// Same layout as `npm run bench`: the gateway alone on core 0; backend and client (this process)
// on core 1. Direct runs then measure what one core of backend + client can do, and the gateway
// runs show whether a core of gateway keeps up with that.
const twoCores = cpus().length >= 2;
const proxyCore = twoCores ? 0 : null;
const loadCore = twoCores ? 1 : null;
const notes: string[] = [];
/** The gateway's warn/error lines (spawnGateway keeps filling this array while it runs). */
let gatewayLog: string[] = [];
let tmpDir: string | null = null;

async function startBackend(): Promise<{ child: Child; port: number }> {
  const env = { ...process.env, STREAM_BYTES: String(SIZE), STREAM_STALL_MS: String(STALL_MS) };
  const child = spawnPinned(loadCore, process.execPath, [join(repoRoot, 'dist/bench/stream-backend.js')], env);
  const port = await waitForLine(child, (line) => {
    try { return (JSON.parse(line) as { port?: number }).port; } catch { return undefined; }
  }, 10_000, 'stream backend');
  return { child, port };
}

async function startGateway(backendPort: number): Promise<{ child: Child; port: number }> {
  // maxBodyBytes 0: no body limit, or the 1 GiB upload would get a 413. subscriptionRequired
  // false: an open API (the default, as in APIM, wants a subscription key); we measure streaming.
  const config = {
    gateway: { maxBodyBytes: 0, drainTimeoutSeconds: 5 },
    apis: [{
      id: 's', name: 'Stream', path: 's', serviceUrl: `http://127.0.0.1:${backendPort}`, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    }],
  };
  const configFile = join(tmpDir!, 'gateway.yaml');
  writeFileSync(configFile, stringify(config));
  const gateway = await spawnGateway(repoRoot, proxyCore, configFile);
  gatewayLog = gateway.problems;
  return { child: gateway.child, port: gateway.port };
}

/** CPU ticks, NaN once the process is gone (a gateway that died mid-transfer is reported below). */
const ticksOf = (pid: number) => { try { return cpuTicks(pid); } catch { return NaN; } };

async function transfer(target: Row['target'], direction: Row['direction'], base: string, expected: string, backendPid: number, gatewayPid: number | null): Promise<Row> {
  process.stderr.write(`${target} ${direction}: ${(SIZE / 2 ** 20).toFixed(0)} MiB...\n`);
  const baseline = gatewayPid === null ? 0 : rssBytes(gatewayPid);
  const sampler = gatewayPid === null ? null : sampleRss(gatewayPid, SAMPLE_MS);
  const before = { gw: gatewayPid === null ? 0 : ticksOf(gatewayPid), be: ticksOf(backendPid), bench: process.cpuUsage(), all: allProcessTicks() };
  const startMs = performance.now();
  const t = direction === 'upload'
    ? await upload(`${base}/upload`, SIZE, expected, TIMEOUT_MS, UPLOAD_FRAMING === 'chunked')
    : await download(`${base}/download`, SIZE, expected, STALL_MS, TIMEOUT_MS);
  const trace = await sampler?.stop();
  const ticksToS = (ticks: number) => ticks / CLK_TCK;
  // The machine is shared (builds, test runs): name what else burnt CPU meanwhile, since it
  // competes with the bench's two cores and explains run-to-run spread.
  const wallS = (performance.now() - startMs) / 1000;
  const ours = new Set([process.pid, backendPid, gatewayPid]);
  const others = [...allProcessTicks()].filter(([pid]) => !ours.has(pid))
    .map(([pid, ticks]) => ({ pid, coreShare: ticksToS(ticks - (before.all.get(pid) ?? 0)) / wallS }))
    .filter((p) => p.coreShare >= 0.1).sort((a, b) => b.coreShare - a.coreShare).slice(0, 3)
    .map((p) => ({ ...p, command: describeProcess(p.pid) }));
  const benchCpu = process.cpuUsage(before.bench);
  let after: number | null = null;
  if (gatewayPid !== null) try { after = rssBytes(gatewayPid); } catch { notes.push(`gateway gone after the ${direction}`); }
  const mibs = (seconds: number) => (t.ok && seconds > 0 ? t.bytes / 2 ** 20 / seconds : 0);
  return {
    target, direction, transfer: t, others,
    mibPerS: mibs(t.durationS),
    mibPerSExStall: mibs(t.durationS - STALL_MS / 1000),
    // The baseline is a sample too: peak includes it, so growth is never negative.
    rss: trace ? { baseline, peak: Math.max(baseline, trace.peak), growth: Math.max(baseline, trace.peak) - baseline, after, maxGapMs: trace.maxGapMs, samples: trace.samples } : null,
    cpuS: {
      gateway: gatewayPid === null ? null : ticksToS(ticksOf(gatewayPid) - before.gw),
      backend: ticksToS(ticksOf(backendPid) - before.be),
      bench: (benchCpu.user + benchCpu.system) / 1e6,
    },
  };
}

async function main(): Promise<number> {
  // Bounded whatever hangs: four transfers at their deadline, plus start-up, hashing and stops.
  const budgetS = 4 * (TIMEOUT_MS / 1000 + 15) + 120;
  setTimeout(() => {
    process.stderr.write(`stream bench: still running after ${budgetS} s; killing everything\n`);
    killAllNow();
    process.exit(1);
  }, budgetS * 1000).unref();
  if (twoCores) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  else notes.push('fewer than 2 cores: nothing is pinned, gateway, backend and client share the CPU');
  tmpDir = mkdtempSync(join(tmpdir(), 'outpost-stream-'));

  process.stderr.write(`hashing the expected ${(SIZE / 2 ** 20).toFixed(0)} MiB...\n`);
  const expected = expectedSha256(SIZE);
  const rows: Row[] = [];
  const backend = await startBackend();
  try {
    const direct = `http://127.0.0.1:${backend.port}`;
    for (const d of ['upload', 'download'] as const) rows.push(await transfer('direct', d, direct, expected, backend.child.pid, null));

    const gw = await startGateway(backend.port);
    try {
      // Warm-up as in the integration test, so the baseline includes the worker's steady heap;
      // it also proves the route reaches the backend before 1 GiB is sent down it.
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${gw.port}/s/warm`, { method: 'POST', body: 'x' });
        const text = await res.text();
        if (res.status !== 200 || text !== 'ok') throw new Error(`gateway warm-up answered ${res.status} "${text.slice(0, 200)}"`);
      }
      notes.push(await settle(gw.child.pid));
      for (const d of ['upload', 'download'] as const) {
        rows.push(await transfer('gateway', d, `http://127.0.0.1:${gw.port}/s`, expected, backend.child.pid, gw.child.pid));
        if (gw.child.proc.exitCode !== null || gw.child.proc.signalCode !== null) throw new Error(`gateway exited during the ${d}\n${gw.child.tail}`);
      }
    } finally {
      await stopChild(gw.child);
    }
  } finally {
    await stopChild(backend.child);
  }

  const m = machine(CLK_TCK);
  const settings = { bytes: SIZE, uploadFraming: UPLOAD_FRAMING, stallMs: STALL_MS, timeoutS: TIMEOUT_MS / 1000, sampleMs: SAMPLE_MS, proxyCore, loadCore, testRssBoundBytes: TEST_RSS_BOUND };
  const ok = rows.length === 4 && rows.every((r) => r.transfer.ok);
  const file = writeJson(resultsDir, {
    time: new Date().toISOString(), machine: m, settings, expectedSha256: expected, ok, rows,
    ratios: { upload: ratio(rows, 'upload'), download: ratio(rows, 'download') }, gatewayLog, notes,
  });
  notes.push(`report: ${file}`);
  printReport([
    `machine: ${m.cpuModel}, nproc ${m.nproc}, node ${m.node}, kernel ${m.kernel}`,
    `stream: ${(SIZE / 2 ** 20).toFixed(0)} MiB each way (upload framed by ${UPLOAD_FRAMING}), stall ${STALL_MS / 1000} s, abort after ${TIMEOUT_MS / 1000} s, RSS every ${SAMPLE_MS} ms` +
      (twoCores ? ', gateway on core 0, backend + client on core 1' : ''),
  ], rows, gatewayLog, notes);
  return ok ? 0 : 1;
}

runMain('stream bench', main, () => tmpDir);
