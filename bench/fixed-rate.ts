/**
 * Latency at a fixed rate: half of nginx's max rate, straight to the backend and then through each
 * target, so "added p99" (target p99 − direct p99) is what the proxy adds when it is not the
 * bottleneck. The load is open-loop (bench/pacer.ts): request i is due at i / rate and its latency
 * counts from then. Debian has no wrk2; autocannon's `overallRate` sends each connection's quota
 * for the second back to back and then idles; wrk paced by a Lua `delay()` (this bench until
 * 2026-12-06) is closed-loop with whole-millisecond timers, and its connections fired in clumps of
 * 75-100 requests within 0.6 ms: that measured how fast a proxy drains a clump (Node's event loop
 * reads a whole clump before any response leaves), not what it adds at a rate.
 */
import type { Measurement, MeasureOptions } from './measure.js';
import { measure } from './measure.js';
import { runPacer } from './pacer.js';
import type { Target } from './targets.js';
import { PACED_TARGET_SHARE } from './settings.js';
import { spread, type Spread } from './verdict.js';

/**
 * The fixed rate: `sharePct`% (half, by default) of nginx's median req/s over its saturated plain
 * runs; null when none was saturated. An unsaturated run measured the load generator's limit (at 13:24 on a slow spell all
 * three were, at ~26,000 req/s against 40,000 an hour before), and half of that is a lighter load
 * than the target asks for.
 */
export function fixedRateFor(runs: Array<{ scenario: string; target: string; reqPerSec: number; saturated: boolean }>, sharePct = PACED_TARGET_SHARE): number | null {
  const max = spread(runs.filter((r) => r.scenario === 'plain' && r.target === 'nginx' && r.saturated).map((r) => r.reqPerSec));
  return max === null ? null : Math.round((max.median * sharePct) / 100);
}

/** Achieved below this share of the asked rate: the target could not sustain it (or the pacer could not). */
export const SUSTAINED_SHARE = 0.9;

export interface PacedResult {
  target: string;
  /** The rate as a share of nginx's max, percent (settings.ts, pacedShares). */
  sharePct: number;
  /** The fixed-rate round (0-based): each round runs direct first, then every target. */
  round: number;
  rate: number;
  achievedRate: number;
  sustained: boolean;
  /**
   * Achieved within RATE_TOLERANCE of the asked rate. Open-loop, a run cannot go over it (the
   * duration is at least the window it was due in); under it, the target fell behind, and its p99
   * is not comparable: no verdict is drawn from it.
   */
  onRate: boolean;
  /** The pacer's connections (pacedConnections). */
  connections: number;
  /**
   * The pacer's own lateness (µs after a request was due that it sent it; part of every latency,
   * direct run included) and the most requests it held at once for want of an idle connection.
   */
  generator: { sendLagP99Us: number; sendLagMaxUs: number; maxBacklog: number; reconnects: number };
  latencyUs: Measurement['wrk']['latencyUs'];
  /** The warm-up run's p99 and worst latency (µs; the same load, just after the target started): null without a warm-up. */
  warmupP99Us: number | null;
  warmupMaxUs: number | null;
  /** p99 minus the direct run's p99 (µs); null for the direct run itself. */
  addedP99Us: number | null;
  errors: Measurement['wrk']['errors'];
  cpuUsPerReq: Measurement['cpuUsPerReq'];
  /**
   * Busy share (0..1) of the proxy's core and of the load core (the pacer and the backend) over
   * the measured run; null when nothing is pinned. A load core at LOAD_CORE_SATURATED or more had
   * no idle time: the latencies, the direct run's too, hold its own queueing.
   */
  proxyCoreBusy: number | null;
  loadCoreBusy: number | null;
  problems: string[];
}

/** The load core this busy or more: the pacer and the backend were its bottleneck (loadCoreNotes). */
export const LOAD_CORE_SATURATED = 0.9;

/**
 * Each connection is idle this long between its requests at the asked rate (on average): during a
 * stall of that long in the target, every request that falls due still finds a free connection and
 * goes out on time, as it would from independent clients; longer stalls show in the reported
 * backlog (and, measured from when each request was due, in the latencies either way).
 */
export const MIN_CYCLE_MS = 4;

/** Connections for a paced run at `rate`: the usual count, or more when needed for MIN_CYCLE_MS. */
export function pacedConnections(rate: number, usual: number): number {
  return Math.max(usual, Math.ceil((rate * MIN_CYCLE_MS) / 1000));
}

export interface PacedOptions extends Omit<MeasureOptions, 'load' | 'durationS'> {
  durationS: number;
  warmupS: number;
  /** outpost-pacer (pacerBinary()). */
  pacer: string;
}

/** A measured rate this far under the asked one: the target (or the host) fell behind. */
export const RATE_TOLERANCE = 0.05;

export function isOnRate(achieved: number, asked: number): boolean {
  return Math.abs(achieved / asked - 1) <= RATE_TOLERANCE;
}

