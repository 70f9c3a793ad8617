/**
 * nginx in two roles, as two separate instances with their own temp dirs (never a system nginx
 * setup): the backend (`return 200` with a small fixed body, on the load core) and the reference
 * reverse proxy (one worker, upstream keep-alive, on the proxy core).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processGroup, spawnPinned, stopChild, waitForHttp, type Child } from './proc.js';
import { ITEM_PATH, PROXY_PREFIX, type Layout, type Target } from './targets.js';

/** The backend's answer: small and fixed, so every byte a proxy adds shows in bytes/response. */
export const BACKEND_BODY = JSON.stringify({ id: 123, name: 'bench item', price: 42.5, tags: ['a', 'b'], ok: true, padding: 'xxxxxxxxxx' });

/** What both instances share: one worker (unless told), no daemon, every file in `dir`, no access log. */
function common(dir: string, workers = 1): string {
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }`;
}

function httpCommon(dir: string): string {
  return `
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The default (1000 requests) would make wrk and nginx reconnect all the time, which the other
  # proxies do not; compare like with like.
  keepalive_requests 1000000;`;
}

/** Only the exact item path answers 200: a proxy that forgets to strip the prefix gets a 404. */
export function backendConf(dir: string, port: number): string {
  return `${common(dir)}
http {${httpCommon(dir)}
  server {
    listen 127.0.0.1:${port};
    location = ${ITEM_PATH} {
      default_type application/json;
      return 200 '${BACKEND_BODY}';
    }
    location / { return 404; }
  }
}
`;
}

export function proxyConf(dir: string, port: number, backendPort: number, workers = 1): string {
  return `${common(dir, workers)}
http {${httpCommon(dir)}
  upstream backend {
    server 127.0.0.1:${backendPort};
    # Idle upstream connections kept: as many as the paced runs' client connections (up to ~250),
    # as the gateway's pool keeps them. With 64, bursts of a paced run over 64 in flight opened
    # and closed backend connections per request (nginx fell to 40k req/s at 22 µs a request).
    keepalive 1024;
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

function errorLogProblems(dir: string): () => string[] {
  return () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8').split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l)).slice(0, 20);
    } catch { return []; }
  };
}

async function startInstance(bin: string, core: number | string | null, dir: string, conf: string, readyUrl: string): Promise<Child> {
  mkdirSync(dir, { recursive: true });
  const confFile = join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  // -e: the error log before the config is read (the default /var/log path may not be writable).
  const child = spawnPinned(core, bin, ['-p', dir, '-c', confFile, '-e', join(dir, 'error.log')]);
  try {
    await waitForHttp(readyUrl, (r) => r.status === 200, 15_000);
    return child;
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${(err as Error).message}\n${child.tail}`);
  }
}

export interface Backend { child: Child; port: number; url: string; pids(): number[]; problems(): string[] }

export async function startBackend(bin: string, layout: Layout): Promise<Backend> {
  const dir = join(layout.tmpDir, 'backend');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${ITEM_PATH}`;
  const child = await startInstance(bin, layout.loadCore, dir, backendConf(dir, port), url);
  return { child, port, url, pids: () => processGroup(child.pid), problems: errorLogProblems(dir) };
}

/**
 * The reference proxy: one worker on the proxy core, or (`workers` 2, the workers2 scenario's
 * reference) two workers on both cores, in the layout the two-worker gateway runs in.
 */
export async function startNginxProxy(bin: string, layout: Layout, backendPort: number, workers: 1 | 2 = 1): Promise<Target> {
  const dir = join(layout.tmpDir, `nginx-proxy-${workers}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  const core = workers === 2 ? layout.allCores : layout.proxyCore;
  const child = await startInstance(bin, core, dir, proxyConf(dir, port, backendPort, workers), url);
  return { name: 'nginx', url, cores: workers, pids: () => processGroup(child.pid), problems: errorLogProblems(dir), stop: () => stopChild(child) };
}
