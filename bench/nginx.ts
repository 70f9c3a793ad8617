/**
 * nginx as the reference reverse proxy: one worker, keep-alive to the backend, no access log, so
 * it does the same job as the gateway on the same core. Everything it writes (pid, logs, temp
 * files) goes to the bench's temp dir, so it never touches a system nginx setup.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnPinned, stopChild, waitForHttp, processGroup } from './proc.js';
import { ITEM_PATH, PROXY_PREFIX, type Layout, type Target } from './targets.js';

function findNginx(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' }).trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/** nginx on PATH, installing it with apt if needed; null (with the reason on stderr) if that fails. */
export function ensureNginx(): string | null {
  const found = findNginx();
  if (found) return found;
  process.stderr.write('nginx not found; installing it with apt-get (nginx-light, else nginx)...\n');
  const apt = (args: string[], timeout: number) => execFileSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'], timeout, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  try {
    apt(['update', '-q'], 180_000);
    for (const pkg of ['nginx-light', 'nginx']) {
      try {
        apt(['install', '-y', '-q', '--no-install-recommends', pkg], 300_000);
        break;
      } catch (err) {
        process.stderr.write(`apt-get install ${pkg} failed: ${(err as Error).message}\n`);
      }
    }
  } catch (err) {
    process.stderr.write(`apt-get update failed: ${(err as Error).message}\n`);
  }
  return findNginx();
}

export function nginxVersion(bin: string): string {
  // nginx prints its version on stderr.
  const { stdout, stderr } = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return (stderr || stdout || 'unknown').trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function nginxConf(dir: string, port: number, backendPort: number): string {
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The default (1000 requests) would make autocannon and nginx reconnect all the time, which
  # neither the gateway nor the direct run does; compare like with like.
  keepalive_requests 1000000;
  upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location ${PROXY_PREFIX}/ {
      proxy_pass http://backend/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

export async function startNginx(bin: string, layout: Layout, backendPort: number): Promise<Target> {
  const dir = join(layout.tmpDir, 'nginx');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, nginxConf(dir, port, backendPort));
  // -e: the error log before the config is read (the default /var/log path may not be writable).
  const child = spawnPinned(layout.proxyCore, bin, ['-p', dir, '-c', confFile, '-e', join(dir, 'error.log')]);
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  try {
    await waitForHttp(url, (r) => r.status === 200, 15_000);
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${(err as Error).message}\n${child.tail}`);
  }
  const problems = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8').split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l)).slice(0, 20);
    } catch { return []; }
  };
  return { name: 'nginx', url, pids: () => processGroup(child.pid), problems, stop: () => stopChild(child) };
}
