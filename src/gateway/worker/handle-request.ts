/**
 * The request path of a worker, in order: read the head, refuse what is malformed, answer the
 * health probe, match the route in the shared table, then proxy. The server (src/http1/server)
 * has already refused every head that is not strict HTTP/1.1. Everything before dispatch is
 * synchronous, so the scratch objects below are safely reused across requests.
 */
import type { TLSSocket } from 'node:tls';
import type { UpstreamRequest } from '../upstream/upstream-types.js';
import type { ClientResponse } from '../../http1/server/client-response.js';
import type { ParsedRequest } from '../../http1/request-parser.js';
import { RequestHead } from './request-head.js';
import { forwardingHeaders } from './forwarding-headers.js';
import { newParsedPath, parseRequestPath, PATH_OK, PATH_BAD_ENCODING, PATH_TRAVERSAL } from '../router/request-path.js';
import { newRouteMatch } from '../router/shared-table.js';
import { METHOD_CODES, METHOD_GET, METHOD_HEAD, METHOD_OTHER } from '../../shared/table-layout.js';
import { writeError, writeJson } from './respond.js';
import { ProxyExchange, type ExchangeOwner } from '../upstream/proxy-exchange.js';
import { collectBody, StreamingBody, BUFFERED_BODY_LIMIT } from './request-body.js';
import type { Generation } from './generation.js';
import { backendTarget, forwardPathOf } from './backend-target.js';
import { startPolicyRequest } from './policy-request.js';
import { RequestContext } from '../pipeline/context.js';
import type { BackendPools } from '../upstream/backend-pools.js';
import type { CompiledOperation, CompiledSubscription } from '../../shared/compiled-meta.js';
import { queryValue, takeQueryParam } from '../../shared/query-string.js';
import { bindCaptures } from '../../shared/url-template.js';
import { probeRefusal } from '../../shared/probe-state.js';
import type { WorkerTelemetry } from '../telemetry/worker-telemetry.js';
import { correlationId } from '../telemetry/correlation-id.js';

/** Module-local on purpose: TurboFan folds a module's own const and inlines the call; an import is not folded (chars.ts). */
const charCodeAt = String.prototype.charCodeAt;
const indexOf = String.prototype.indexOf;
const lastIndexOf = String.prototype.lastIndexOf;
const slice = String.prototype.slice;
const toLowerCase = String.prototype.toLowerCase;

export const HEALTH_PATHS = new Set(['/status-0123456789abcdef', '/internal-status-0123456789abcdef']);

export interface WorkerContext extends ExchangeOwner {
  readonly generation: Generation | null;
  readonly pools: BackendPools;
  readonly telemetry: WorkerTelemetry;
  exchangeStarted(exchange: ProxyExchange): void;
}

export class RequestHandler {
  private readonly head = new RequestHead();
  private readonly path = newParsedPath();
  private readonly match = newRouteMatch();
  /**
   * The last Host header and its name without port, lower-cased: most requests carry the Host
   * the one before did (one site, keep-alive clients), and a string compare is cheaper than the
   * slice and lower-casing that make two strings per request.
   */
  private lastHost = '';
  private lastHostName = '';

  constructor(private readonly ctx: WorkerContext, private readonly forwardedProto: string) {}

  /**
   * `{param}` values of the match, decoded, by name (only built for operations with policies):
   * path segments, then the template's query parameters (present: the match checked them).
   */
  private params(op: CompiledOperation, query: string): Record<string, string> {
    const out: Record<string, string> = {};
    bindCaptures(op.captures, this.path.segments, this.match.captures, this.match.captureCount, out);
    for (const q of op.queryParams) out[q.param] = queryValue(query, q.query) ?? '';
    return out;
  }

