/**
 * The bench's output: every run (so nothing is hidden behind a median), the summary over rounds
 * with its spread, the fixed-rate latency table, and the same as JSON under bench/results/.
 * A ratio is printed only from saturated runs; otherwise the cell says `load-generator bound`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { addedP99ByTarget, type PacedResult } from './fixed-rate.js';
import type { Measurement } from './measure.js';
import type { WorkersPair, WorkersSummary } from './two-workers.js';
import { LOADGEN_BOUND, spread, type RoundRatio, type Spread } from './verdict.js';

export interface Machine { cpuModel: string; nproc: number; node: string; kernel: string; clkTck: number }

export function machine(clkTck: number): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const kernel = readFileSync('/proc/version', 'utf8').split(' ')[2] ?? 'unknown';
  return { cpuModel: model.trim(), nproc: cpus().length, node: process.version, kernel, clkTck };
}

export interface Run extends Measurement { round: number; scenario: string }

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const pct = (n: number) => `${Math.round(n * 100)}%`;
const range = (s: Spread | null, f: (n: number) => string) => (s === null ? '-' : s.n === 1 ? f(s.median) : `${f(s.median)} [${f(s.min)}–${f(s.max)}]`);

function ratioCell(r: RoundRatio | undefined, field: 'reqPerSec' | 'cpuPerReq'): string {
  if (!r) return '';
  if (r.verdict === LOADGEN_BOUND) return LOADGEN_BOUND;
  if (r.verdict !== 'ok') return r.verdict;
  const v = r[field];
  return v === null ? '-' : f2(v);
}

export function runsTable(runs: Run[], ratios: RoundRatio[]): string {
  const find = (x: Run) => ratios.find((r) => r.round === x.round && r.scenario === x.scenario && r.target === x.target);
  return table([
    ['round', 'scenario', 'target', 'req/s', 'CPU µs/req', 'proxy CPU', 'core0 other', 'p50 µs', 'p99 µs', 'p99.9 µs', 'errors', 'B/resp', 'ratio req/s', 'ratio CPU/req'],
    ...runs.map((x) => {
      const e = x.wrk.errors;
      const r = find(x);
      return [
        String(x.round + 1), x.scenario, x.target, f0(x.reqPerSec), f1(x.cpuUsPerReq.proxy),
        pct(x.proxyShare),
        x.proxyCoreOthers === null ? '-' : pct(x.proxyCoreOthers),
        f0(x.wrk.latencyUs.p50), f0(x.wrk.latencyUs.p99), f0(x.wrk.latencyUs.p99_9),
        String(e.connect + e.read + e.write + e.timeout + e.status), String(x.wrk.bytesPerResponse),
        ratioCell(r, 'reqPerSec'), ratioCell(r, 'cpuPerReq'),
      ];
    }),
  ]);
}

export interface SummaryRow {
  scenario: string; target: string; runs: number; saturatedRuns: number;
  reqPerSec: Spread | null; cpuUsPerReq: Spread | null; p50Us: Spread | null; p99Us: Spread | null; p99_9Us: Spread | null;
  /** Over the rounds whose ratio could be published; `versus` names the reference. */
  ratioReqPerSec: Spread | null; ratioCpuPerReq: Spread | null; versus: string | null;
  /** What the ratio cells say when no round gave a ratio. */
  noRatioBecause: string;
}

export function summarize(runs: Run[], ratios: RoundRatio[]): SummaryRow[] {
  const keys = [...new Set(runs.map((r) => `${r.scenario}\u0000${r.target}`))];
  return keys.map((key) => {
    const [scenario, target] = key.split('\u0000');
    const mine = runs.filter((r) => r.scenario === scenario && r.target === target);
    const rr = ratios.filter((r) => r.scenario === scenario && r.target === target);
    const ok = rr.filter((r) => r.verdict === 'ok');
    return {
      scenario, target, runs: mine.length, saturatedRuns: mine.filter((r) => r.saturated).length,
      reqPerSec: spread(mine.map((r) => r.reqPerSec)),
      cpuUsPerReq: spread(mine.map((r) => r.cpuUsPerReq.proxy)),
      p50Us: spread(mine.map((r) => r.wrk.latencyUs.p50)),
      p99Us: spread(mine.map((r) => r.wrk.latencyUs.p99)),
      p99_9Us: spread(mine.map((r) => r.wrk.latencyUs.p99_9)),
      ratioReqPerSec: spread(ok.map((r) => r.reqPerSec)),
      ratioCpuPerReq: spread(ok.map((r) => r.cpuPerReq)),
      versus: rr[0]?.versus ?? null,
      noRatioBecause: rr.some((r) => r.verdict === LOADGEN_BOUND) ? LOADGEN_BOUND : rr.length > 0 ? rr[0].verdict : '',
    };
  });
}

export function summaryTable(rows: SummaryRow[]): string {
  return table([
    ['scenario', 'target', 'vs', 'req/s', 'CPU µs/req', 'p50 µs', 'p99 µs', 'p99.9 µs', 'saturated', 'ratio req/s', 'ratio CPU/req'],
    ...rows.map((s) => {
      const none = s.ratioCpuPerReq === null ? s.noRatioBecause : '-';
      return [
        s.scenario, s.target, s.versus ?? '', range(s.reqPerSec, f0), range(s.cpuUsPerReq, f1),
        range(s.p50Us, f0), range(s.p99Us, f0), range(s.p99_9Us, f0),
        `${s.saturatedRuns}/${s.runs}`,
        s.ratioReqPerSec ? range(s.ratioReqPerSec, f2) : none, s.ratioCpuPerReq ? range(s.ratioCpuPerReq, f2) : none,
      ];
    }),
  ]);
}

