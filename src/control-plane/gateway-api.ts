/**
 * The endpoints a gateway calls, authenticated by its GatewayKey token:
 *   GET  /gateway/config[?wait=N]   its view, with ETag / If-None-Match → 304, and a long poll
 *   POST /gateway/heartbeat         node id, hostname, version, config revision, uptime → 204
 *   POST /gateway/config-status     a config the node accepted or rejected → 204
 *   POST /gateway/telemetry         per-minute telemetry rows, msgpack (telemetry-intake.ts) → 204
 * A refused token is 401 `{ statusCode, message }` with the reason's code in `x-outpost-error`.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ErrorCode } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { verifyGatewayToken, type TokenFailure } from './gateway-token.js';
import { etagMatches, type ViewCache } from './gateway-view.js';
import { BodyTooLarge, declaredLength, readJson, sendError, sendThrottled } from './http-util.js';
import { clientAddress, type AuthThrottle } from './auth-throttle.js';
import { configStatusSchema, MAX_REPORT_BYTES } from '../shared/config-status-report.js';
import { MAX_NODES, type NodeRegistry } from './nodes.js';
import type { Store } from './store.js';
import type { TelemetryIntake } from './telemetry-intake.js';

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
/** Long polls held at once for one gateway: two per node it may have, so one token cannot take them all. */
const MAX_WAITERS_PER_GATEWAY = 2 * MAX_NODES;

/** Request bodies per endpoint: a heartbeat is a few hundred bytes; a config GET has none. */
const MAX_HEARTBEAT_BYTES = 4096;
const MAX_CONFIG_GET_BODY_BYTES = 1024;
/** How much of a rejected config's report goes into the control plane's own log line. */
const LOGGED_PROBLEMS = 10;
const LOGGED_MESSAGE_CHARS = 200;

const heartbeatSchema = z.object({
  nodeId: z.string().min(1).max(200),
  hostname: z.string().max(255),
  version: z.string().max(100),
  configRevision: z.number().int().min(0),
  uptimeSeconds: z.number().min(0),
  tokenExpiresAt: z.string().max(100).optional(),
});

interface Waiter { gatewayId: string; authorization: string | undefined; etag: string; res: ServerResponse; timer: NodeJS.Timeout }

export class GatewayApi {
  private readonly waiters = new Set<Waiter>();
  /** Held long polls per gateway id. */
  private readonly waitersOf = new Map<string, number>();
  /** Told of every config report taken in (for /metrics). */
  onReport: (ok: boolean) => void = () => {};

  constructor(private readonly store: Store, private readonly views: ViewCache, private readonly nodes: NodeRegistry, private readonly throttle: AuthThrottle, private readonly telemetry: TelemetryIntake) {
    store.changes.on('change', () => this.wake());
  }

  /** Returns false when the path is not one of the gateway endpoints. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const route = `${req.method} ${path}`;
    if (route !== 'GET /gateway/config' && route !== 'POST /gateway/heartbeat' && route !== 'POST /gateway/config-status' && route !== 'POST /gateway/telemetry') return false;
    const gatewayId = this.authenticate(req, res);
    if (gatewayId === undefined) return true;
    if (route === 'POST /gateway/telemetry') {
      await this.telemetry.handle(req, res, gatewayId, (nodeId) => {
        if (this.nodes.admit(gatewayId, nodeId)) return true;
        this.nodeLimit(res, gatewayId, nodeId);
        return false;
      });
      return true;
    }
    if (route === 'GET /gateway/config') {
      // No body is expected: a declared or chunked one is refused rather than read.
      if (declaredLength(req) > MAX_CONFIG_GET_BODY_BYTES || req.headers['transfer-encoding'] !== undefined) throw new BodyTooLarge(MAX_CONFIG_GET_BODY_BYTES);
      this.config(req, res, gatewayId, query);
    } else if (route === 'POST /gateway/heartbeat') {
      const beat = heartbeatSchema.safeParse(await readJson(req, MAX_HEARTBEAT_BYTES));
      if (!beat.success) return badBody(res, beat.error);
      if (!this.nodes.heartbeat(gatewayId, beat.data)) return this.nodeLimit(res, gatewayId, beat.data.nodeId);
      res.writeHead(204).end();
    } else {
      const report = configStatusSchema.safeParse(await readJson(req, MAX_REPORT_BYTES));
      if (!report.success) return badBody(res, report.error);
      if (!this.nodes.report(gatewayId, { ...report.data, reportedAt: new Date().toISOString() })) return this.nodeLimit(res, gatewayId, report.data.nodeId);
      this.onReport(report.data.ok);
      if (!report.data.ok) {
        const problems = report.data.problems ?? [];
        log('warn', 'a gateway node rejected its config', {
          gatewayId, nodeId: report.data.nodeId, revision: report.data.revision,
          problemCount: report.data.problemCount ?? problems.length,
          problems: problems.slice(0, LOGGED_PROBLEMS).map((p) => ({ path: p.path.slice(0, LOGGED_MESSAGE_CHARS), message: p.message.slice(0, LOGGED_MESSAGE_CHARS) })),
        });
      }
      if (report.data.backup?.ok === false) log('warn', 'a gateway node could not back up its config', { gatewayId, nodeId: report.data.nodeId, revision: report.data.revision, backup: report.data.backup });
      res.writeHead(204).end();
    }
    return true;
  }

  /** 429: silent nodes are pruned after three missed heartbeats, so that is when to retry. */
  private nodeLimit(res: ServerResponse, gatewayId: string, nodeId: string): true {
    log('warn', 'a gateway node was refused: too many nodes', { gatewayId, nodeId: nodeId.slice(0, 64), errorCode: 'OUTPOST_ERR_GATEWAY_NODE_LIMIT' });
    sendError(res, 'OUTPOST_ERR_GATEWAY_NODE_LIMIT', undefined, {}, { 'retry-after': String(Math.ceil((3 * this.nodes.intervalMs) / 1000)) });
    return true;
  }

  /** Long polls held now (for /metrics). */
  get heldPolls(): number {
    return this.waiters.size;
  }

  /** Answers every held long poll (used at shutdown). */
  releaseAll(): void {
    for (const w of [...this.waiters]) this.finish(w, () => this.notModified(w.res, w.etag));
  }

  /** A bad signature is a guess at a gateway key: it counts against the address (auth-throttle.ts). */
  private authenticate(req: IncomingMessage, res: ServerResponse): string | undefined {
    const address = clientAddress(req.socket);
    const allowed = this.throttle.check(address);
    if (!allowed.ok) { sendThrottled(res, allowed.retryAfterSeconds); return undefined; }
    const check = this.verify(req.headers.authorization);
    if (check.ok) return check.gatewayId;
    if (check.reason === 'bad-signature') this.throttle.failure(address);
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
    if (wait === 0 || this.waiters.size >= MAX_WAITERS || (this.waitersOf.get(gatewayId) ?? 0) >= MAX_WAITERS_PER_GATEWAY) return this.notModified(res, view.etag);
    const waiter: Waiter = {
      gatewayId, authorization: req.headers.authorization, etag: view.etag, res,
      timer: setTimeout(() => this.finish(waiter, () => this.notModified(res, view.etag)), wait * 1000),
    };
    this.waiters.add(waiter);
    this.waitersOf.set(gatewayId, (this.waitersOf.get(gatewayId) ?? 0) + 1);
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
    const held = (this.waitersOf.get(w.gatewayId) ?? 1) - 1;
    if (held === 0) this.waitersOf.delete(w.gatewayId); else this.waitersOf.set(w.gatewayId, held);
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
