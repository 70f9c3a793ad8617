/**
 * Child processes for the bench: spawn pinned to a core, wait for a line or an HTTP answer with a
 * deadline, stop them for sure, and read their CPU time from /proc. Every child is registered so
 * that an error, a signal or a plain exit anywhere in the bench still takes all of them down.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, readdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../src/gateway/primary/memory-reducer.js';

const live = new Set<ChildProcess>();
/**
 * Process groups of every child (each child leads its own, `detached`), kept until stopChild has
 * emptied them: killing the group also takes down what a child forked (nginx's workers), which a
 * signal to the child alone would orphan.
 */
const groups = new Set<number>();

/** Signals every process in group `pgid`; false once the group is empty. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try { process.kill(-pgid, signal); return true; } catch { return false; }
}

/** Last lines of a child's stdout+stderr, kept for error messages (bounded: a chatty child must not grow the bench). */
export class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 50) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string { return this.lines.join('\n'); }
}

export interface Child {
  proc: ChildProcess; pid: number; tail: Tail; onLine(fn: (line: string) => void): void;
  /** Hands a line to the listeners as if the child had printed it (a child whose stdout is a file). */
  feed(line: string): void;
}

/**
 * `taskset -c CORES cmd args` (CORES: one core, or a list such as "0,1"): taskset execs the
 * command, so the pid we get is the process itself (what /proc/<pid>/stat must describe), and
 * threads and forks inherit the affinity. The child leads its own process group (`detached`), so a
 * Ctrl-C on the terminal reaches only the bench, which then stops every group it started.
 */
