/**
 * Latency at a fixed rate: half of nginx's max rate, straight to the backend and then through each
 * target, so "added p99" (target p99 − direct p99) is what the proxy adds when it is not the
 * bottleneck. Debian has no wrk2 and autocannon's `overallRate` sends each connection's quota for
 * the second back to back and then idles (bursts at full speed, not a rate), so wrk paces itself:
 * a Lua `delay()` before every request on each of its connections (see wrk.ts). The warm-up run
 * calibrates that delay for the target's own response time, so each target gets close to the rate.
 */
import type { Measurement, MeasureOptions } from './measure.js';
import { measure } from './measure.js';
import type { Target } from './targets.js';
import { spread, type Spread } from './verdict.js';
import { writeWrkScript } from './wrk.js';

/** Achieved below this share of the asked rate: the target could not sustain it (or wrk could not). */
export const SUSTAINED_SHARE = 0.9;

export interface PacedResult {
  target: string;
  /** The fixed-rate round (0-based): each round runs direct first, then every target. */
  round: number;
  rate: number;
  achievedRate: number;
  sustained: boolean;
  /**
   * Achieved within RATE_TOLERANCE of the asked rate. A target run well over it carries more load
   * than the others (the gateway once ran 9% over while nginx ran 3% under): its p99 is not
   * comparable, and no verdict is drawn from it.
   */
  onRate: boolean;
  /** wrk's connections (pacedConnections). */
  connections: number;
  /** Mean Lua delay per request per connection, after calibration (ms). */
  meanDelayMs: number;
  latencyUs: Measurement['wrk']['latencyUs'];
  /** p99 minus the direct run's p99 (µs); null for the direct run itself. */
  addedP99Us: number | null;
  errors: Measurement['wrk']['errors'];
  cpuUsPerReq: Measurement['cpuUsPerReq'];
  problems: string[];
}

/**
 * Each paced connection's mean cycle (delay + response) is at least this long. wrk's timers are
 * whole milliseconds and fire up to a millisecond late; with a cycle near 1 ms (64 connections at
 * 57k req/s on a fast host) that lateness, not the delay, set the rate: nginx ran at 40k for an
 * asked 57k, and calibration could not correct it. At 4 ms every target held the rate (48k: 194
 * connections). Much longer is no better: at 10 ms (455 connections) wrk's own core saturated and
 * its bursts outran nginx's 64 idle upstream connections, which then opened new ones.
 */
export const MIN_CYCLE_MS = 4;

/** Connections for a paced run at `rate`: the usual count, or more when needed for MIN_CYCLE_MS. */
export function pacedConnections(rate: number, usual: number): number {
  return Math.max(usual, Math.ceil((rate * MIN_CYCLE_MS) / 1000));
}

/**
 * Delay that makes `connections` connections send `rate` requests/s in all, given that each
 * request also spends `cycleOverheadMs` (response time, timer slack) on its connection.
 */
export function pacedDelayMs(rate: number, connections: number, cycleOverheadMs = 0): number {
  return Math.max(0, (connections * 1000) / rate - cycleOverheadMs);
}

/** The per-request overhead a run showed: its real cycle per connection minus the delay asked. */
export function cycleOverheadMs(achievedRate: number, connections: number, meanDelayMs: number): number {
  return achievedRate > 0 ? Math.max(0, (connections * 1000) / achievedRate - meanDelayMs) : 0;
}

export interface PacedOptions extends Omit<MeasureOptions, 'script' | 'durationS'> {
  durationS: number;
  warmupS: number;
  dir: string;
}

/** A measured rate this far from the asked one gets another calibration and run (up to MAX_RECALIBRATIONS). */
export const RATE_TOLERANCE = 0.05;
/** Runs after the first when the rate is off: each calibrates on the run before (the host drifts). */
const MAX_RECALIBRATIONS = 2;

export function isOnRate(achieved: number, asked: number): boolean {
  return Math.abs(achieved / asked - 1) <= RATE_TOLERANCE;
}

export async function pacedRun(target: Target, rate: number, given: PacedOptions, directP99Us: number | null, round = 0): Promise<PacedResult> {
  const opts = { ...given, connections: pacedConnections(rate, given.connections) };
  let meanDelayMs = pacedDelayMs(rate, opts.connections);
  // A target just started is still compiling: a calibration pass on it measures its warm-up, not
  // its response time, and the run that follows overshoots the rate (the gateway ran at 16.8k
  // for an asked 14.4k). The same paced load, unmeasured, first.
  if (opts.warmupS > 0) await measure(target, { ...opts, durationS: opts.warmupS, script: writeWrkScript(opts.dir, meanDelayMs) });
  // Two calibration passes when the warm-up allows: the first corrects for the response time, the
  // second for wrk's whole-millisecond timers, whose rounding depends on the delay itself.
  const passes = opts.warmupS >= 2 ? 2 : opts.warmupS;
  for (let pass = 0; pass < passes; pass++) {
    const script = writeWrkScript(opts.dir, meanDelayMs);
    const warm = await measure(target, { ...opts, durationS: Math.floor(opts.warmupS / passes), script });
    meanDelayMs = pacedDelayMs(rate, opts.connections, cycleOverheadMs(warm.reqPerSec, opts.connections, meanDelayMs));
  }
  let m = await measure(target, { ...opts, script: writeWrkScript(opts.dir, meanDelayMs) });
  for (let again = 0; again < MAX_RECALIBRATIONS && !isOnRate(m.reqPerSec, rate) && m.reqPerSec >= rate * SUSTAINED_SHARE; again++) {
    // Off the rate but able to sustain it: calibrate on this whole run and measure once more.
    meanDelayMs = pacedDelayMs(rate, opts.connections, cycleOverheadMs(m.reqPerSec, opts.connections, meanDelayMs));
    m = await measure(target, { ...opts, script: writeWrkScript(opts.dir, meanDelayMs) });
  }
  return {
    target: target.name,
    round,
    rate,
    achievedRate: m.reqPerSec,
    sustained: m.reqPerSec >= rate * SUSTAINED_SHARE,
    onRate: isOnRate(m.reqPerSec, rate),
    connections: opts.connections,
    meanDelayMs,
    latencyUs: m.wrk.latencyUs,
    addedP99Us: directP99Us === null ? null : m.wrk.latencyUs.p99 - directP99Us,
    errors: m.wrk.errors,
    cpuUsPerReq: m.cpuUsPerReq,
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
 * the rounds that count. Null (no verdict) when either has fewer than two such rounds (one, when
 * only one round ran): a median of one run is the single-run verdict the rounds are there to avoid.
 */
export function p99TargetMet(results: PacedResult[]): boolean | null {
  const need = Math.min(MIN_COUNTED_ROUNDS, new Set(results.map((r) => r.round)).size);
  const gw = addedP99Spread(results, 'gateway');
  const ngx = addedP99Spread(results, 'nginx');
  if (gw === null || ngx === null || gw.n < need || ngx.n < need) return null;
  return gw.median <= ngx.median + 1000;
}

/**
 * A direct run its round's targets are measured against: sustained, and not more than
 * RATE_TOLERANCE over the rate. Under it (but sustained) its p99 was taken at less load, so the
 * targets' added p99 comes out larger, never smaller; over it, smaller: no baseline.
 */
export function isBaseline(direct: PacedResult): boolean {
  return direct.sustained && direct.achievedRate <= direct.rate * (1 + RATE_TOLERANCE);
}

/** Rounds that must count for each of the gateway and nginx before a verdict is drawn. */
export const MIN_COUNTED_ROUNDS = 2;
