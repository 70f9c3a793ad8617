/**
 * Entry point of a request worker thread: Outpost's HTTP/1.1 server (src/http1/server) on the
 * shared port, the current routing generation, the in-flight set, and the drain sequence:
 * keep listening and answer new requests 503 with `Connection: close`, close idle connections,
 * let in-flight requests finish (or cut them off at the grace period), then end the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { RequestHandler, type WorkerContext } from './handle-request.js';
import { buildGeneration, type Generation } from './generation.js';
import { BackendPools } from '../upstream/backend-pools.js';
import { BreakerRegistry } from '../backends/backend-directory.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { ProxyExchange } from '../upstream/proxy-exchange.js';
import type { PrimaryToWorker, WorkerInit, WorkerToPrimary } from '../../shared/protocol.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { errorFields, log, setLogContext } from '../../shared/log.js';
import { Http1Server } from '../../http1/server/http1-server.js';
import type { ServerLimits } from '../../http1/server/server-shared.js';
import { listenShared } from './listen-shared.js';

const init = workerData as WorkerInit;
setLogContext({ worker: init.index });
const port = parentPort!;
const pools = new BackendPools();
/** Circuit breakers of backend entities: per worker, kept across generations while the backend and its rule stay. */
const breakers = new BreakerRegistry();
const services: WorkerServices = { counters: new SharedCounters(init.counters), gauges: new SharedGauges(init.gauges, init.index), now: Date.now };

class WorkerState implements WorkerContext {
  generation: Generation | null = null;
  readonly pools = pools;
  draining = false;
  /** In-flight exchanges as an intrusive doubly linked list: O(1), no allocation per request. */
  private head: ProxyExchange | null = null;
  inflightCount = 0;
  private onIdle: (() => void) | null = null;

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

const state = new WorkerState();
const send = (msg: WorkerToPrimary) => port.postMessage(msg);
let closed = false;

function limitsOf(settings: GatewaySettings): Partial<ServerLimits> {
  return {
    maxHeaderBytes: settings.maxHeaderBytes, maxHeaderCount: settings.maxHeaderCount,
    headTimeoutMs: settings.requestHeadTimeoutMs, keepAliveTimeoutMs: settings.clientIdleTimeoutMs, bodyTimeoutMs: settings.requestBodyTimeoutMs,
  };
}

const handler = new RequestHandler(state, 'http');
const server = new Http1Server((res, req) => {
  try {
    handler.handle(res, req);
  } catch (err) {
    // A bug must cost one request, never the worker: answer 500 if nothing was written yet.
    log('error', 'request handler failed', errorFields(err));
    if (!res.started) res.writeStatus('500 Internal Server Error').writeHeader('Content-Type', 'application/json').end('{"statusCode":500,"message":"Internal server error"}', true);
    else res.close();
  }
});

function applyTable(generation: number, buffer: SharedArrayBuffer): void {
  const started = performance.now();
  state.generation = buildGeneration(generation, buffer, pools, services, breakers);
  server.setLimits(limitsOf(state.generation.settings));
  send({ type: 'table-applied', generation, buildMs: performance.now() - started });
}

applyTable(init.table.generation, init.table.buffer);

listenShared(server.server, init.port, init.index).then((mode) => {
  if (mode === 'single') log('warn', 'SO_REUSEPORT is unavailable (Node < 22.12 and the native addon was not built): only worker 0 accepts connections', { port: init.port });
  send({ type: 'listening', port: init.port });
}, (err: Error) => {
  log('error', 'worker could not listen', { port: init.port, ...errorFields(err) });
  send({ type: 'listen-failed', port: init.port });
  closeAndExit(1);
});

function closeAndExit(code: number): void {
  if (closed) return;
  closed = true;
  server.close();
  void pools.destroyAll().finally(() => {
    process.exitCode = code;
    port.close();
  });
}

function drain(graceMs: number): void {
  if (state.draining) return;
  state.draining = true;
  server.drain();
  let cutOff = 0;
  const timer = setTimeout(() => {
    cutOff = state.inflightCount;
    for (const ex of state.inflight()) ex.fail('OUTPOST_ERR_SHUTTING_DOWN', new Error('drain grace period over'));
  }, graceMs);
  state.whenIdle(() => {
    clearTimeout(timer);
    send({ type: 'drained', cutOff });
    closeAndExit(0);
  });
}

port.on('message', (msg: PrimaryToWorker) => {
  if (msg.type === 'table') applyTable(msg.generation, msg.buffer);
  else if (msg.type === 'drain') drain(msg.graceMs);
  else if (msg.type === 'crash' && init.faultInjection) setImmediate(() => { throw new Error('fault injection: worker crash requested'); });
});

process.on('uncaughtException', (err) => {
  log('error', 'worker crashed; closing its sockets so the primary can replace it', errorFields(err));
  for (const ex of state.inflight()) ex.fail('OUTPOST_ERR_INTERNAL', err);
  closeAndExit(70);
});
