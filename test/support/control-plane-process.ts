/**
 * Runs the real control plane (`dist/src/cli.js control-plane`) as a child process on 127.0.0.1
 * port 0 with a temporary data directory, and gives tests a small admin client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './gateway-process.js';
import { collectJsonLines, type LogLine } from './json-lines.js';
import { testTempDir } from './temp-dir.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** A port that was free a moment ago, for a pinned control plane. */
export { freePort } from './free-port.js';

export interface Reply { status: number; headers: Headers; body: any }

export interface ControlPlaneProcess {
  port: number;
  dataDir: string;
  proc: ChildProcess;
  logs: LogLine[];
  badLines: string[];
  url(path: string): string;
  /** An admin call (bearer token unless `token` is given; null sends none). */
  admin(method: string, path: string, body?: unknown, token?: string | null): Promise<Reply>;
  /** A call with arbitrary headers (the gateway endpoints). */
  call(method: string, path: string, headers?: Record<string, string>, body?: unknown, signal?: AbortSignal): Promise<Reply>;
  stop(): Promise<number | null>;
}

/**
 * `port` pins the port (default 0, any free one): a gateway's env file names the port, so a test
 * that stops the control plane and starts it again must get the same one back.
 */
export async function startControlPlane(opts: { env?: Record<string, string>; dataDir?: string; port?: number } = {}): Promise<ControlPlaneProcess> {
  const dataDir = opts.dataDir ?? testTempDir('outpost-cp-');
  const proc = spawn(process.execPath, [CLI, 'control-plane', '--port', String(opts.port ?? 0), '--host', '127.0.0.1', '--data', dataDir], {
    env: { ...process.env, OUTPOST_ADMIN_TOKEN: ADMIN_TOKEN, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const badLines: string[] = [];
  let stderr = '';
  const started = new Promise<LogLine>((resolve, reject) => {
    collectJsonLines(proc.stdout!, logs, badLines, (added) => {
      const line = added.find((l) => l.msg === 'control plane started');
      if (line) resolve(line);
    });
    proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
    proc.once('exit', (code) => reject(new Error(`control plane exited (${code}); stderr: ${stderr}; logs: ${JSON.stringify(logs)}`)));
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const { port } = (await started) as LogLine & { port: number };
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown, signal?: AbortSignal): Promise<Reply> => {
    const res = await fetch(url(path), {
      method, signal,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    port, dataDir, proc, logs, badLines, url, call,
    admin: (method, path, body, token = ADMIN_TOKEN) => call(method, path, token === null ? {} : { authorization: `Bearer ${token}` }, body),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