/** Every pair of the workers2 scenario: both windows' figures and the pair's ratio. */
export function pairsTable(pairs: WorkersPair[]): string {
  return table([
    ['pair', 'target', '', '1 worker req/s', 'CPU µs/req', 'proxy CPU', '2 workers req/s', 'CPU µs/req', 'cores', 'p99 µs', 'ratio CPU/req'],
    ...pairs.map((p) => [
      String(p.pair + 1), p.target, p.pair % 2 === 0 ? '1 first' : '2 first',
      f0(p.one.reqPerSec), f1(p.one.cpuUsPerReq.proxy), pct(p.one.proxyShare),
      f0(p.two.reqPerSec), f1(p.two.cpuUsPerReq.proxy), f2(p.two.proxyShare * p.two.cores), f0(p.two.wrk.latencyUs.p99),
      p.ratio === null ? LOADGEN_BOUND : f2(p.ratio),
    ]),
  ]);
}

/** Per proxy: its ratio over the counted pairs, median [min–max], and both instances' CPU per request. */
export function pairsSummary(rows: WorkersSummary[]): string[] {
  return rows.map((s) => `${s.target}: 2 workers ÷ 1 worker, CPU per request ${s.ratio === null ? `n/a (no pair had a saturated one-worker window)` : `${range(s.ratio, f2)} over ${s.ratio.n} of ${s.pairs} pairs`}`
    + `; 1 worker ${range(s.oneCpuUsPerReq, f1)} µs, 2 workers ${range(s.twoCpuUsPerReq, f1)} µs at ${range(s.twoReqPerSec, f0)} req/s`);
}

/** How far a sustained run missed the asked rate, e.g. "9% over the rate". */
function offRate(p: PacedResult): string {
  const off = p.achievedRate / p.rate - 1;
  return `${Math.round(Math.abs(off) * 100)}% ${off > 0 ? 'over' : 'under'} the rate`;
}

/** A core's busy share as a whole percentage, '-' when unknown (nothing pinned). */
function busyPct(share: number | null): string {
  return share === null ? '-' : `${Math.round(share * 100)}%`;
}

export function pacedTable(results: PacedResult[]): string {
  return table([
    ['share', 'round', 'target', 'asked req/s', 'achieved', 'p50 µs', 'p99 µs', 'p99.9 µs', 'added p99 µs', 'warm-up p99/max µs', 'CPU µs/req', 'busy proxy/load core', 'pacer lag p99/max µs', 'errors'],
    ...results.map((p) => {
      const e = p.errors;
      return [
        `${p.sharePct}%`, String(p.round + 1), p.target, f0(p.rate), `${f0(p.achievedRate)}${!p.sustained ? ' (not sustained)' : p.onRate ? '' : ` (${offRate(p)})`}`,
        f0(p.latencyUs.p50), f0(p.latencyUs.p99), f0(p.latencyUs.p99_9),
        p.target === 'direct' ? '-' : p.addedP99Us === null ? 'n/a (direct)' : p.sustained ? f0(p.addedP99Us) : 'n/a',
        p.warmupP99Us === null ? '-' : `${f0(p.warmupP99Us)}/${f0(p.warmupMaxUs ?? 0)}`,
        p.target === 'direct' ? '-' : f1(p.cpuUsPerReq.proxy), `${busyPct(p.proxyCoreBusy)}/${busyPct(p.loadCoreBusy)}`,
        `${f0(p.generator.sendLagP99Us)}/${f0(p.generator.sendLagMaxUs)}`,
        String(e.connect + e.read + e.write + e.timeout + e.status),
      ];
    }),
  ]);
}

/** Per target: its added p99 over the rounds that count (sustained, on the rate), median [min–max]. */
export function pacedSummary(results: PacedResult[]): string[] {
  return addedP99ByTarget(results).map(([t, s]) => {
    const runs = results.filter((r) => r.target === t).length;
    return s === null
      ? `${t}: no round counts (in all ${runs}, the target was off the rate or that round's direct run was no baseline)`
      : `${t}: added p99 ${f0(s.median)} µs [${f0(s.min)}–${f0(s.max)}], median over ${s.n} of ${runs} rounds`;
  });
}

/** Lines about one run that a reader needs to judge it: errors, logged problems, other load. */
export function runNotes(x: Run): string[] {
  const out: string[] = [];
  const tag = `round ${x.round + 1} ${x.scenario} ${x.target}`;
  const e = x.wrk.errors;
  if (e.connect + e.read + e.write + e.timeout + e.status > 0) out.push(`${tag}: wrk errors connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}, status>399 ${e.status}`);
  for (const line of x.problems) out.push(`${tag} logged: ${line}`);
  if (x.proxyCoreOthers !== null && x.proxyCoreOthers > 0.1) out.push(`${tag}: ${pct(x.proxyCoreOthers)} of the proxy's core went to other processes: contended, noisy run`);
  if (x.coreSteal.some((s) => s > 0.05)) out.push(`${tag}: the hypervisor stole ${x.coreSteal.map(pct).join(' / ')} of the cores: noisy run`);
  for (const p of x.otherProcesses) out.push(`${tag}: meanwhile pid ${p.pid} used ${pct(p.coreShare)} of a core: ${p.command}`);
  return out;
}

/** bench/results/<timestamp>.json; returns the path. */
export function writeJson(resultsDir: string, report: object): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