  /**
   * A method, not a closure per instance: the listener's callback calls it on the warm-up's
   * handler, then on the worker's own, and a call site that saw one function would deoptimize on
   * the other (worker-state.ts, ListenerCallbacks).
   */
  handle(res: ClientResponse, req: ParsedRequest): void {
    const gen = this.ctx.generation;
    const head = this.head;
    head.read(req);
    // Request-log facts (strings that exist anyway) and the correlation id, before any answer.
    res.method = head.method;
    res.path = head.url;
    res.query = head.query;
    res.requestId = correlationId(head.requestId);
    if (gen === null) return writeError(res, 'OUTPOST_ERR_NOT_READY', false);
    const draining = this.ctx.draining;
    // The server refuses heads over the limit it started with; a reload may have lowered it since.
    if (head.headerBytes > gen.settings.maxHeaderBytes) return writeError(res, 'OUTPOST_ERR_HEADERS_TOO_LARGE', true);
    // Length check first: the probe paths are 24 and 33 characters, most requests are neither.
    if ((head.url.length === 24 || head.url.length === 33) && HEALTH_PATHS.has(head.url)) {
      res.logged = false; // probes every few seconds: counted (api=""), never a request-log line
      const refusal = probeRefusal(); // the primary's readiness: no config, workers down, draining
      if (refusal !== null) return writeError(res, refusal, refusal === 'OUTPOST_ERR_SHUTTING_DOWN');
      return draining
        ? writeError(res, 'OUTPOST_ERR_SHUTTING_DOWN', true)
        : writeJson(res, 200, `{"status":"healthy","generation":${gen.number}}`, false);
    }
    const parsed = parseRequestPath(head.url, this.path);
    if (parsed !== PATH_OK) {
      if (parsed === PATH_BAD_ENCODING) return writeError(res, 'OUTPOST_ERR_BAD_PATH_ENCODING', true);
      if (parsed === PATH_TRAVERSAL) return writeError(res, 'OUTPOST_ERR_PATH_TRAVERSAL', true);
      return writeError(res, 'OUTPOST_ERR_ROUTE_NOT_FOUND', draining);
    }
    const host = head.host;
    if (host !== this.lastHost) {
      this.lastHostName = hostWithoutPort(host);
      this.lastHost = host;
    }
    const hostOnly = this.lastHostName;
    const methodCode = methodCodeOf(head.method);
    if (!gen.table.match(hostOnly, methodCode, this.path.segments, this.path.hashes, this.match)) {
      return writeError(res, 'OUTPOST_ERR_ROUTE_NOT_FOUND', draining);
    }
    // APIM: a template's query parameters are required; without them no operation matches.
    const templateQuery = gen.table.templateQueryCount(this.match.op) === 0 ? null : gen.table.operation(this.match.op).queryParams;
    if (templateQuery !== null && !templateQuery.every((q) => queryValue(head.query, q.query) !== null)) {
      return writeError(res, 'OUTPOST_ERR_ROUTE_NOT_FOUND', draining);
    }

    const api = gen.apis.get(this.match.api);
    res.series = this.ctx.telemetry.seriesFor(gen, this.match.op);
    res.logged = api.meta.requestLog;
    const maxBody = gen.settings.maxBodyBytes;
    if (maxBody > 0 && head.contentLength > maxBody) {
      res.query = withoutKey(head.query, api.meta.keyQuery); // refused before the key check: still never logged
      return writeError(res, 'OUTPOST_ERR_BODY_TOO_LARGE', true);
    }
    let query = head.query;
    let productId = '';
    let subscription: CompiledSubscription | null = null;
    if (api.gated) {
      const gate = gen.subscriptions.check(api.meta, head.headers, query, Date.now());
      query = gate.query;
      res.query = query; // the key never reaches a log
      if (!gate.result.ok) return writeError(res, gate.result.code, draining);
      subscription = gate.result.subscription;
      if (subscription !== null) {
        res.subscriptionId = subscription.id;
        if (subscription.scope === 'product') productId = res.productId = subscription.target!;
      }
    }
    const clientIp = res.remoteAddress;
    const headers = head.headers;
    headers.push('x-request-id', res.requestId);
    headers.push('host', api.preserveHost && head.host !== '' ? head.host : api.backendHost);
    forwardingHeaders(headers, head, clientIp, this.forwardedProto, gen.trustedProxy(clientIp));

    const path = forwardPathOf(head.url, this.path, api.suffixSegments);
    const chains = gen.chains.get(this.match.op);
    if (chains !== null) {
      const chain = chains.get(productId) ?? chains.get('')!;
      const operation = gen.table.operation(this.match.op);
      const ctx = new RequestContext(head.method, path, query,
        headers, clientIp, api.meta.id, operation.id, this.params(operation, head.query), res.startedAt);
      if (templateQuery !== null) ctx.templateQueryNames = templateQuery.map((q) => q.query);
      if (subscription !== null) ctx.subscription = { id: subscription.id, productId: productId || null };
      // References, not copies: context.Api and context.Operation read them only when an expression asks.
      ctx.apiMeta = api.meta;
      ctx.operationMeta = operation;
      ctx.correlationId = res.requestId;
      const socket = res.peerSocket();
      if ((socket as TLSSocket).encrypted === true) ctx.clientTls = socket as TLSSocket;
      return startPolicyRequest(this.ctx, res, gen, api, chain, ctx, head.contentLength, head.chunked);
    }

    const exchange = new ProxyExchange(res, this.ctx, head.method === 'HEAD');
    res.onAborted(exchange);
    this.ctx.exchangeStarted(exchange);
    const opts: UpstreamRequest = {
      path: backendTarget(api.basePath, path, query),
      method: head.method,
      headers,
      body: null,
    };
    const pool = api.pool;
    if (head.chunked || head.contentLength > BUFFERED_BODY_LIMIT) {
      const body = new StreamingBody(res, maxBody, () => exchange.fail('OUTPOST_ERR_BODY_TOO_LARGE', new Error('request body too large')));
      exchange.body = body;
      opts.body = body;
      exchange.dispatchTo(pool, opts);
    } else if (head.contentLength > 0) {
      collectBody(res, head.contentLength, (body) => {
        if (exchange.aborted) return;
        opts.body = body;
        exchange.dispatchTo(pool, opts);
      }, () => exchange.fail('OUTPOST_ERR_BAD_REQUEST_FRAMING', new Error('body longer than Content-Length')));
    } else {
      exchange.dispatchTo(pool, opts);
    }
  }
}

function withoutKey(query: string, name: string): string {
  return takeQueryParam(query, name)?.rest ?? query;
}

/** A switch on the method string: cheaper than a keyed lookup on a per-request string. */
function methodCodeOf(method: string): number {
  switch (method) {
    case 'GET': return METHOD_GET;
    case 'POST': return METHOD_CODES.POST;
    case 'HEAD': return METHOD_HEAD;
    case 'PUT': return METHOD_CODES.PUT;
    case 'DELETE': return METHOD_CODES.DELETE;
    case 'PATCH': return METHOD_CODES.PATCH;
    case 'OPTIONS': return METHOD_CODES.OPTIONS;
    case 'TRACE': return METHOD_CODES.TRACE;
    default: return METHOD_OTHER;
  }
}

function hostWithoutPort(host: string): string {
  if (host === '') return host;
  let end = host.length;
  if (charCodeAt.call(host, 0) === 91 /* [ */) end = indexOf.call(host, ']') + 1 || end;
  else {
    const colon = lastIndexOf.call(host, ':');
    if (colon >= 0) end = colon;
  }
  const name = slice.call(host, 0, end);
  const lower = toLowerCase.call(name);
  return lower === name ? name : lower;
}
