/**
 * Runs the real gateway (`dist/src/cli.js gateway`) as a child process for integration tests:
 * real worker threads, real sockets on port 0. Reads its JSON log lines to learn the ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/primary/memory-reducer.js';

export const CLI = resolve(import.meta.dirname, '../../src/cli.js');

import { collectJsonLines, type LogLine } from './json-lines.js';
import { testTempDir } from './temp-dir.js';

export type { LogLine };

export interface GatewayProcess {
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  port: number;
  opsPort: number;
  /** The HTTPS listener's port (gateway.tls), or null. */
  httpsPort: number | null;
  configFile: string;
  proc: ChildProcess;
  logs: LogLine[];
  /** Non-JSON stdout lines (must stay empty: logs are one JSON object per line). */
  badLines: string[];
  url(path: string): string;
  writeConfig(config: object): void;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `nodeFlags`: node's or V8's flags after the launchers' own (a V8 trace; its lines land in `badLines`). */
type StartOptions = { workers?: number; port?: number; env?: Record<string, string>; expectFailure?: boolean; sourceArgs?: string[]; nodeFlags?: string[] };

/**
 * `sourceArgs` replaces `--config FILE` (managed mode: `['--env-file', FILE]`); `config` is then unused.
 *
 * Port 0 is resolved by the primary (port-check.ts) and bound by the workers a moment later; on a
 * machine busy with other tests' connections an outgoing socket can take that port in between
 * (seen once in CI: OUTPOST_ERR_PORT_IN_USE on a port the gateway had just picked). Such a start
 * is tried again, at most twice, and only when the test asked for port 0 and a running gateway.
 */
export async function startGateway(config: object, opts: StartOptions = {}): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(config, opts);
    } catch (err) {
      const lostPickedPort = !opts.expectFailure && (opts.port ?? 0) === 0 && String(err).includes('OUTPOST_ERR_PORT_IN_USE');
      if (!lostPickedPort || attempt >= 3) throw err;
    }
  }
}

async function startOnce(config: object, opts: StartOptions): Promise<GatewayProcess> {
  const dir = testTempDir('outpost-test-');
  const configFile = join(dir, 'gateway.yaml');
  writeFileSync(configFile, stringify(config));
  const sourceArgs = opts.sourceArgs ?? ['--config', configFile];
  // As the launchers start it (npm start, the systemd unit, the image).
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...(opts.nodeFlags ?? []), CLI, 'gateway', ...sourceArgs, '--port', String(opts.port ?? 0), '--ops-port', '0', '--workers', String(opts.workers ?? 2)], {
    // Without the warm-up (~2 s per worker) unless a test asks for it: hundreds of starts, one at a time.
    env: { OUTPOST_WARMUP_REQUESTS: '0', ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const badLines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  collectJsonLines(proc.stdout!, logs, badLines, () => { for (const w of waiters) w(); });
  proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => { for (const w of waiters) w(); r(code); }));

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 10_000) => new Promise<LogLine>((resolvePromise, reject) => {
    const check = () => {
      const found = logs.find(pred);
      if (found) { cleanup(); resolvePromise(found); return true; }
      if (proc.exitCode !== null) { cleanup(); reject(new Error(`gateway exited (${proc.exitCode}); stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`)); return true; }
      return false;
    };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for log; last logs: ${JSON.stringify(logs.slice(-5))} stderr: ${stderr}`)); }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); waiters.delete(onData); };
    const onData = () => { check(); };
    if (!check()) waiters.add(onData);
  });

  const started = opts.expectFailure
    ? await exited.then(() => ({ port: 0, opsPort: 0 }) as unknown as LogLine)
    : await waitForLog((l) => l.msg === 'gateway started', 20_000);
  const gw: GatewayProcess = {
    exited,
    port: started.port as number,
    opsPort: started.opsPort as number,
    httpsPort: (started.httpsPort as number | null | undefined) ?? null,
    configFile,
    proc,
    logs,
    badLines,
    url: (path) => `http://127.0.0.1:${started.port as number}${path}`,
    writeConfig: (c) => writeFileSync(configFile, stringify(c)),
    waitForLog,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 40_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return gw;
}

/** A minimal valid config with one API in front of `backendUrl`. */
export function oneApiConfig(backendUrl: string, gateway: Record<string, unknown> = {}, api: Record<string, unknown> = {}): object {
  return {
    gateway: { drainTimeoutSeconds: 5, ...gateway },
    apis: [{
      id: 'echo', name: 'Echo', path: 'echo', serviceUrl: backendUrl, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
      ...api,
    }],
  };
}

/** GETs an ops endpoint of the gateway and returns status and parsed JSON. */
export async function opsGet(gw: GatewayProcess, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.opsPort}${path}`);
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) as Record<string, unknown> : { text } };
}

/** Waits until readiness reports `generation` applied by every worker. */
export async function waitForGeneration(gw: GatewayProcess, generation: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await opsGet(gw, '/health/ready');
    const workers = body.workers as Array<{ generation: number; phase: string }>;
    if (status === 200 && body.generation === generation && workers.every((w) => w.generation === generation)) return;
    if (Date.now() > deadline) throw new Error(`generation ${generation} not live: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
