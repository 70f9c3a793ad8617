/**
 * HAProxy as a peer: one thread (`nbthread 1`), keep-alive on both sides and `http-reuse always`
 * so idle backend connections serve any client, no logging. Single process in the foreground
 * (`-db`), so its pid is all of its CPU.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processGroup, startPeer, stopChild } from './proc.js';
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
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  const child = await startPeer(layout.proxyCore, bin, ['-db', '-f', confFile], url);
  const problems = () => child.tail.toString().split('\n').filter((l) => /ALERT|WARNING/.test(l)).slice(0, 20);
  return { name: 'haproxy', url, cores: 1, pids: () => processGroup(child.pid), problems, stop: () => stopChild(child) };
}

