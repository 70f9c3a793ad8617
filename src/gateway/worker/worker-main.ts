/**
 * Entry point of a request worker thread: one uWS app on the shared port (SO_REUSEPORT), the
 * current routing generation, the in-flight set, and the drain sequence uWS needs to exit safely:
 * stop accepting, finish or cut off what is in flight, `app.close()`, then let the thread end.
 * (Ending a thread while its uWS app holds sockets aborts the whole process.)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { loadUws, closeApp, type TemplatedApp, type us_listen_socket } from './uws-native.js';
import { RequestHandler, type WorkerContext } from './handle-request.js';
import { buildGeneration, type Generation } from './generation.js';
import { BackendPools } from '../upstream/backend-pools.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { ProxyExchange } from '../upstream/proxy-exchange.js';
import type { PrimaryToWorker, WorkerInit, WorkerToPrimary } from '../../shared/protocol.js';
import { errorFields, log, setLogContext } from '../../shared/log.js';

const init = workerData as WorkerInit;
setLogContext({ worker: init.index });
const port = parentPort!;
const uws = loadUws();
const pools = new BackendPools();
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
let listenSocket: us_listen_socket | null = null;
let closed = false;

function applyTable(generation: number, buffer: SharedArrayBuffer): void {
  const started = performance.now();
  state.generation = buildGeneration(generation, buffer, pools, services);
  send({ type: 'table-applied', generation, buildMs: performance.now() - started });
}

applyTable(init.table.generation, init.table.buffer);
const handler = new RequestHandler(state, 'http');
const app: TemplatedApp = uws.App().any('/*', (res, req) => {
  try {
    handler.handle(res, req);
  } catch (err) {
    // A bug must cost one request, never the worker: answer 500 if nothing was written yet.
    log('error', 'request handler failed', errorFields(err));
    try { res.cork(() => res.writeStatus('500 Internal Server Error').end('{"statusCode":500,"message":"Internal server error"}', true)); } catch { /* already answered */ }
  }
});

app.listen(init.port, (socket) => {
  if (!socket) { send({ type: 'listen-failed', port: init.port }); closeAndExit(1); return; }
  listenSocket = socket;
  send({ type: 'listening', port: uws.us_socket_local_port(socket as never) });
});

function stopAccepting(): void {
  if (listenSocket) { uws.us_listen_socket_close(listenSocket); listenSocket = null; }
}

function closeAndExit(code: number): void {
  if (closed) return;
  closed = true;
  stopAccepting();
  closeApp(app);
  void pools.destroyAll().finally(() => {
    process.exitCode = code;
    port.close();
  });
}

function drain(graceMs: number): void {
  if (state.draining) return;
  state.draining = true;
  stopAccepting();
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
