/**
 * The dashboard's routes under /dashboard. Logging in checks the admin token with the same
 * constant-time check as the management API, then sets a session cookie; every other page needs
 * a valid session and redirects to the login page without one.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../../shared/log.js';
import { clientAddress, type AuthThrottle } from '../auth-throttle.js';
import { readText, sendError, sendJson } from '../http-util.js';
import { isSameOrigin } from './same-origin.js';
import type { NodeRegistry } from '../nodes.js';
import type { Store } from '../store.js';
import type { AnalyticsStore } from '../analytics-store.js';
import { runAnalyticsQuery } from '../analytics-query.js';
import { analyticsView } from './analytics-section.js';
import { DEFAULT_IMAGE, envConf, publicBaseUrl } from './deploy.js';
import { html, page, redirect, sendAsset, sendHtml } from './html.js';
import { gatewayPage, loginPage, overviewPage } from './pages.js';
import { clearedCookie, COOKIE_NAME, readCookie, sessionCookie, Sessions } from './sessions.js';

/** A login form is one short field; anything bigger is not a login. */
const MAX_LOGIN_BODY = 4096;

export interface DashboardOptions {
  isAdmin: (authorization: string | undefined) => boolean;
  /** Failed logins count against the client address, as failed admin tokens do. */
  throttle: AuthThrottle;
  /** OUTPOST_PUBLIC_URL: the endpoint written into env.conf instead of the Host the browser used. */
  publicUrl?: string;
  /** OUTPOST_GATEWAY_IMAGE: the image named in the docker command. */
  image?: string;
}

export class Dashboard {
  private readonly sessions = new Sessions();
  private readonly secure: boolean;

  constructor(private readonly store: Store, private readonly nodes: NodeRegistry, private readonly analytics: AnalyticsStore, private readonly opts: DashboardOptions) {
    this.secure = opts.publicUrl?.startsWith('https:') ?? false;
  }

  /** Returns false when the path is not the dashboard's. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams = new URLSearchParams()): Promise<boolean> {
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path.startsWith('/dashboard/assets/')) {
      if (!sendAsset(res, path.slice('/dashboard/assets/'.length))) this.notFound(res);
      return true;
    }
    // Every state-changing request (login, logout) must come from the dashboard's own pages.
    if (method !== 'GET' && method !== 'HEAD' && !isSameOrigin(req, this.opts.publicUrl)) {
      log('warn', 'dashboard request refused: cross-site', { path, origin: req.headers.origin?.slice(0, 200), remoteAddress: req.socket.remoteAddress });
      sendError(res, 'OUTPOST_ERR_CROSS_SITE_REQUEST');
      return true;
    }
    if (path === '/dashboard/login') {
      if (method === 'GET') sendHtml(res, 200, loginPage());
      else if (method === 'POST') await this.login(req, res);
      else res.writeHead(405, { allow: 'GET, POST' }).end();
      return true;
    }
    const session = readCookie(req.headers.cookie, COOKIE_NAME);
    if (path === '/dashboard/logout' && method === 'POST') {
      this.sessions.destroy(session);
      redirect(res, '/dashboard/login', { 'set-cookie': clearedCookie(this.secure) });
      return true;
    }
    if (!this.sessions.valid(session)) { redirect(res, '/dashboard/login'); return true; }
    if (method !== 'GET') { res.writeHead(405, { allow: 'GET' }).end(); return true; }
    if (path === '/dashboard' || path === '/dashboard/') { sendHtml(res, 200, overviewPage(this.store, this.nodes, this.analytics)); return true; }
    const m = /^\/dashboard\/gateways\/([^/]+)(\/env\.conf|\/analytics\.json)?$/.exec(path);
    let gatewayId: string | undefined;
    try { gatewayId = m ? decodeURIComponent(m[1]) : undefined; } catch { gatewayId = undefined; }
    if (gatewayId === undefined) { this.notFound(res); return true; }
    if (m![2] === '/env.conf') { this.envFile(req, res, gatewayId); return true; }
    const view = analyticsView(query);
    if (m![2] === '/analytics.json') {
      // The page's charts: the admin API's /analytics answer, always narrowed to this gateway.
      if (!this.store.get('gateways', gatewayId)) { sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No gateway "${gatewayId}"`); return true; }
      sendJson(res, 200, runAnalyticsQuery(this.analytics, { gatewayId, minutes: view.minutes, ...(view.apiId !== undefined ? { apiId: view.apiId } : {}) }));
      return true;
    }
    const body = gatewayPage(this.store, this.nodes, gatewayId, this.opts.image ?? DEFAULT_IMAGE, view);
    if (body) sendHtml(res, 200, body); else this.notFound(res);
    return true;
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = clientAddress(req.socket);
    const allowed = this.opts.throttle.check(address);
    if (!allowed.ok) {
      sendHtml(res, 429, loginPage('Too many failed attempts from this address: try again later.'), { 'retry-after': String(allowed.retryAfterSeconds), 'x-outpost-error': 'OUTPOST_ERR_AUTH_THROTTLED' });
      return;
    }
    // Over the limit (declared or chunked): 413 and the connection closed, by the server's handler.
    const token = new URLSearchParams(await readText(req, MAX_LOGIN_BODY)).get('token') ?? '';
    if (!this.opts.isAdmin(`Bearer ${token}`)) {
      this.opts.throttle.failure(address);
      log('warn', 'dashboard login refused', { remoteAddress: req.socket.remoteAddress });
      sendHtml(res, 401, loginPage('That is not the admin token.'));
      return;
    }
    this.opts.throttle.success(address);
    const { id, maxAgeSeconds } = this.sessions.create();
    log('info', 'dashboard login', { remoteAddress: req.socket.remoteAddress });
    redirect(res, '/dashboard', { 'set-cookie': sessionCookie(id, maxAgeSeconds, this.secure) });
  }

  /** A fresh primary-key token on every download: nothing to store, and old files simply expire. */
  private envFile(req: IncomingMessage, res: ServerResponse, gatewayId: string): void {
    const gw = this.store.get('gateways', gatewayId);
    if (!gw) return this.notFound(res);
    const baseUrl = publicBaseUrl(req, this.opts.publicUrl);
    if (!baseUrl) { sendHtml(res, 400, page('Bad request', html`<p>Cannot tell the control plane's address from the Host header; set OUTPOST_PUBLIC_URL.</p>`, { loggedIn: true })); return; }
    const { text, expiresAt } = envConf(gatewayId, gw.doc.primaryKey as string, baseUrl);
    log('info', 'gateway token issued', { gatewayId, keyType: 'primary', expiresAt: expiresAt.toISOString(), via: 'dashboard' });
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': 'attachment; filename="env.conf"',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(text);
  }

  private notFound(res: ServerResponse): void {
    sendHtml(res, 404, page('Not found', html`<h1>Not found</h1><p><a href="/dashboard">Back to the gateways</a></p>`, { loggedIn: true }));
  }
}
