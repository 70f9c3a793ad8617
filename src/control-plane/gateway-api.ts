/**
 * The endpoints a gateway calls, authenticated by its GatewayKey token:
 *   GET  /gateway/config[?wait=N]   its view, with ETag / If-None-Match → 304, and a long poll
 *   POST /gateway/heartbeat         node id, hostname, version, config revision, uptime → 204
 *   POST /gateway/config-status     a config the node accepted or rejected → 204
 * A refused token is 401 `{ statusCode, message }` with the reason's code in `x-outpost-error`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ErrorCode } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { verifyGatewayToken, type TokenFailure } from './gateway-token.js';
import { etagMatches, type ViewCache } from './gateway-view.js';
import { readJson, sendError } from './http-util.js';
import type { NodeRegistry } from './nodes.js';
import type { Store } from './store.js';

const FAILURE_CODES: Record<TokenFailure, ErrorCode> = {
  'missing': 'OUTPOST_ERR_GATEWAY_TOKEN_MISSING',
  'malformed': 'OUTPOST_ERR_GATEWAY_TOKEN_MALFORMED',
  'unknown-gateway': 'OUTPOST_ERR_GATEWAY_TOKEN_UNKNOWN_GATEWAY',
  'expired': 'OUTPOST_ERR_GATEWAY_TOKEN_EXPIRED',
  'bad-signature': 'OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE',
};

export const MAX_WAIT_SECONDS = 60;
/** Long polls held at once; past this a poll is answered at once and the gateway polls again later. */
const MAX_WAITERS = 10_000;

const heartbeatSchema = z.object({
  nodeId: z.string().min(1).max(200),
  hostname: z.string().max(255),
  version: z.string().max(100),
  configRevision: z.number().int().min(0),
  uptimeSeconds: z.number().min(0),
  tokenExpiresAt: z.string().max(100).optional(),
});

const configStatusSchema = z.object({
  nodeId: z.string().min(1).max(200),
  revision: z.number().int().min(0),
  ok: z.boolean(),
  problems: z.array(z.unknown()).max(1000).optional(),
  /** Whether the node could write its config backup (disk full, read-only directory...). */
  backup: z.object({ ok: z.boolean(), error: z.string().max(100).optional(), cause: z.string().max(100).optional() }).optional(),
});

interface Waiter { gatewayId: string; authorization: string | undefined; etag: string; res: ServerResponse; timer: NodeJS.Timeout }

export class GatewayApi {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly store: Store, private readonly views: ViewCache, private readonly nodes: NodeRegistry) {
    store.changes.on('change', () => this.wake());
  }

  /** Returns false when the path is not one of the gateway endpoints. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const route = `${req.method} ${path}`;
    if (route !== 'GET /gateway/config' && route !== 'POST /gateway/heartbeat' && route !== 'POST /gateway/config-status') return false;
    const gatewayId = this.authenticate(req.headers.authorization, res);
    if (gatewayId === undefined) return true;
    if (route === 'GET /gateway/config') this.config(req, res, gatewayId, query);
    else if (route === 'POST /gateway/heartbeat') {
      const beat = heartbeatSchema.safeParse(await readJson(req));
      if (!beat.success) return badBody(res, beat.error);
      this.nodes.heartbeat(gatewayId, beat.data);
      res.writeHead(204).end();
    } else {
      const report = configStatusSchema.safeParse(await readJson(req));
      if (!report.success) return badBody(res, report.error);
      this.nodes.report(gatewayId, { ...report.data, reportedAt: new Date().toISOString() });
      if (!report.data.ok) log('warn', 'a gateway node rejected its config', { gatewayId, nodeId: report.data.nodeId, revision: report.data.revision, problems: report.data.problems });
      if (report.data.backup?.ok === false) log('warn', 'a gateway node could not back up its config', { gatewayId, nodeId: report.data.nodeId, revision: report.data.revision, backup: report.data.backup });
      res.writeHead(204).end();
    }
    return true;
  }

  /** Answers every held long poll (used at shutdown). */
  releaseAll(): void {
    for (const w of [...this.waiters]) this.finish(w, () => this.notModified(w.res, w.etag));
  }

  private authenticate(authorization: string | undefined, res: ServerResponse): string | undefined {
    const check = this.verify(authorization);
    if (check.ok) return check.gatewayId;
    sendError(res, FAILURE_CODES[check.reason], check.message);
    return undefined;
  }

  private verify(authorization: string | undefined): { ok: true; gatewayId: string } | { ok: false; reason: TokenFailure; message: string } {
    const check = verifyGatewayToken(authorization, (id) => {
      const gw = this.store.get('gateways', id);
      return gw && [gw.doc.primaryKey as string, gw.doc.secondaryKey as string];
    });
    return check.ok ? { ok: true, gatewayId: check.token.gatewayId } : check;
  }

  private config(req: IncomingMessage, res: ServerResponse, gatewayId: string, query: URLSearchParams): void {
    const view = this.views.view(gatewayId);
    if (!etagMatches(req.headers['if-none-match'], view.etag)) return this.send(res, view.body, view.etag);
    const wait = Math.min(MAX_WAIT_SECONDS, Math.max(0, Number(query.get('wait')) || 0));
    if (wait === 0 || this.waiters.size >= MAX_WAITERS) return this.notModified(res, view.etag);
    const waiter: Waiter = {
      gatewayId, authorization: req.headers.authorization, etag: view.etag, res,
      timer: setTimeout(() => this.finish(waiter, () => this.notModified(res, view.etag)), wait * 1000),
    };
    this.waiters.add(waiter);
    res.once('close', () => this.finish(waiter, () => {}));
  }

  /** After a write: answer every long poll whose view changed, or whose token no longer holds. */
  private wake(): void {
    for (const w of [...this.waiters]) {
      const check = this.verify(w.authorization);
      if (!check.ok) { this.finish(w, () => sendError(w.res, FAILURE_CODES[check.reason], check.message)); continue; }
      const view = this.views.view(w.gatewayId);
      if (view.etag !== w.etag) this.finish(w, () => this.send(w.res, view.body, view.etag));
    }
  }

  private finish(w: Waiter, respond: () => void): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    if (!w.res.writableEnded && !w.res.destroyed) respond();
  }

  private send(res: ServerResponse, body: string, etag: string): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), etag, 'cache-control': 'no-cache' });
    res.end(body);
  }

  private notModified(res: ServerResponse, etag: string): void {
    res.writeHead(304, { etag, 'cache-control': 'no-cache' }).end();
  }
}

function badBody(res: ServerResponse, error: z.ZodError): true {
  sendError(res, 'OUTPOST_ERR_RESOURCE_INVALID', undefined, { problems: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
  return true;
}
