/**
 * The streaming bench's output: a compact table on stdout, the gateway/direct throughput ratios,
 * the RSS growth next to the integration test's bound, and bench/results/stream-<timestamp>.json.
 * RSS numbers are printed, never failed on: at 1 GiB they are information, the test is the gate.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RssTrace, Transfer } from './stream-client.js';

export interface Row {
  target: 'direct' | 'gateway';
  direction: 'upload' | 'download';
  transfer: Transfer;
  mibPerS: number;
  /** Throughput with the stall's duration taken out: closer to the steady streaming rate. */
  mibPerSExStall: number;
  /** Gateway process only (null for direct): bytes just before the transfer, peak, growth, after. */
  rss: { baseline: number; peak: number; growth: number; after: number | null; maxGapMs: number; samples: RssTrace['samples'] } | null;
  /** CPU seconds (utime+stime, all threads) spent during the transfer. */
  cpuS: { gateway: number | null; backend: number; bench: number };
  /** Other processes that used >= 10% of a core during the transfer (share of one core). */
  others: Array<{ pid: number; command: string; coreShare: number }>;
}

/** The bound test/integration/streaming.test.ts puts on gateway RSS growth for 256 MiB each way. */
export const TEST_RSS_BOUND = 96 * 1024 * 1024;

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function ratio(rows: Row[], direction: Row['direction']): number | null {
  const get = (target: Row['target']) => rows.find((r) => r.target === target && r.direction === direction && r.transfer.ok);
  const gw = get('gateway');
  const direct = get('direct');
  return gw && direct && direct.mibPerSExStall > 0 ? gw.mibPerSExStall / direct.mibPerSExStall : null;
}

export function printReport(header: string[], rows: Row[], gatewayLog: string[], notes: string[]): void {
  const out = ['', ...header, ''];
  out.push(table([
    ['target', 'dir', 'MiB', 'result', 'sha256', 'time s', 'MiB/s', 'ex-stall', 'RSS base', 'peak', 'growth', 'after', 'gw CPU s', 'be CPU s', 'bench CPU s'],
    ...rows.map((r) => [
      // A transfer that died early has no hash to compare: '-' rather than a misleading MISMATCH.
      r.target, r.direction, mib(r.transfer.bytes), r.transfer.ok ? 'ok' : 'FAIL',
      r.transfer.hashMatch ? 'match' : r.transfer.sha256 ? 'MISMATCH' : '-',
      f1(r.transfer.durationS), f1(r.mibPerS), f1(r.mibPerSExStall),
      r.rss ? mib(r.rss.baseline) : '-', r.rss ? mib(r.rss.peak) : '-', r.rss ? mib(r.rss.growth) : '-',
      r.rss?.after != null ? mib(r.rss.after) : '-',
      r.cpuS.gateway === null ? '-' : f1(r.cpuS.gateway), f1(r.cpuS.backend), f1(r.cpuS.bench),
    ]),
  ]));
  out.push('', 'RSS columns: gateway process VmRSS in MiB (baseline just before the transfer, peak of 50 ms samples, peak - baseline, after).',
    'ex-stall: MiB/s with the 2 s stall subtracted from the time. CPU s: utime+stime during the transfer (gw = gateway, be = backend).');
  for (const direction of ['upload', 'download'] as const) {
    const x = ratio(rows, direction);
    out.push(`gateway/direct ${direction} throughput (ex-stall): ${x === null ? 'n/a' : f2(x)}`);
  }
  for (const r of rows) {
    if (r.transfer.error) out.push(`${r.target} ${r.direction} FAILED: ${r.transfer.error}`);
    if (r.target === 'gateway' && r.transfer.contentLength === null && r.direction === 'download' && r.transfer.ok) {
      out.push('gateway download: no Content-Length in the response (the backend sent one)');
    }
    for (const p of r.others) out.push(`${r.target} ${r.direction}: meanwhile pid ${p.pid} used ${Math.round(p.coreShare * 100)}% of a core: ${p.command}`);
    if (!r.rss) continue;
    const over = r.rss.growth >= TEST_RSS_BOUND ? ' (above the test bound)' : '';
    out.push(`gateway ${r.direction}: RSS grew ${mib(r.rss.growth)} MiB${over}; the integration test (256 MiB each way) requires < ${mib(TEST_RSS_BOUND)} MiB`);
    if (r.rss.maxGapMs > 250) out.push(`gateway ${r.direction}: RSS sampler gap up to ${r.rss.maxGapMs} ms (core 1 overloaded): a short peak may be missed`);
  }
  for (const line of gatewayLog) out.push(`gateway logged: ${line}`);
  for (const note of notes) out.push(`note: ${note}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** bench/results/stream-<timestamp>.json; returns the path. */
export function writeJson(resultsDir: string, report: object): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `stream-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
