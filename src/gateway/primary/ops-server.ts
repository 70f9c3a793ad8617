/**
 * The ops listener (its own port, plain node:http on the primary): liveness (503 once the
 * workers cannot stay up), readiness with detail, a few Prometheus gauges and counters, and, only
 * with fault injection on, a hook that crashes a worker for supervisor tests. A port it cannot
 * bind is a coded error (listen-error.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenError } from './listen-error.js';

export interface ReadinessReport {
  ready: boolean;
  [detail: string]: unknown;
}

export interface OpsSource {
  /** `live: false` once the workers cannot stay up (crash loop): the process is about to exit. */
  liveness(): { live: boolean; reason?: string };
  readiness(): ReadinessReport;
  metrics(): string;
  crashWorker(index: number): boolean;
}

export async function startOpsServer(port: number, source: OpsSource, faultInjection: boolean): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url === '/health/live') {
      const { live, reason } = source.liveness();
      return live ? json(200, { status: 'live' }) : json(503, { status: 'not-live', errorCode: 'OUTPOST_ERR_WORKER_CRASH_LOOP', reason });
    }
    if (req.method === 'GET' && url === '/health/ready') {
      const report = source.readiness();
      return json(report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not-ready', ...report });
    }
    if (req.method === 'GET' && url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(source.metrics());
    }
    const crash = /^\/debug\/workers\/(\d+)\/crash$/.exec(url);
    if (faultInjection && req.method === 'POST' && crash) {
      return source.crashWorker(Number(crash[1])) ? json(202, { crashing: Number(crash[1]) }) : json(409, { error: 'no such accepting worker' });
    }
    json(404, { statusCode: 404, message: 'Resource not found' });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, 'ops', port)));
    server.listen(port, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
