/**
 * Caddy (Debian's package) as a peer: GOMAXPROCS=1 so the Go runtime schedules on one core,
 * reverse_proxy with keep-alive to the backend (idle pool as large as the client connections),
 * no admin endpoint, no automatic HTTPS, no access log. Its storage and config dirs point into the
 * temp dir so it never touches the system's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processGroup, startPeer, stopChild } from './proc.js';
import { ITEM_PATH, PROXY_PREFIX, type Layout, type Target } from './targets.js';

export function caddyfile(port: number, backendPort: number, idleConns: number): string {
  // Tab-indented, as `caddy fmt` writes it, or Caddy warns that the input is not formatted.
  return [
    '{',
    '\tadmin off',
    '\tauto_https off',
    '}',
    '',
    `http://127.0.0.1:${port} {`,
    `\t# handle_path strips the prefix: ${PROXY_PREFIX}/items/123 reaches the backend as /items/123.`,
    `\thandle_path ${PROXY_PREFIX}/* {`,
    `\t\treverse_proxy 127.0.0.1:${backendPort} {`,
    '\t\t\ttransport http {',
    '\t\t\t\tkeepalive 60s',
    `\t\t\t\tkeepalive_idle_conns ${idleConns}`,
    `\t\t\t\tkeepalive_idle_conns_per_host ${idleConns}`,
    '\t\t\t}',
    '\t\t}',
    '\t}',
    '}',
    '',
  ].join('\n');}

export async function startCaddy(bin: string, layout: Layout, backendPort: number, connections: number): Promise<Target> {
  const dir = join(layout.tmpDir, 'caddy');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const confFile = join(dir, 'Caddyfile');
  writeFileSync(confFile, caddyfile(port, backendPort, connections));
  const env = { ...process.env, GOMAXPROCS: '1', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  const child = await startPeer(layout.proxyCore, bin, ['run', '--config', confFile, '--adapter', 'caddyfile'], url, env);
  // The two warnings our own config asks for (no admin endpoint, no automatic HTTPS) are not problems.
  const expected = /admin endpoint disabled|automatic HTTPS is completely disabled/;
  const problems = () => child.tail.toString().split('\n').filter((l) => /"level":"(warn|error)"/.test(l) && !expected.test(l)).slice(0, 20);
  return { name: 'caddy', url, cores: 1, pids: () => processGroup(child.pid), problems, stop: () => stopChild(child) };
}
