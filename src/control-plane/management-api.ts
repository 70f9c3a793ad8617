/**
 * The management REST API (admin bearer token). Resources use the gateway config's field names:
 *   GET /{kind}                 list            kind: apis, products, subscriptions, named-values, policy-fragments, backends, gateways
 *   GET|PUT|DELETE /{kind}/{id} one resource    (named values are keyed by their name)
 *   POST /subscriptions/{id}/regenerate-primary-key | regenerate-secondary-key
 *   POST /gateways/{id}/regenerate-key { keyType }     POST /gateways/{id}/token { keyType, expiry }
 *   GET /gateways/{id}/nodes    GET /gateways/{id}/apis    PUT|DELETE /gateways/{id}/apis/{apiId}
 *   PUT /apis/{id}/openapi[?path=&serviceUrl=]   body: an OpenAPI 3 document, JSON or YAML
 * Every response carries the resource's revision; `GET /` gives the global one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { log } from '../shared/log.js';
import { MAX_TOKEN_LIFETIME_MS, signGatewayToken } from './gateway-token.js';
import type { ViewCache } from './gateway-view.js';
import { readJson, readText, sendError, sendJson } from './http-util.js';
import { importOpenApi } from './openapi-import.js';
import type { NodeRegistry } from './nodes.js';
import { checkChange, KIND_URL, newKey, prepareDoc, present, kindOfUrl } from './resources.js';
import type { Doc, Kind, Store } from './store.js';

const keyTypeSchema = z.object({ keyType: z.enum(['primary', 'secondary']) });
const tokenRequestSchema = z.object({
  keyType: z.enum(['primary', 'secondary']),
  expiry: z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2027-01-31T12:00:00Z' }),
}).strict();

export class ManagementApi {
  constructor(private readonly store: Store, private readonly views: ViewCache, private readonly nodes: NodeRegistry) {}

  async handle(req: IncomingMessage, res: ServerResponse, segments: string[], query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (segments.length === 0 && method === 'GET') return sendJson(res, 200, { revision: this.store.revision() });
    const kind = kindOfUrl(segments[0]);
    if (kind === undefined) return sendError(res, 'OUTPOST_ERR_ROUTE_NOT_FOUND');
    const [, id, sub, subId] = segments;
    if (segments.length === 1 && method === 'GET') return sendJson(res, 200, this.store.list(kind).map((s) => this.show(kind, s)));
    if (segments.length === 2) {
      if (method === 'GET') return this.getOne(res, kind, id);
      if (method === 'PUT') return this.put(res, kind, id, await readJson(req));
      if (method === 'DELETE') return this.remove(res, kind, id);
    }
    if (kind === 'apis' && segments.length === 3 && method === 'PUT' && sub === 'openapi') {
      const imported = importOpenApi(id, await readText(req), this.store.get('apis', id)?.doc, {
        path: query.get('path') ?? undefined, serviceUrl: query.get('serviceUrl') ?? undefined,
      });
      if (!imported.ok) return reject(res, 400, [{ path: '', message: imported.message }]);
      return this.put(res, kind, id, imported.doc);
    }
    if (kind === 'subscriptions' && segments.length === 3 && method === 'POST' && (sub === 'regenerate-primary-key' || sub === 'regenerate-secondary-key')) {
      return this.regenerateSubscriptionKey(res, id, sub === 'regenerate-primary-key' ? 'primaryKey' : 'secondaryKey');
    }
    if (kind === 'gateways' && segments.length >= 3) {
      const gw = this.store.get('gateways', id);
      if (!gw) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No gateway "${id}"`);
      if (segments.length === 3 && method === 'POST' && sub === 'token') return this.token(res, id, gw.doc, await readJson(req));
      if (segments.length === 3 && method === 'POST' && sub === 'regenerate-key') return this.regenerateGatewayKey(res, id, gw.doc, await readJson(req));
      if (segments.length === 3 && method === 'GET' && sub === 'nodes') return sendJson(res, 200, this.nodes.list(id));
      if (segments.length === 3 && method === 'GET' && sub === 'apis') return sendJson(res, 200, this.store.assignedApis(id));
      if (segments.length === 4 && sub === 'apis' && (method === 'PUT' || method === 'DELETE')) return this.assignment(res, id, subId, method);
    }
    sendError(res, 'OUTPOST_ERR_ROUTE_NOT_FOUND');
  }

  private show(kind: Kind, stored: { id: string; doc: Doc; revision: number; updatedAt: string }, detail = false): Doc {
    const out = present(kind, stored);
    if (kind === 'gateways') {
      out.connectedNodes = this.nodes.connectedCount(stored.id);
      out.assignedApis = this.store.assignedApis(stored.id);
      if (detail) { out.nodes = this.nodes.list(stored.id); out.configStatus = this.nodes.configStatus(stored.id); }
    }
    return out;
  }

  private getOne(res: ServerResponse, kind: Kind, id: string): void {
    const stored = this.store.get(kind, id);
    if (!stored) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No ${KIND_URL[kind]} resource "${id}"`);
    sendJson(res, 200, this.show(kind, stored, true));
  }

  private put(res: ServerResponse, kind: Kind, id: string, body: unknown): void {
    const existing = this.store.get(kind, id);
    const prepared = prepareDoc(kind, id, body, existing?.doc);
    if (!('doc' in prepared)) return reject(res, prepared.status, prepared.problems);
    const rejection = checkChange(this.store, kind, id, prepared.doc);
    if (rejection) return reject(res, rejection.status, rejection.problems);
    const { created, revision } = this.store.put(kind, id, prepared.doc);
    log('info', created ? 'resource created' : 'resource updated', { kind: KIND_URL[kind], id, revision, globalRevision: this.store.revision() });
    const out = this.show(kind, this.store.get(kind, id)!);
    // A gateway's keys are shown once, when it is created (then only by the regenerate endpoint).
    if (kind === 'gateways' && created) { out.primaryKey = prepared.doc.primaryKey; out.secondaryKey = prepared.doc.secondaryKey; }
    sendJson(res, created ? 201 : 200, out);
  }

  private remove(res: ServerResponse, kind: Kind, id: string): void {
    if (!this.store.get(kind, id)) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No ${KIND_URL[kind]} resource "${id}"`);
    const rejection = checkChange(this.store, kind, id, null);
    if (rejection) return reject(res, rejection.status, rejection.problems);
    this.store.delete(kind, id);
    if (kind === 'gateways') { this.nodes.forget(id); this.views.forget(id); }
    log('info', 'resource deleted', { kind: KIND_URL[kind], id, globalRevision: this.store.revision() });
    res.writeHead(204).end();
  }

  private regenerateSubscriptionKey(res: ServerResponse, id: string, field: 'primaryKey' | 'secondaryKey'): void {
    const stored = this.store.get('subscriptions', id);
    if (!stored) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No subscription "${id}"`);
    const { [`${field}Hash`]: _replaced, ...doc } = stored.doc;
    this.store.put('subscriptions', id, { ...doc, [field]: newKey() });
    log('info', 'subscription key regenerated', { id, key: field });
    sendJson(res, 200, this.show('subscriptions', this.store.get('subscriptions', id)!));
  }

  /** A new key kills every token it signed; tokens of the other key keep working. */
  private regenerateGatewayKey(res: ServerResponse, id: string, doc: Doc, body: unknown): void {
    const parsed = keyTypeSchema.safeParse(body);
    if (!parsed.success) return reject(res, 400, parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const field = parsed.data.keyType === 'primary' ? 'primaryKey' : 'secondaryKey';
    const key = newKey();
    this.store.put('gateways', id, { ...doc, [field]: key });
    log('info', 'gateway key regenerated', { gatewayId: id, keyType: parsed.data.keyType });
    sendJson(res, 200, { ...this.show('gateways', this.store.get('gateways', id)!), [field]: key });
  }

  private token(res: ServerResponse, id: string, doc: Doc, body: unknown): void {
    const parsed = tokenRequestSchema.safeParse(body);
    if (!parsed.success) return reject(res, 400, parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const expiresAt = new Date(parsed.data.expiry);
    const now = Date.now();
    // The token format has minutes only: floor first, so the check covers the real expiry.
    expiresAt.setUTCSeconds(0, 0);
    if (expiresAt.getTime() <= now) return reject(res, 400, [{ path: 'expiry', message: 'must be in the future (at minute precision)' }]);
    if (expiresAt.getTime() > now + MAX_TOKEN_LIFETIME_MS) return reject(res, 400, [{ path: 'expiry', message: 'must be at most 30 days ahead' }]);
    const key = doc[parsed.data.keyType === 'primary' ? 'primaryKey' : 'secondaryKey'] as string;
    log('info', 'gateway token issued', { gatewayId: id, keyType: parsed.data.keyType, expiresAt: expiresAt.toISOString() });
    sendJson(res, 200, { value: signGatewayToken(id, expiresAt, key), expiresAt: expiresAt.toISOString() });
  }

  private assignment(res: ServerResponse, gatewayId: string, apiId: string, method: 'PUT' | 'DELETE'): void {
    if (method === 'PUT') {
      if (!this.store.get('apis', apiId)) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `No API "${apiId}"`);
      const added = this.store.assign(gatewayId, apiId);
      if (added) log('info', 'API assigned to gateway', { gatewayId, apiId, globalRevision: this.store.revision() });
      return sendJson(res, added ? 201 : 200, { gatewayId, apiId, revision: this.store.revision() });
    }
    if (!this.store.unassign(gatewayId, apiId)) return sendError(res, 'OUTPOST_ERR_RESOURCE_NOT_FOUND', `API "${apiId}" is not assigned to gateway "${gatewayId}"`);
    log('info', 'API unassigned from gateway', { gatewayId, apiId, globalRevision: this.store.revision() });
    res.writeHead(204).end();
  }
}

function reject(res: ServerResponse, status: 400 | 409, problems: unknown[]): void {
  sendError(res, status === 400 ? 'OUTPOST_ERR_RESOURCE_INVALID' : 'OUTPOST_ERR_RESOURCE_CONFLICT', undefined, { problems });
}
