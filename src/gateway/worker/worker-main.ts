/**
 * Entry point of a request worker thread: Outpost's HTTP/1.1 server (src/http1/server) on the
 * shared port, the current routing generation, the in-flight set, and the drain sequence:
 * keep listening and answer new requests 503 with `Connection: close`, close idle connections,
 * let in-flight requests finish (or cut them off at the grace period), then end the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ListenerCallbacks, WorkerState, serverLimits } from './worker-state.js';
import { RequestHandler } from './handle-request.js';
import { buildGeneration } from './generation.js';
import { BackendPools } from '../upstream/backend-pools.js';
import { BreakerRegistry } from '../backends/backend-directory.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { createRedisLink } from '../redis/create-redis-link.js';
import { RedisStatsRow } from '../redis/redis-stats.js';
import type { HttpsMaterial, PrimaryToWorker, WorkerInit, WorkerToPrimary } from '../../shared/protocol.js';
import { errorFields, log, setLogContext } from '../../shared/log.js';
import { Http1Server } from '../../http1/server/http1-server.js';
import { listenShared } from './listen-shared.js';
import { warmUp } from './warm-up.js';
import { HttpsListener } from './https-listener.js';
import { REPORT_PART_SERIES, WorkerTelemetry } from '../telemetry/worker-telemetry.js';

/** Workers send their telemetry deltas this often. */
const TELEMETRY_REPORT_MS = 1_000;
import { cacheStoresOf } from '../cache/cache-stores.js';
import { policyPoolsOf } from '../upstream/policy-pools.js';
import { pinWorkerThread } from './pin-worker.js';
import { nativeAddon } from '../native.js';
import { warmJose } from '../../shared/lazy-jose.js';
import { invalidateDetachProtector } from '../../shared/detach-protector.js';

// Before any code is optimized: otherwise the first transferred buffer deoptimizes the request
// path under load (detach-protector.ts).
invalidateDetachProtector();
const init = workerData as WorkerInit;
setLogContext({ worker: init.index });
// First: the thread then runs on its CPU from its first request on (and Linux places the memory
// it touches first on that CPU's NUMA node).
if (init.cpu !== null) pinWorkerThread(init.cpu);
// One epoll call each time the loop sleeps, not two: with libuv's idle-time metrics on (Node's
// default) it polls with a zero timeout first, an empty system call about once a request at a
// paced rate. Nothing in a worker reads its loop's idle time (native/src/loop_idle_metrics.c).
nativeAddon()?.stopLoopIdleMetrics();
// Node's immediate check opens a callback scope in every iteration, ~1,366 instructions, twice a
// request at a paced rate; it now runs when an immediate can be pending (native/src/check_immediate_gate.c).
nativeAddon()?.gateCheckImmediate();
const port = parentPort!;
const pools = new BackendPools();
const redisStats = new RedisStatsRow(init.redisStats, init.index);
/** Circuit breakers of backend entities: per worker, kept across generations while the backend and its rule stay. */
const breakers = new BreakerRegistry();
const services: WorkerServices = {
  counters: new SharedCounters(init.counters), gauges: new SharedGauges(init.gauges, init.index), now: Date.now,
  // One connection per worker, opened now and kept for the thread's life (gateway.redis is restart-only).
  redis: init.redis ? createRedisLink(init.redis, redisStats, 'worker') : null,
  redisStats,
};

// Request-log batches go to the primary, the only writer of stdout, with their buffers transferred
// (each batch owns its ArrayBuffer: request-log.ts); the primary bounds and counts what it drops.
const telemetry = new WorkerTelemetry(init.index, (chunk, lines) => {
  port.postMessage({ type: 'request-log', bytes: chunk, lines } satisfies WorkerToPrimary, [chunk.buffer as ArrayBuffer]);
  return true;
});
services.metrics = telemetry.customMetrics;

const state = new WorkerState(pools, telemetry);
const send = (msg: WorkerToPrimary) => port.postMessage(msg);
function postTelemetry(payload: Uint8Array): void {
  // msgpackr packs into a buffer it reuses: copy the bytes into one of their own, then transfer it.
  const own = new Uint8Array(payload);
  port.postMessage({ type: 'telemetry', payload: own } satisfies WorkerToPrimary, [own.buffer as ArrayBuffer]);
}
/** A second's report leaves a part per loop turn (WorkerTelemetry.reportPart): while one is under way, the timer waits for it. */
let reporting = false;
function sendReportPart(): void {
  if (closed) return; // closeAndExit sent the rest
  const part = telemetry.reportPart(REPORT_PART_SERIES);
  postTelemetry(part.payload);
  if (part.last) reporting = false;
  else setImmediate(sendReportPart);
}
function startReport(): void {
  if (reporting) return;
  reporting = true;
  sendReportPart();
}
const telemetryTimer = setInterval(startReport, TELEMETRY_REPORT_MS);
telemetryTimer.unref();
let closed = false;

