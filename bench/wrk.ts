/**
 * wrk, the load generator: a C event loop that costs a few µs of CPU per request, so one core of
 * it (shared with the backend) can saturate a proxy on the other core, which autocannon (Node)
 * could not. Its latency statistics keep every response time at 1 µs resolution up to the timeout
 * (an exact histogram, like HdrHistogram without the bucketing); a Lua `done()` hook prints the
 * exact percentiles as one JSON line, because `--latency`'s text table rounds to 2 decimals of a
 * unit and has no p99.9.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnPinned, stopChild } from './proc.js';

/** The prefix of the line the Lua `done()` hook prints; everything after it is JSON. */
export const WRK_JSON_MARK = 'OUTPOST_WRK_JSON ';

const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${WRK_JSON_MARK}{"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p99_9":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
`;

/** Writes the Lua script (the `done()` hook) into `dir`. */
export function writeWrkScript(dir: string): string {
  const file = join(dir, 'wrk-done.lua');
  writeFileSync(file, DONE_LUA);
  return file;
}

export interface WrkResult {
  requests: number;
  durationS: number;
  reqPerSec: number;
  /** Response bytes per request: shows the proxies answer alike. */
  bytesPerResponse: number;
  /** wrk's error counts; `status` is responses with a status above 399. */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  /** Exact µs from the Lua hook. */
  latencyUs: { min: number; max: number; mean: number; stdev: number; p50: number; p90: number; p99: number; p99_9: number };
  /** `--latency`'s table (µs, rounded by wrk's printing), kept as a cross-check of the Lua figures. */
  textLatencyUs: Record<string, number>;
}

const UNIT_US: Record<string, number> = { us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };

/** "123.45us" / "1.20ms" / "2.00s" in µs; NaN for anything else. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_US[m[2]] : NaN;
}

/** The report line's JSON: wrk's Lua hook and outpost-pacer print these fields alike. */
export interface LoadReport {
  requests: number; durationUs: number; bytes: number;
  errors: WrkResult['errors']; latencyUs: WrkResult['latencyUs'];
}

/** The JSON after `mark` on the first line that starts with it; throws naming `tool` when none does. */
export function markedJson<T>(stdout: string, mark: string, tool: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith(mark));
  if (!line) throw new Error(`${tool} printed no ${mark.trim()} line:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(mark.length)) as T;
}

/** A report line as a result: the rate is requests over the measured duration. */
export function resultFrom(r: LoadReport, textLatencyUs: Record<string, number> = {}): WrkResult {
  const durationS = r.durationUs / 1e6;
  return {
    requests: r.requests,
    durationS,
    reqPerSec: durationS > 0 ? r.requests / durationS : 0,
    bytesPerResponse: r.requests > 0 ? Math.round(r.bytes / r.requests) : 0,
    errors: r.errors,
    latencyUs: r.latencyUs,
    textLatencyUs,
  };
}

/** wrk's stdout to a result; throws when the Lua line is missing (wrk failed or was killed). */
export function parseWrkOutput(stdout: string): WrkResult {
  const r = markedJson<LoadReport>(stdout, WRK_JSON_MARK, 'wrk');
  const textLatencyUs: Record<string, number> = {};
  const table = /Latency Distribution\n((?:\s+[\d.]+%\s+\S+\n?)+)/.exec(stdout);
  for (const row of table?.[1].split('\n') ?? []) {
    const m = /^\s*([\d.]+)%\s+(\S+)/.exec(row);
    if (m) textLatencyUs[`p${m[1]}`] = parseWrkTime(m[2]);
  }
  return resultFrom(r, textLatencyUs);
}

export interface WrkRun {
  url: string;
  /** Where wrk runs (the load core), null for unpinned. */
  core: number | null;
  durationS: number;
  connections: number;
  script: string;
  headers?: Record<string, string>;
}

/** One wrk run (`-t1`); rejects if wrk fails or outlives its duration by 30 s. */
export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const args = ['-t1', `-c${run.connections}`, `-d${run.durationS}s`, '--timeout', '10s', '--latency', '-s', run.script];
  for (const [name, value] of Object.entries(run.headers ?? {})) args.push('-H', `${name}: ${value}`);
  return parseWrkOutput(await runToEnd(run.core, 'wrk', [...args, run.url], `wrk on ${run.url}`, run.durationS + 30));
}

/**
 * Runs a load generator on `core` to its end and returns its output (the first 200 lines);
 * rejects if it exits with a non-zero code or is still running `limitS` seconds after it started.
 */
export async function runToEnd(core: number | null, cmd: string, args: string[], what: string, limitS: number): Promise<string> {
  const child = spawnPinned(core, cmd, args);
  const lines: string[] = [];
  child.onLine((l) => { if (lines.length < 200) lines.push(l); });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} still running ${limitS} s after it started`)), limitS * 1000);
      // 'close', not 'exit': it comes after the pipes are drained, so every line has been seen.
      child.proc.once('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    if (code !== 0) throw new Error(`${what} exited with code ${code}:\n${lines.join('\n')}`);
    return lines.join('\n');
  } finally {
    await stopChild(child, 2_000);
  }
}
