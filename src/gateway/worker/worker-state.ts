/**
 * What a worker's request handlers share: the routing generation, the backend pools, telemetry,
 * the in-flight set and whether the worker drains. The worker has one for its listeners; the
 * warm-up (warm-up.ts) makes its own, so its requests reach neither the real pools nor the
 * real metrics and request logs.
 */
import type { RequestHandler, WorkerContext } from './handle-request.js';
import type { Generation } from './generation.js';
import type { BackendPools } from '../upstream/backend-pools.js';
import type { ProxyExchange } from '../upstream/proxy-exchange.js';
import type { WorkerTelemetry } from '../telemetry/worker-telemetry.js';
import type { RequestHandler as ServerRequestHandler, ServerLimits } from '../../http1/server/server-shared.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import type { ClientResponse } from '../../http1/server/client-response.js';
import { errorFields, log } from '../../shared/log.js';

export class WorkerState implements WorkerContext {
  generation: Generation | null = null;
  draining = false;
  /** In-flight exchanges as an intrusive doubly linked list: O(1), no allocation per request. */
  private head: ProxyExchange | null = null;
  inflightCount = 0;
  private onIdle: (() => void) | null = null;

  constructor(readonly pools: BackendPools, readonly telemetry: WorkerTelemetry) {}

  exchangeStarted(exchange: ProxyExchange): void {
    exchange.next = this.head;
    if (this.head) this.head.prev = exchange;
    this.head = exchange;
    this.inflightCount++;
  }

  exchangeFinished(exchange: ProxyExchange): void {
    if (exchange.prev) exchange.prev.next = exchange.next;
    else this.head = exchange.next;
    if (exchange.next) exchange.next.prev = exchange.prev;
    exchange.prev = exchange.next = null;
    this.inflightCount--;
    if (this.inflightCount === 0 && this.onIdle) this.onIdle();
  }

  inflight(): ProxyExchange[] {
    const all: ProxyExchange[] = [];
    for (let e = this.head; e !== null; e = e.next) all.push(e);
    return all;
  }

  whenIdle(cb: () => void): void {
    if (this.inflightCount === 0) cb();
    else this.onIdle = cb;
  }
}

/**
 * A listener's two callbacks, and what they reach: its request handler and the telemetry that
 * records each ended request. The warm-up points them at its own state and telemetry, then back,
 * and its server gets these very callbacks: TurboFan inlines the function a call site saw and
 * deoptimizes when another arrives, so with a closure per server the first real requests after a
 * warm-up deoptimized the request path's top functions (`wrong call target`) and recompiled them
 * under load. One per listener: they differ only in the X-Forwarded-Proto their handler reports.
 */
export class ListenerCallbacks {
  constructor(public handler: RequestHandler, public telemetry: WorkerTelemetry) {}

  /** The server's request callback. */
  readonly handle: ServerRequestHandler = (res, req) => {
    try {
      this.handler.handle(res, req);
    } catch (err) {
      // A bug must cost one request, never the worker: answer 500 if nothing was written yet.
      log('error', 'request handler failed', errorFields(err));
      if (!res.started) res.writeStatus('500 Internal Server Error').writeHeader('Content-Type', 'application/json').end('{"statusCode":500,"message":"Internal server error"}', true);
      else res.close();
    }
  };

  /** The server's requestEnded callback (set while metrics or request logs are on). */
  readonly ended = (res: ClientResponse): void => this.telemetry.requestEnded(res);
}

/** The HTTP server's limits from a generation's settings. */
export function serverLimits(settings: GatewaySettings): Partial<ServerLimits> {
  return {
    maxHeaderBytes: settings.maxHeaderBytes, maxHeaderCount: settings.maxHeaderCount,
    headTimeoutMs: settings.requestHeadTimeoutMs, keepAliveTimeoutMs: settings.clientIdleTimeoutMs, bodyTimeoutMs: settings.requestBodyTimeoutMs,
  };
}