const http = new ListenerCallbacks(new RequestHandler(state, 'http'), telemetry);
const server = new Http1Server(http.handle);
/** Every server of the worker, with its callbacks. */
const listeners: Array<{ server: Http1Server; callbacks: ListenerCallbacks }> = [{ server, callbacks: http }];
/** Whether servers call requestEnded: while metrics or request logs are on. */
let hooked = false;

/** The current generation's limits and telemetry hook on one server: at each table, and on a server made after one. */
function configure({ server: s, callbacks }: { server: Http1Server; callbacks: ListenerCallbacks }): void {
  s.setLimits(serverLimits(state.generation!.settings));
  s.requestEnded = hooked ? callbacks.ended : null;
}

function applyTable(generation: number, buffer: SharedArrayBuffer): void {
  const started = performance.now();
  state.generation = buildGeneration(generation, buffer, pools, services, breakers);
  // In the background: the first request with a JWT policy must not wait ~80 ms for jose.
  void warmJose(state.generation.table.meta.policies)?.catch(() => undefined);
  hooked = telemetry.configure(state.generation.settings);
  for (const l of listeners) configure(l);
  cacheStoresOf(services).configure(state.generation.settings.cache);
  policyPoolsOf(services).configure(state.generation.settings.upstream);
  send({ type: 'table-applied', generation, buildMs: performance.now() - started });
}

applyTable(init.table.generation, init.table.buffer);
// The HTTPS listener (gateway.tls) feeds the same server code; certificates come from the primary.
// Made after the first table: its handshake timeout is the head timeout the worker starts with.
let https: HttpsListener | null = null;
if (init.https !== null) {
  const callbacks = new ListenerCallbacks(new RequestHandler(state, 'https'), telemetry);
  https = new HttpsListener(init.https.material, callbacks.handle, serverLimits(state.generation!.settings), init.https.ticketKeys);
  const listener = { server: https.http, callbacks };
  listeners.push(listener);
  configure(listener);
}

/** Listens on the shared port(s) and tells the primary; after the warm-up, unless the worker is stopping by then. */
function listen(): void {
  if (closed || state.draining) return;
  const listening = [listenShared(server.server, init.port, init.index)];
  if (https !== null) listening.push(listenShared(https.http.server, init.https!.port, init.index));
  Promise.all(listening).then(([mode]) => {
    if (mode === 'single') log('warn', 'SO_REUSEPORT is unavailable (Node < 22.12 and the native addon was not built): only worker 0 accepts connections', { port: init.port });
    send({ type: 'listening', port: init.port, httpsPort: init.https?.port ?? null });
  }, (err: Error) => {
    log('error', 'worker could not listen', { port: init.port, httpsPort: init.https?.port, ...errorFields(err) });
    send({ type: 'listen-failed', port: init.port });
    closeAndExit(1);
  });
}

if (init.warmup === null) listen();
else {
  const requests = init.warmup.requests;
  void warmUp(init.index, init.warmup, services, http, () => closed || state.draining).then((r) => {
    const fields = { requests, answered: r.answered, ms: Math.round(r.ms) };
    if (r.stoppedBecause === null) log('info', 'worker warmed up', fields);
    else log('warn', 'worker warm-up stopped early; the worker starts all the same', { ...fields, reason: r.stoppedBecause });
    listen();
  });
}

function applyHttps(material: HttpsMaterial): void {
  try {
    https?.update(material);
  } catch (err) {
    // The primary checked these with OpenSSL already; should this still fail, the old ones stay.
    log('error', 'new HTTPS certificates refused; the running ones stay', errorFields(err));
  }
}

function closeAndExit(code: number): void {
  if (closed) return;
  closed = true;
  for (const l of listeners) l.server.close();
  // What the last second counted and logged is not lost with the thread.
  clearInterval(telemetryTimer);
  telemetry.flushLogs();
  postTelemetry(telemetry.report());
  void services.redis?.close();
  void Promise.all([pools.destroyAll(), policyPoolsOf(services).destroyAll()]).finally(() => {
    process.exitCode = code;
    port.close();
  });
}

function drain(graceMs: number): void {
  if (state.draining) return;
  state.draining = true;
  for (const l of listeners) l.server.drain();
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
  else if (msg.type === 'ping') send({ type: 'pong', seq: msg.seq });
  else if (msg.type === 'log-buffer') telemetry.reuseLogBuffer(msg.buffer);
  else if (msg.type === 'drain') drain(msg.graceMs);
  else if (msg.type === 'https-certificates') applyHttps(msg.material);
  else if (msg.type === 'crash' && init.faultInjection) setImmediate(() => { throw new Error('fault injection: worker crash requested'); });
});

process.on('uncaughtException', (err) => {
  log('error', 'worker crashed; closing its sockets so the primary can replace it', errorFields(err));
  for (const ex of state.inflight()) ex.fail('OUTPOST_ERR_INTERNAL', err);
  closeAndExit(70);
});
