/**
 * Redis for tests, never a mock: the shared server at 127.0.0.1:6379 (with a key prefix unique
 * to the run, so parallel runs never share counts), or a redis-server of the test's own on a
 * free port, to kill and restart without disturbing anyone else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379/0';

/** A key prefix no other run uses: `t<pid>-<random>:`. */
export function uniqueKeyPrefix(tag = 't'): string {
  return `${tag}${process.pid}-${randomBytes(4).toString('hex')}:`;
}

import { freePort } from './free-port.js';
export { freePort };

export interface OwnRedis {
  port: number;
  url: string;
  /** SIGKILL: the server vanishes mid-run, as a crash or a partition would make it. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
}

export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  const p = port ?? await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'], { stdio: 'ignore' });
    await waitUntil(() => canConnect(p), 5_000, `redis-server on ${p} did not start`);
  };
  await start();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}/0`,
    kill: async () => {
      const running = proc;
      proc = null;
      if (!running || running.exitCode !== null) return;
      const gone = new Promise<void>((r) => running.once('exit', () => r()));
      running.kill('SIGKILL');
      await gone;
    },
    restart: start,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
