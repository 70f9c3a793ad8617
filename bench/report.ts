/**
 * The bench's output: a table on stdout for people, a JSON file in bench/results/ for comparing
 * runs later, and a last line `gateway/nginx ratio: X.XX` that scripts can grep.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './load.js';

export interface Machine { cpuModel: string; nproc: number; node: string; kernel: string; clkTck: number }

export function machine(clkTck: number): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const kernel = readFileSync('/proc/version', 'utf8').split(' ')[2] ?? 'unknown';
  return { cpuModel: model.trim(), nproc: cpus().length, node: process.version, kernel, clkTck };
}

export interface Ratios {
  gatewayToNginx: number | null; gatewayToDirect: number | null; nginxToDirect: number | null;
  /** Extra CPU µs per request for subscription key + rate-limit-by-key + set-header. */
  policyCostUs: number | null;
  policiesToGateway: number | null;
}

export function ratios(results: Measurement[]): Ratios {
  const rps = (name: string) => results.find((m) => m.target === name)?.reqPerSec;
  const cpu = (name: string) => results.find((m) => m.target === name)?.cpuUsPerReq.proxy ?? null;
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : null);
  return {
    gatewayToNginx: ratio(rps('gateway'), rps('nginx')),
    gatewayToDirect: ratio(rps('gateway'), rps('direct')),
    nginxToDirect: ratio(rps('nginx'), rps('direct')),
    policyCostUs: cpu('gateway+policies') !== null && cpu('gateway') !== null ? cpu('gateway+policies')! - cpu('gateway')! : null,
    policiesToGateway: ratio(rps('gateway+policies'), rps('gateway')),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
const pct = (n: number | undefined) => (n === undefined ? '-' : `${Math.round(n * 100)}%`);

export function printReport(m: Machine, settings: Record<string, unknown>, results: Measurement[], r: Ratios, notes: string[]): void {
  const out: string[] = [];
  out.push('', `machine: ${m.cpuModel}, nproc ${m.nproc}, node ${m.node}, kernel ${m.kernel}`);
  out.push(`settings: ${Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`, '');
  out.push(table([
    ['target', 'req/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'ac p50/p99/p99.9 ms', 'errors', 'non-2xx', 'proxy CPU µs/req', 'backend µs/req', 'loadgen µs/req', 'core0', 'core1'],
    ...results.map((x) => [
      x.target, f0(x.reqPerSec),
      f0(x.latencyUs.p50), f0(x.latencyUs.p99), f0(x.latencyUs.p99_9), f0(x.latencyUs.max),
      `${x.autocannonLatencyMs.p50}/${x.autocannonLatencyMs.p99}/${x.autocannonLatencyMs.p99_9}`,
      String(x.errors + x.timeouts), String(x.non2xx),
      x.cpuUsPerReq.proxy === null ? '-' : f1(x.cpuUsPerReq.proxy), f1(x.cpuUsPerReq.backend), f1(x.cpuUsPerReq.loadgen),
      pct(x.coreBusy[0]), pct(x.coreBusy[1]),
    ]),
  ]));
  out.push('', 'latency µs: the bench\'s HDR histogram of autocannon response times (2xx only);',
    '"ac" columns: autocannon\'s own HDR histogram, which records whole milliseconds.',
    'core0/core1: share of each core busy during the run (proxy on core 0; backend + load generator on core 1).');
  for (const x of results) {
    const codes = Object.entries(x.statusCodes).map(([c, n]) => `${c}:${n}`).join(' ');
    if (x.errors || x.timeouts || x.non2xx) out.push(`${x.target}: errors ${x.errors}, timeouts ${x.timeouts}, status codes ${codes}`);
    for (const line of x.problems) out.push(`${x.target} logged: ${line}`);
    const [other0, other1] = x.otherShare;
    if (other0 > 0.1 || other1 > 0.1) {
      out.push(`${x.target}: ${pct(other0)} of core 0 and ${pct(other1)} of core 1 went to something other than the bench: noisy run`);
    }
    if (x.coreSteal.some((st) => st > 0.05)) out.push(`${x.target}: the hypervisor stole ${x.coreSteal.map(pct).join(' / ')} of cores 0 / 1: noisy run`);
    for (const p of x.otherProcesses) out.push(`${x.target}: meanwhile pid ${p.pid} used ${pct(p.coreShare)} of a core: ${p.command}`);
  }
  const show = (label: string, v: number | null) => `${label}: ${v === null ? 'n/a' : v.toFixed(2)}`;
  out.push('', show('gateway/direct req/s', r.gatewayToDirect), show('nginx/direct req/s', r.nginxToDirect));
  out.push(show('gateway+policies/gateway req/s', r.policiesToGateway),
    `policy cost (subscription key + rate-limit-by-key + set-header): ${r.policyCostUs === null ? 'n/a' : `${r.policyCostUs.toFixed(1)} µs CPU per request`}`);
  for (const note of notes) out.push(`note: ${note}`);
  out.push(`gateway/nginx ratio: ${r.gatewayToNginx === null ? 'n/a' : r.gatewayToNginx.toFixed(2)}`);
  process.stdout.write(out.join('\n') + '\n');
}

/** bench/results/<timestamp>.json; returns the path. */
export function writeJson(resultsDir: string, report: object): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