export function spawnPinned(core: number | string | null, cmd: string, args: string[], env?: NodeJS.ProcessEnv, stdoutFd?: number): Child {
  const [file, argv] = core === null ? [cmd, args] : ['taskset', ['-c', String(core), cmd, ...args]];
  const proc = spawn(file, argv, { stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'], env: env ?? process.env, detached: true });
  if (proc.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  live.add(proc);
  groups.add(proc.pid);
  proc.once('exit', () => live.delete(proc));
  const tail = new Tail();
  const listeners: Array<(line: string) => void> = [];
  // Always drain both pipes: a child blocked on a full stdout pipe would look like a slow proxy.
  for (const stream of [proc.stdout, proc.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (buffered + chunk).split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) { tail.push(line); for (const fn of listeners) fn(line); }
    });
  }
  return { proc, pid: proc.pid, tail, onLine: (fn) => { listeners.push(fn); }, feed: (line) => { tail.push(line); for (const fn of listeners) fn(line); } };
}

/** Resolves with the first line `parse` accepts; rejects if the child exits or the deadline passes first. */
export function waitForLine<T>(child: Child, parse: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no ready line after ${timeoutMs} ms\n${child.tail}`)), timeoutMs);
    const onExit = (code: number | null) => done(new Error(`${what} exited (code ${code}) before it was ready\n${child.tail}`));
    const done = (err: Error | null, value?: T) => {
      clearTimeout(timer);
      child.proc.off('exit', onExit);
      if (err) reject(err); else resolve(value as T);
    };
    child.proc.once('exit', onExit);
    child.onLine((line) => {
      const value = parse(line);
      if (value !== undefined) done(null, value);
    });
  });
}

/** One GET on a fresh connection (no agent: polling must not leave keep-alive sockets behind). */
export function httpGet(url: string, timeoutMs = 2_000, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // https: the bench's own self-signed certificate (wrk does not verify either).
    const req = (url.startsWith('https:') ? httpsGet : get)(url, { agent: false, timeout: timeoutMs, headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * A loopback port that was free a moment ago, for programs that cannot report the port they got
 * (nginx, HAProxy, Caddy); a clash makes their start fail loudly rather than share a port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `url` until `ok` accepts the answer; rejects with the last answer or error at the deadline. */
export async function waitForHttp(url: string, ok: (r: { status: number; body: string }) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await httpGet(url);
      if (ok(r)) return;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}

/**
 * SIGTERM (so the gateway drains, --cpu-prof files get written and nginx stops its workers), then
 * SIGKILL after `graceMs`; finally SIGKILL to whatever is left of the child's process group.
 */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  const { proc } = child;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(child.pid, 'SIGKILL');
  groups.delete(child.pid);
}

/** Last resort, synchronous so it also works from a process 'exit' handler. */
export function killAllNow(): void {
  for (const proc of live) proc.kill('SIGKILL');
  for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
}

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * The fields of a /proc stat file after the command name: index 0 is proc(5)'s field 3 (state),
 * so utime and stime (14, 15) are 11 and 12, nice (19) is 16. The name (field 2) may hold spaces
 * and parentheses; the fields after its last ')' are fixed.
 */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime+stime in clock ticks; for a process this sums all its threads, live and exited. */
export function cpuTicks(pid: number): number {
  const fields = statFields(`/proc/${pid}/stat`);
  return Number(fields[11]) + Number(fields[12]);
}

/** utime+stime (clock ticks) and nice value of each live thread of process `pid`, by thread id. */
export function threadStats(pid: number): Map<number, { ticks: number; nice: number }> {
  const out = new Map<number, { ticks: number; nice: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      out.set(Number(tid), { ticks: Number(f[11]) + Number(f[12]), nice: Number(f[16]) });
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

/** `pid` and its direct children (nginx: master plus workers). */
export function processGroup(pid: number): number[] {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(`/proc/${entry}/stat`)[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch { /* exited while we looked */ }
  }
  return pids;
}

/** utime+stime of every process on the machine, so a report can name what else ran during a run. */
export function allProcessTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { ticks.set(Number(entry), cpuTicks(Number(entry))); } catch { /* exited while we looked */ }
  }
  return ticks;
}

/** A short, readable name for a process: its command line, else its comm. */
export function describeProcess(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    if (cmdline) return cmdline.length > 80 ? `${cmdline.slice(0, 77)}...` : cmdline;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '(exited)';
  }
}

/** Waits for a gateway child's "gateway started" line, then for its readiness: its two ports. */
export async function gatewayReady(child: Child, startTimeoutMs: number, readyTimeoutMs: number): Promise<{ port: number; opsPort: number; httpsPort: number | null }> {
  const started = await waitForLine(child, (line) => {
    try {
      const e = JSON.parse(line) as { msg?: string; port?: number; opsPort?: number; httpsPort?: number | null };
      return e.msg === 'gateway started' ? { port: e.port ?? 0, opsPort: e.opsPort ?? 0, httpsPort: e.httpsPort ?? null } : undefined;
    } catch { return undefined; }
  }, startTimeoutMs, 'gateway');
  await waitForHttp(`http://127.0.0.1:${started.opsPort}/health/ready`, (r) => r.status === 200, readyTimeoutMs);
  return started;
}

export interface GatewayChild { child: Child; port: number; opsPort: number; httpsPort: number | null; problems: string[] }

/** How the gateway is launched: under a wrapper command (valgrind), with longer start-up deadlines. */
export interface GatewayLaunch { wrapper: string[]; startTimeoutMs: number; readyTimeoutMs: number }

/**
 * Starts `outpost gateway` (`workers` request workers, default one) on `configFile`, pinned to `core`, and waits until it is
 * ready. Its warn/error log lines (the first 20) are kept in `problems` for the report.
 */
export async function spawnGateway(repoRoot: string, core: number | string | null, configFile: string, nodeArgs: string[] = [], workers = 1, logFile?: string, launch?: GatewayLaunch): Promise<GatewayChild> {
  // With `logFile`, stdout (request logs included) goes to a file, as to a collector on another
  // machine: the bench does not read 20k lines a second on the load core while it measures.
  const fd = logFile === undefined ? undefined : openSync(logFile, 'w');
  // With node's flags as npm start, the systemd unit and the image give them.
  const args = [...GATEWAY_NODE_FLAGS, ...nodeArgs, join(repoRoot, 'dist/src/cli.js'), 'gateway', '--config', configFile, '--port', '0', '--ops-port', '0', '--workers', String(workers)];
  const child = launch === undefined
    ? spawnPinned(core, process.execPath, args, undefined, fd)
    : spawnPinned(core, launch.wrapper[0], [...launch.wrapper.slice(1), process.execPath, ...args], undefined, fd);
  if (fd !== undefined) closeSync(fd);
  const problems: string[] = [];
  child.onLine((line) => { if (problems.length < 20 && /"level":"(warn|error)"/.test(line)) problems.push(line); });
  const poller = logFile === undefined ? null : followFile(logFile, child);
  try {
    const started = await gatewayReady(child, launch?.startTimeoutMs ?? 20_000, launch?.readyTimeoutMs ?? 15_000);
    return { child, port: started.port, opsPort: started.opsPort, httpsPort: started.httpsPort, problems };
  } catch (err) {
    await stopChild(child, 2_000);
    throw err;
  } finally {
    if (poller !== null) clearInterval(poller);
  }
}

/**
 * Runs a bench's `main` and exits with its code. Children never outlive the bench, whatever way
 * it ends, and the temporary directory `tmpDir()` names is removed.
 */
export function runMain(label: string, main: () => Promise<number>, tmpDir: () => string | null): void {
  process.on('exit', () => {
    killAllNow();
    const dir = tmpDir();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${label} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** Feeds the lines appended to `file` to the child's listeners every 50 ms (start-up only: the caller stops it). */
function followFile(file: string, child: Child): NodeJS.Timeout {
  let offset = 0;
  let partial = '';
  const chunk = Buffer.allocUnsafe(64 * 1024);
  return setInterval(() => {
    let fd: number;
    try { fd = openSync(file, 'r'); } catch { return; }
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, offset);
        if (n <= 0) break;
        offset += n;
        const parts = (partial + chunk.toString('utf8', 0, n)).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) child.feed(line);
      }
    } finally { closeSync(fd); }
  }, 50);
}

/** The first `max` warn/error lines of a log file, found without parsing the request-log lines around them. */
export function logProblems(file: string, max = 20): string[] {
  let text: string;
  try { text = readFileSync(file, 'latin1'); } catch { return []; }
  const out: string[] = [];
  for (const marker of ['"level":"warn"', '"level":"error"']) {
    for (let at = text.indexOf(marker); at >= 0 && out.length < max; at = text.indexOf(marker, at + 1)) {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      out.push(text.slice(start, end < 0 ? text.length : end));
    }
  }
  return out;
}

/**
 * A peer proxy on the proxy core: spawns it, waits until `url` answers 200 (15 s), and on failure
 * stops it and throws with its last output.
 */
export async function startPeer(core: number | null, cmd: string, args: string[], url: string, env?: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawnPinned(core, cmd, args, env);
  try {
    await waitForHttp(url, (r) => r.status === 200, 15_000);
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${(err as Error).message}\n${child.tail}`);
  }
  return child;
}
