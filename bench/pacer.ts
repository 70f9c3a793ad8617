/**
 * outpost-pacer (native/pacer/pacer.c, built by `npm ci` beside the addon): the open-loop load
 * generator of the fixed-rate runs. Request i is due at i / rate and its latency runs from then,
 * so a target that stalls is charged for every request it delayed; wrk paced by a Lua delay()
 * was closed-loop with whole-millisecond timers and sent clumps of 75-100 requests within 0.6 ms.
 * Its report has wrk's fields (so measure() treats both alike) and its own: how late it sent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { markedJson, resultFrom, runToEnd, type LoadReport, type WrkResult } from './wrk.js';

/** The prefix of the pacer's one report line; everything after it is JSON. */
export const PACER_JSON_MARK = 'OUTPOST_PACER_JSON ';

export interface PacerStats {
  /** Requests due in the measured window (rate × duration). */
  scheduled: number;
  /**
   * How late the pacer sent the measured requests (µs after they were due, or after a connection
   * became idle when none was): its own share of the latency, which its core decides.
   */
  sendLagUs: { p50: number; p99: number; max: number };
  /** Most measured requests due and unsent at once for want of an idle connection: the target held them all. */
  maxBacklog: number;
  /** Connections opened again after the target closed one or broke its framing. */
  reconnects: number;
  connections: number;
}

/** --timeline-ms: the worst latency (µs) of the requests due in each window from the start, warm-up included; -1 where none was answered. */
export interface PacerTimeline {
  windowMs: number;
  /** When window 0 began, CLOCK_MONOTONIC ns (perf record -k mono uses the same clock). */
  startNs: number;
  maxUs: number[];
}

/** The prefix of the timeline line (only with --timeline-ms). */
export const PACER_TIMELINE_MARK = 'OUTPOST_PACER_TIMELINE ';

export type PacerResult = WrkResult & { pacer: PacerStats; timeline?: PacerTimeline };

type PacerReport = LoadReport & PacerStats;

/** The binary `npm ci` built; throws with the way to build it when it is missing. */
export function pacerBinary(repoRoot: string): string {
  const file = join(repoRoot, 'native', 'build', 'Release', 'outpost_pacer');
  if (!existsSync(file)) throw new Error(`${file} is missing: the fixed-rate runs need it; build it with \`node native/build.mjs\` (npm ci does)`);
  return file;
}

/** The pacer's stdout to a result; throws when the report line is missing (it failed or was killed). */
export function parsePacerOutput(stdout: string): PacerResult {
  const r = markedJson<PacerReport>(stdout, PACER_JSON_MARK, 'outpost-pacer');
  const result: PacerResult = { ...resultFrom(r), pacer: { scheduled: r.scheduled, sendLagUs: r.sendLagUs, maxBacklog: r.maxBacklog, reconnects: r.reconnects, connections: r.connections } };
  if (stdout.includes(PACER_TIMELINE_MARK)) result.timeline = markedJson<PacerTimeline>(stdout, PACER_TIMELINE_MARK, 'outpost-pacer');
  return result;
}

export interface PacerRun {
  binary: string;
  url: string;
  /** Where the pacer runs (the load core), null for unpinned. */
  core: number | null;
  rate: number;
  durationS: number;
  warmupS?: number;
  connections: number;
  headers?: Record<string, string>;
  /** Ask for the per-window worst latencies (PacerTimeline) in windows of this many ms. */
  timelineMs?: number;
}

/** One pacer run; rejects if it fails or outlives its run (and its 10 s response timeout) by 30 s. */
export async function runPacer(run: PacerRun): Promise<PacerResult> {
  const args = ['--rate', String(run.rate), '--duration', String(run.durationS), '--warmup', String(run.warmupS ?? 0), '--connections', String(run.connections)];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('--header', `${name}: ${value}`);
  if (run.timelineMs !== undefined) args.push('--timeline-ms', String(run.timelineMs));
  const limitS = (run.warmupS ?? 0) + run.durationS + 40;
  return parsePacerOutput(await runToEnd(run.core, run.binary, [...args, run.url], `outpost-pacer on ${run.url}`, limitS));
}
