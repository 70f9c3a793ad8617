/**
 * The parts of bench:instructions that talk to callgrind and to the gateway: a keep-alive client
 * that sends an exact number of requests (wrk counts by time), the counted and idle windows
 * (callgrind_control), and the readers of callgrind's output.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface RequestTarget { port: number; path: string; headers: Record<string, string> }

/**
 * Sends `total` GETs over `connections` keep-alive connections, one at a time on each, and checks
 * every answer is a 200 with a Content-Length body. Rejects on anything else or after `timeoutMs`.
 */
export function keepAliveRequests(target: RequestTarget, total: number, connections: number, timeoutMs: number): Promise<void> {
  if (total === 0) return Promise.resolve();
  const extra = Object.entries(target.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const request = Buffer.from(`GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`, 'latin1');
  const n = Math.min(connections, total);
  // `total` split over n connections, the remainder one each on the first ones.
  const perConnection = Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
  return new Promise((resolve, reject) => {
    let open = perConnection.length;
    let failed = false;
    const sockets = perConnection.map((count) => {
      let left = count;
      let pending: Buffer = Buffer.alloc(0);
      const socket = connect(target.port, '127.0.0.1', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const answer = readAnswer(pending);
          if (answer === null) return;
          if (answer.status !== 200) return fail(new Error(`status ${answer.status}: ${pending.toString('latin1', 0, Math.min(pending.length, 300))}`));
          pending = pending.subarray(answer.length);
          if (--left === 0) { socket.end(); if (--open === 0) { clearTimeout(timer); resolve(); } return; }
          socket.write(request);
        }
      });
      socket.on('error', (err) => fail(err));
      socket.on('close', () => { if (left > 0) fail(new Error(`connection closed with ${left} requests left`)); });
      return socket;
    });
    const timer = setTimeout(() => fail(new Error(`${total} requests not done in ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      reject(err);
    }
  });
}

/** One answer at the start of `buf`: its status and total length, or null while incomplete. Chunked answers are not expected. */
export function readAnswer(buf: Buffer): { status: number; length: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const match = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (match === null) throw new Error(`answer without Content-Length: ${head.slice(0, 200)}`);
  const length = end + 4 + Number(match[1]);
  return buf.length >= length ? { status, length } : null;
}

function control(args: string[]): void {
  execFileSync('callgrind_control', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
}

/** Dump files callgrind wrote for `pid` in `dir` (callgrind.<pid>.<n>), by dump number. */
function dumps(dir: string, pid: number): string[] {
  const prefix = `callgrind.${pid}.`;
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length))).map((f) => join(dir, f));
}

/**
 * Counts the instructions of `run` (instrumentation on, one dump), then those of the idle gateway
 * over the same wall time (a second dump: a dump zeroes the counters).
 */
export async function countWindows(pid: number, dir: string, run: () => Promise<void>): Promise<{ dumpFile: string; idleInstructions: number; windowSeconds: number }> {
  const before = dumps(dir, pid).length;
  control(['--instr=on', String(pid)]);
  const t0 = performance.now();
  await run();
  const windowSeconds = (performance.now() - t0) / 1000;
  control(['--dump', String(pid)]);
  await new Promise((r) => setTimeout(r, windowSeconds * 1000));
  control(['--dump', String(pid)]);
  control(['--instr=off', String(pid)]);
  const files = dumps(dir, pid);
  if (files.length < before + 2) throw new Error(`callgrind wrote ${files.length - before} dumps for ${pid}, expected 2`);
  return { dumpFile: files[before], idleInstructions: totalInstructions(files[before + 1]), windowSeconds };
}

/** The instruction total of a callgrind dump (its `totals:` line, or `summary:`). */
export function totalInstructions(file: string): number {
  return totalsOf(readFileSync(file, 'utf8'));
}

export function totalsOf(text: string): number {
  const m = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
  if (m === null) throw new Error('no totals or summary line in the callgrind dump');
  return Number(m[1]);
}

export interface FunctionCost { name: string; perRequest: number }

/** JIT code ranges from a --perf-basic-prof map: sorted [start, end, name]. */
export function parsePerfMap(text: string): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m === null) continue;
    const start = parseInt(m[1], 16);
    out.push([start, start + parseInt(m[2], 16), m[3]]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The name of the range holding `address`, or null. */
export function nameAt(ranges: Array<[number, number, string]>, address: number): string | null {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid][0] <= address) lo = mid + 1; else hi = mid - 1;
  }
  return hi >= 0 && address < ranges[hi][1] ? ranges[hi][2] : null;
}

/**
 * Self cost per function from `callgrind_annotate` output: JIT code (shown by address) named
 * through the perf map, several entries of one name summed.
 */
export function functionCosts(annotated: string, ranges: Array<[number, number, string]>, requests: number): FunctionCost[] {
  const sums = new Map<string, number>();
  for (const line of annotated.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (m === null || m[2].includes('PROGRAM TOTALS')) continue;
    let name = m[2].replace(/\s*\[[^\]]*\]\s*$/, '');
    const jit = /^\?\?\?:0x([0-9a-f]+)$/.exec(name);
    if (jit !== null) name = nameAt(ranges, parseInt(jit[1], 16)) ?? 'JIT code without a name (stubs, bytecode handlers)';
    sums.set(name, (sums.get(name) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  return [...sums].map(([name, n]) => ({ name, perRequest: n / requests })).sort((a, b) => b.perRequest - a.perRequest);
}

export function topFunctions(dumpFile: string, perfMap: string, requests: number, top: number): FunctionCost[] {
  const annotated = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dumpFile], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let map = '';
  try { map = readFileSync(perfMap, 'utf8'); } catch { /* no map: JIT code stays unnamed */ }
  return functionCosts(annotated, parsePerfMap(map), requests).slice(0, top);
}
