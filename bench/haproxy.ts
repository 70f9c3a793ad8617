/**
 * HAProxy as a peer: one thread (`nbthread 1`), keep-alive on both sides and `http-reuse always`
 * so idle backend connections serve any client, no logging. Single process in the foreground
 * (`-db`), so its pid is all of its CPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processGroup, spawnPinned, stopChild, waitForHttp } from './proc.js';
import { ITEM_PATH, PROXY_PREFIX, type Layout, type Target } from './targets.js';

export function haproxyConf(port: number, backendPort: number): string {
  return `
global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s

frontend bench
  bind 127.0.0.1:${port}
  default_backend backend

backend backend
  # Strip the prefix as the other proxies do: ${PROXY_PREFIX}/items/123 reaches the backend as /items/123.
  http-request replace-path ^${PROXY_PREFIX}(/.*) \\1
  server b1 127.0.0.1:${backendPort}
`;
}

export async function startHaproxy(bin: string, layout: Layout, backendPort: number): Promise<Target> {
  const dir = join(layout.tmpDir, 'haproxy');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const confFile = join(dir, 'haproxy.cfg');
  writeFileSync(confFile, haproxyConf(port, backendPort));
  const child = spawnPinned(layout.proxyCore, bin, ['-db', '-f', confFile]);
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  try {
    await waitForHttp(url, (r) => r.status === 200, 15_000);
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${(err as Error).message}\n${child.tail}`);
  }
  const problems = () => child.tail.toString().split('\n').filter((l) => /ALERT|WARNING/.test(l)).slice(0, 20);
  return { name: 'haproxy', url, cores: 1, pids: () => processGroup(child.pid), problems, stop: () => stopChild(child) };
}

/** The `relay` target (bench/relay.ts): a Node process on the proxy core. */
export async function startRelay(layout: Layout, backendPort: number): Promise<Target> {
  const port = await freePort();
  const child = spawnPinned(layout.proxyCore, process.execPath, [join(layout.repoRoot, 'dist/bench/relay.js'), String(port), String(backendPort)]);
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  try {
    await waitForHttp(url, (r) => r.status === 200, 15_000);
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${(err as Error).message}\n${child.tail}`);
  }
  return { name: 'relay', url, cores: 1, pids: () => processGroup(child.pid), problems: () => [], stop: () => stopChild(child) };
}