export async function pacedRun(target: Target, rate: number, given: PacedOptions, directP99Us: number | null, round = 0, sharePct = PACED_TARGET_SHARE): Promise<PacedResult> {
  const opts = { ...given, connections: pacedConnections(rate, given.connections) };
  // A target just started is not in its steady state yet (settings.ts, pacedWarmupS): the same
  // paced load first, unmeasured but for its p99.
  const warmup = opts.warmupS > 0 ? await runPacer({ binary: opts.pacer, url: target.url, core: opts.loadCore, rate, durationS: opts.warmupS, connections: opts.connections, headers: target.headers }) : null;
  const m = await measure(target, { ...opts, load: { kind: 'pacer', binary: opts.pacer, rate } });
  const lag = m.wrk.pacer;
  return {
    target: target.name,
    sharePct,
    round,
    rate,
    achievedRate: m.reqPerSec,
    sustained: m.reqPerSec >= rate * SUSTAINED_SHARE,
    onRate: isOnRate(m.reqPerSec, rate),
    connections: opts.connections,
    generator: { sendLagP99Us: lag?.sendLagUs.p99 ?? 0, sendLagMaxUs: lag?.sendLagUs.max ?? 0, maxBacklog: lag?.maxBacklog ?? 0, reconnects: lag?.reconnects ?? 0 },
    latencyUs: m.wrk.latencyUs,
    warmupP99Us: warmup?.latencyUs.p99 ?? null,
    warmupMaxUs: warmup?.latencyUs.max ?? null,
    addedP99Us: directP99Us === null ? null : m.wrk.latencyUs.p99 - directP99Us,
    errors: m.wrk.errors,
    cpuUsPerReq: m.cpuUsPerReq,
    proxyCoreBusy: opts.proxyCore === null ? null : m.coreBusy[opts.proxyCore] ?? null,
    loadCoreBusy: opts.loadCore === null ? null : m.coreBusy[opts.loadCore] ?? null,
    problems: m.problems,
  };
}

/**
 * A target's added p99 over the rounds that count (the target's run sustained and on the rate,
 * and that round's direct run a baseline: run.ts gives a target no added p99 when it was not):
 * median, min, max and how many. One 10 s run's p99 on a shared VM is one draw from a wide distribution (eight
 * back-to-back runs of one gateway build at one rate: 2.65 to 6.94 ms), so the verdict compares
 * medians over alternated rounds, not single runs.
 */
export function addedP99Spread(results: PacedResult[], target: string): Spread | null {
  return spread(results.filter((r) => r.target === target && r.sustained && r.onRate).map((r) => r.addedP99Us));
}

/** addedP99Spread of every target the results hold (direct aside), in order of first appearance. */
export function addedP99ByTarget(results: PacedResult[]): Array<[string, Spread | null]> {
  const targets = [...new Set(results.map((r) => r.target))].filter((t) => t !== 'direct');
  return targets.map((t) => [t, addedP99Spread(results, t)]);
}

/**
 * The target: the gateway's added p99 no worse than nginx's + 1 ms, on the medians over
 * the rounds that count, at half of nginx's max rate (the runs at other shares are left out). Null
 * (no verdict) when either has fewer than two such rounds (one, when only one round ran): a median
 * of one run is the single-run verdict the rounds are there to avoid.
 */
export function p99TargetMet(all: PacedResult[]): boolean | null {
  const results = all.filter((r) => r.sharePct === PACED_TARGET_SHARE);
  const need = Math.min(MIN_COUNTED_ROUNDS, new Set(results.map((r) => r.round)).size);
  const gw = addedP99Spread(results, 'gateway');
  const ngx = addedP99Spread(results, 'nginx');
  if (gw === null || ngx === null || gw.n < need || ngx.n < need) return null;
  return gw.median <= ngx.median + 1000;
}

/**
 * A direct run its round's targets are measured against: sustained, and not more than
 * RATE_TOLERANCE over the rate (wrk's closed-loop pacing could overshoot; the pacer cannot, so
 * this now guards against a report of a run at another rate). Under it (but sustained) its p99
 * was taken at less load, so the targets' added p99 comes out larger, never smaller.
 */
export function isBaseline(direct: PacedResult): boolean {
  return direct.sustained && direct.achievedRate <= direct.rate * (1 + RATE_TOLERANCE);
}

/** Rounds that must count for each of the gateway and nginx before a verdict is drawn. */
export const MIN_COUNTED_ROUNDS = 2;

/**
 * One line per paced run whose load core was saturated (LOAD_CORE_SATURATED): there the pacer and
 * the backend queued too, so that run's tail is not the proxy's alone. The run still counts (the
 * direct run's p99, taken under the same load, is subtracted), but a reader must know.
 */
export function loadCoreNotes(results: PacedResult[]): string[] {
  return results
    .filter((r) => r.loadCoreBusy !== null && r.loadCoreBusy >= LOAD_CORE_SATURATED)
    .map((r) => `fixed-rate ${r.sharePct}% round ${r.round + 1} ${r.target}: the load core was ${Math.round(r.loadCoreBusy! * 100)}% busy (pacer + backend): no idle time there, so its p99 holds the load side's queueing too`);
}
