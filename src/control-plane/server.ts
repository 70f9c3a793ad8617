/**
 * The control-plane HTTP server: gateway endpoints (GatewayKey auth) under /gateway/, the
 * dashboard (session cookie) under /dashboard, everything else is the management API (admin bearer token).
 */
import { Buffer } from 'node:buffer';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorFields, log } from '../shared/log.js';
import { adminTokenChecker } from './admin-auth.js';
import { Dashboard } from './dashboard/routes.js';
import { GatewayApi } from './gateway-api.js';
import { ViewCache } from './gateway-view.js';
import { BadRequest, BodyTooLarge, sendBodyTooLarge, sendError, sendJson, sendThrottled } from './http-util.js';
import { AuthThrottle, clientAddress } from './auth-throttle.js';
import { ControlPlaneMetrics, routeClassOf } from './cp-metrics.js';
import { ManagementApi } from './management-api.js';
import { NodeRegistry } from './nodes.js';
import { Store } from './store.js';
import { AnalyticsStore, DEFAULT_RETENTION_DAYS } from './analytics-store.js';
import { parseAnalyticsQuery, runAnalyticsQuery } from './analytics-query.js';
import { TelemetryIntake } from './telemetry-intake.js';

export interface ControlPlaneOptions {
  port: number;
  host: string;
  dataDir: string;
  adminToken: string;
  heartbeatIntervalMs: number;
  /** Analytics rows older than this are purged (hourly, and at start). */
  analyticsRetentionDays?: number;
}

/** How often analytics rows past the retention are deleted. */
const PURGE_INTERVAL_MS = 3600_000;

export interface ControlPlane {
  port: number;
  store: Store;
  close(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const store = new Store(opts.dataDir);
  const views = new ViewCache(store);
  const nodes = new NodeRegistry(opts.heartbeatIntervalMs);
  const throttle = new AuthThrottle();
  const analytics = new AnalyticsStore(opts.dataDir, opts.analyticsRetentionDays ?? DEFAULT_RETENTION_DAYS);
  const purge = () => {
    try {
      const deleted = analytics.purge();
      if (deleted > 0) log('info', 'analytics purged', { deleted, retentionDays: analytics.retentionDays });
    } catch (err) { log('error', 'analytics purge failed', errorFields(err)); }
  };
  purge();
  const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
  purgeTimer.unref();
  const intake = new TelemetryIntake(analytics);
  const gatewayApi = new GatewayApi(store, views, nodes, throttle, intake);
  const management = new ManagementApi(store, views, nodes);
  const isAdmin = adminTokenChecker(opts.adminToken);
  const dashboard = new Dashboard(store, nodes, analytics, { isAdmin, throttle, publicUrl: process.env.OUTPOST_PUBLIC_URL || undefined, image: process.env.OUTPOST_GATEWAY_IMAGE || undefined });

  const metrics = new ControlPlaneMetrics(store, nodes, throttle);
  gatewayApi.onReport = (ok) => { metrics.reports[ok ? 'accepted' : 'rejected']++; };
  metrics.heldPolls = () => gatewayApi.heldPolls;
  intake.onUpload = (rows) => { metrics.telemetry.uploads++; metrics.telemetry.rows += rows; };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control-plane');
    const routeClass = routeClassOf(url.pathname);
    res.once('finish', () => metrics.request(routeClass, res.statusCode));
    const handle = async () => {
      // Outside admin auth: for probes and scrapers. Neither says anything about what is stored.
      if (req.method === 'GET' && routeClass === 'health') return health(res, store);
      if (req.method === 'GET' && routeClass === 'metrics') return sendText(res, metrics.render());
      if (await gatewayApi.handle(req, res, url.pathname, url.searchParams)) return;
      if (await dashboard.handle(req, res, url.pathname, url.searchParams)) return;
      // Only a request that carries a credential is a guess: it is throttled and counted.
      const address = clientAddress(req.socket);
      const presented = req.headers.authorization !== undefined;
      if (presented) {
        const allowed = throttle.check(address);
        if (!allowed.ok) return sendThrottled(res, allowed.retryAfterSeconds);
      }
      if (!isAdmin(req.headers.authorization)) {
        if (presented) throttle.failure(address);
        return sendError(res, 'OUTPOST_ERR_ADMIN_UNAUTHORIZED');
      }
      throttle.success(address);
      let segments: string[];
      try {
        segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
      } catch {
        return sendError(res, 'OUTPOST_ERR_BAD_PATH_ENCODING');
      }
      if (segments.length === 1 && segments[0] === 'analytics' && req.method === 'GET') {
        const q = parseAnalyticsQuery(url.searchParams);
        if (!q.ok) return sendError(res, 'OUTPOST_ERR_ANALYTICS_QUERY_INVALID', `${q.path}: ${q.message}`, { problems: [{ path: q.path, message: q.message }] });
        return sendJson(res, 200, runAnalyticsQuery(analytics, q.query));
      }
      await management.handle(req, res, segments, url.searchParams);
    };
    handle().catch((err: unknown) => {
      if (err instanceof BodyTooLarge) return sendBodyTooLarge(req, res, err.limit);
      if (err instanceof BadRequest) return sendError(res, 'OUTPOST_ERR_RESOURCE_INVALID', err.message, { problems: [{ path: '', message: err.message }] });
      log('error', 'request failed', { method: req.method, path: url.pathname, ...errorFields(err) });
      if (!res.headersSent) sendError(res, 'OUTPOST_ERR_INTERNAL');
      else res.destroy();
    });
  });
  // Long polls last up to 60 s; node's defaults (300 s request timeout) already allow that.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    store,
    close: async () => {
      gatewayApi.releaseAll();
      // Gateways keep keep-alive connections busy with heartbeats, so waiting for them to go idle
      // can take seconds: answered long polls get a moment to flush, then every connection closes.
      const flushed = setTimeout(() => server.closeAllConnections(), 200);
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeIdleConnections(); });
      clearTimeout(flushed);
      clearInterval(purgeTimer);
      store.close();
      analytics.close();
    },
  };
}

/** 200 once the store answers a query (it is open before the server listens, so from the start). */
function health(res: ServerResponse, store: Store): void {
  try {
    store.revision();
  } catch {
    return sendJson(res, 503, { status: 'unavailable' });
  }
  sendJson(res, 200, { status: 'ok' });
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
