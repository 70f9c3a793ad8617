/**
 * The judgement part of the bench, kept pure so it is unit-tested: was a run's proxy saturated,
 * which ratios may be published, and how far the rounds spread.
 */

/** A proxy that used less of its core than this was waiting for the load generator. */
export const SATURATION_THRESHOLD = 0.9;

/** What a run's verdict says instead of a ratio when its proxy was not saturated. */
export const LOADGEN_BOUND = 'load-generator bound';

/**
 * Share of `cores` the proxy's processes used during the window (CPU µs over wall µs), and whether
 * that makes the run valid. `cores` is 1 for a pinned proxy.
 */
export function saturation(cpuUs: number, wallUs: number, cores = 1): { share: number; saturated: boolean } {
  const share = wallUs > 0 ? cpuUs / wallUs / cores : 0;
  return { share, saturated: share >= SATURATION_THRESHOLD };
}

/** The fields of one measured run that the ratios need. */
export interface RunFigures {
  round: number;
  scenario: string;
  target: string;
  reqPerSec: number;
  cpuUsPerReq: number;
  saturated: boolean;
}

export interface RoundRatio {
  round: number;
  scenario: string;
  target: string;
  /** What the run is compared with, in the same round ("nginx plain", "gateway plain"). */
  versus: string;
  /** null when not publishable: see `verdict`. */
  reqPerSec: number | null;
  cpuPerReq: number | null;
  verdict: 'ok' | typeof LOADGEN_BOUND | 'no reference run';
  /** Which run was not saturated, when verdict is LOADGEN_BOUND. */
  why?: string;
}

function compare(run: RunFigures, ref: RunFigures | undefined, versus: string): RoundRatio {
  const base = { round: run.round, scenario: run.scenario, target: run.target, versus };
  if (!ref) return { ...base, reqPerSec: null, cpuPerReq: null, verdict: 'no reference run' };
  const unsaturated = [run, ref].filter((r) => !r.saturated);
  if (unsaturated.length > 0) {
    return { ...base, reqPerSec: null, cpuPerReq: null, verdict: LOADGEN_BOUND, why: unsaturated.map((r) => `${r.target} ${r.scenario}`).join(', ') };
  }
  return {
    ...base,
    reqPerSec: ref.reqPerSec <= 0 ? null : run.reqPerSec / ref.reqPerSec,
    cpuPerReq: ref.cpuUsPerReq > 0 ? run.cpuUsPerReq / ref.cpuUsPerReq : null,
    verdict: 'ok',
  };
}

/**
 * Every run against its reference in the same round: plain and policies runs against nginx plain
 * (req/s and CPU per request); https against the plain gateway (req/s and CPU per request: the cost of TLS); telemetry-off
 * against the plain gateway (the cost of metrics and request logs); close runs (a connection per
 * request) against nginx's close run.
 * A ratio is given only when both runs in it were saturated.
 */
export function roundRatios(runs: RunFigures[]): RoundRatio[] {
  const find = (round: number, scenario: string, target: string) =>
    runs.find((r) => r.round === round && r.scenario === scenario && r.target === target);
  const out: RoundRatio[] = [];
  for (const run of runs) {
    if (run.scenario === 'https' || run.scenario === 'telemetry-off' || run.scenario === 'metrics-only') {
      // The same gateway and route: over its HTTPS listener (what TLS costs), or with metrics and request logs off.
      out.push(compare(run, find(run.round, 'plain', 'gateway'), 'gateway plain'));
    } else if (run.scenario === 'close') {
      // A connection per request against nginx doing the same; nginx's own close run is the reference.
      if (run.target !== 'nginx') out.push(compare(run, find(run.round, 'close', 'nginx'), 'nginx close'));
    } else if (!(run.scenario === 'plain' && run.target === 'nginx')) {
      out.push(compare(run, find(run.round, 'plain', 'nginx'), 'nginx plain'));
    }
  }
  return out;
}

/** The issue's two-worker target: two workers' CPU per request within 10% of one worker's. */
export const TWO_WORKER_LIMIT = 1.1;

/**
 * Two workers' CPU per request over one worker's, from one pair of windows (bench/two-workers.ts);
 * null when the one-worker window was not saturated: below saturation a proxy spends more a
 * request (fewer requests per wake-up), which would flatter the ratio. The two-worker window has
 * no such condition: it shares the load core by design.
 */
export function pairRatio(one: { cpuUsPerReq: { proxy: number }; saturated: boolean }, two: { cpuUsPerReq: { proxy: number } }): number | null {
  if (!one.saturated || one.cpuUsPerReq.proxy <= 0 || two.cpuUsPerReq.proxy <= 0) return null;
  return two.cpuUsPerReq.proxy / one.cpuUsPerReq.proxy;
}

/** Pairs with a ratio the two-worker verdict needs at the least. */
export const MIN_COUNTED_PAIRS = 3;

/** The verdict on the median ratio over the counted pairs; null when fewer than MIN_COUNTED_PAIRS counted. */
export function twoWorkerTargetMet(ratio: Spread | null): boolean | null {
  if (ratio === null || ratio.n < MIN_COUNTED_PAIRS) return null;
  return ratio.median <= TWO_WORKER_LIMIT;
}

export interface Spread { min: number; median: number; max: number; n: number }

/** min, median, max of the finite values; null when there are none. */
export function spread(values: Array<number | null>): Spread | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { min: v[0], median, max: v[v.length - 1], n: v.length };
}

/** Targets in the order of round `round`: as given on even rounds, reversed on odd ones. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...items] : [...items].reverse();
}
