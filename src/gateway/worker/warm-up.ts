/**
 * A worker's warm-up (gateway.warmupRequests): before it listens, the worker sends requests
 * through its own request path, so V8 has optimized that code before the first client arrives.
 * Started cold under load, a worker runs its first thousands of requests in V8's interpreter and
 * baseline code and falls behind: at half of nginx's max rate the bench saw p99 258–291 ms over the
 * first 10 s after a start (bench/HISTORY.md), where a warmed start had ~40 ms.
 *
 * Everything here is its own: a server on 127.0.0.1 at an ephemeral port with the same handler
 * code, a generation built from the warm-up table (one API, the gateway's settings, no policies),
 * backend pools that reach only the worker's loopback backend, and telemetry whose metrics and
 * request logs are dropped. So no request leaves the worker, no real backend sees one, and
 * nothing of it shows in /metrics or the request log.
 */
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Http1Server } from '../../http1/server/http1-server.js';
import { BackendPools } from '../upstream/backend-pools.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';
import type { GatewaySettings } from '../../shared/config-schema.js';
import type { WarmUpInit } from '../../shared/protocol.js';
import type { WorkerServices } from '../pipeline/worker-services.js';
import { WorkerTelemetry } from '../telemetry/worker-telemetry.js';
import { buildGeneration } from './generation.js';
import { WorkerState, serverLimits, type ListenerCallbacks } from './worker-state.js';
import { RequestHandler } from './handle-request.js';
import { driveWarmUp, startWarmUpBackend } from './warm-up-traffic.js';
import { forgetDateLine } from '../../http1/server/date-header.js';
import { forgetClockReadings } from '../telemetry/request-log.js';

/** Keep-alive connections the warm-up sends over: enough that reads come in batches, as under load. */
const CONNECTIONS = 16;
/**
 * The warm-up's request-log batch (its lines are dropped): small, so that batches are sealed
 * because the next line might not fit, as busy traffic seals the worker's 1 MiB ones, and not only
 * by the 100 ms timer. The warm-up's ~10,000 lines a second never filled 1 MiB in 100 ms, so the
 * size check's call had no type feedback, and the first batch real traffic filled (~3,500 lines
 * in 100 ms) deoptimized the end-of-request telemetry that inlines it, under that traffic.
 */
export const WARM_UP_LOG_BATCH_BYTES = 16 * 1024;

/**
 * How often the warm-up makes the once-a-second caches of the request path (the Date header line,
 * the request log's wall-clock offset and time prefix) expire. A warm-up takes about a second: it
 * could end before those branches ran with V8 keeping type feedback, and the first real request a
 * second later then deoptimized the functions that inline them (dateLine; the end-of-request
 * telemetry) under traffic. Expired every 10 ms, they run ~100 times a warm-up, from the request
 * path's own call sites.
 */
const EXPIRE_SECOND_CACHES_MS = 10;

/** The warm-up never holds a worker's start longer than this (plus the answers in flight). */
export const WARM_UP_LIMIT_MS = 10_000;

/** Every origin, whatever the table says, is the worker's own loopback backend. */
class LoopbackPools extends BackendPools {
  constructor(private readonly backend: string) { super(); }
  override get(_origin: string, settings: GatewaySettings['upstream']): UpstreamPool {
    return super.get(this.backend, settings);
  }
}

export interface WarmUpResult {
  /** Requests answered 200. */
  answered: number;
  ms: number;
  /** Why it stopped before `requests` (an unexpected answer, the time limit, a drain); null: it did not. */
  stoppedBecause: string | null;
}

function listenLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as { port: number }).port));
  });
}

/**
 * The share of the warm-up's requests sent in its second round, through objects made afresh.
 *
 * Why two rounds: what a worker does once per object (a generation's first record lookups, a
 * telemetry slot's first request, a request log's first line, a path parser's arrays growing)
 * the first round did only at its start, before V8 kept type feedback for that code or optimized
 * it. The optimized code then knew nothing of those paths, and the first real requests, on the
 * real generation, telemetry and state, deoptimized about a dozen functions of the request path at once
 * (`--trace-deopt`), which ran unoptimized and recompiled on the worker's core while requests
 * queued. A second round on fresh objects takes those deoptimizations inside the warm-up, and
 * its requests get the code optimized again with the full picture.
 */
export const SECOND_ROUND_SHARE = 1 / 3;

/** Splits `requests` into the two rounds (the second may be 0 for a tiny warm-up). */
export function warmUpRounds(requests: number): [number, number] {
  const second = Math.floor(requests * SECOND_ROUND_SHARE);
  return [requests - second, second];
}

/**
 * Runs the warm-up; never rejects (a failed warm-up is reported, and the worker starts anyway).
 * Its server calls the plain listener's own callbacks, pointed at the warm-up's state while it runs.
 */
export async function warmUp(worker: number, plan: WarmUpInit, services: WorkerServices, callbacks: ListenerCallbacks, stopped: () => boolean): Promise<WarmUpResult> {
  const started = performance.now();
  const deadline = Date.now() + WARM_UP_LIMIT_MS;
  let answered = 0;
  for (const requests of warmUpRounds(plan.requests)) {
    if (requests === 0) continue;
    const round = await warmUpRound(worker, plan.table, requests, deadline, services, callbacks, stopped);
    answered += round.answered;
    if (round.stoppedBecause !== null) return { answered, ms: performance.now() - started, stoppedBecause: round.stoppedBecause };
  }
  return { answered, ms: performance.now() - started, stoppedBecause: null };
}

/** One round: its own backend, pools, state, generation, telemetry and server, gone when it ends. */
async function warmUpRound(worker: number, table: SharedArrayBuffer, requests: number, deadline: number, services: WorkerServices, callbacks: ListenerCallbacks, stopped: () => boolean): Promise<Omit<WarmUpResult, 'ms'>> {
  const telemetry = new WorkerTelemetry(worker, () => true, undefined, WARM_UP_LOG_BATCH_BYTES);
  let backend: Server | null = null;
  let pools: LoopbackPools | null = null;
  let server: Http1Server | null = null;
  let state: WorkerState | null = null;
  let expiry: NodeJS.Timeout | null = null;
  const own = { handler: callbacks.handler, telemetry: callbacks.telemetry };
  try {
    const loopback = await startWarmUpBackend();
    backend = loopback.server;
    pools = new LoopbackPools(`http://127.0.0.1:${loopback.port}`);
    state = new WorkerState(pools, telemetry);
    state.generation = buildGeneration(0, table, pools, { ...services, metrics: telemetry.customMetrics });
    const settings = state.generation.settings;
    callbacks.handler = new RequestHandler(state, 'http');
    callbacks.telemetry = telemetry;
    server = new Http1Server(callbacks.handle, serverLimits(settings));
    server.requestEnded = telemetry.configure(settings) ? callbacks.ended : null;
    const port = await listenLoopback(server.server);
    expiry = setInterval(() => { forgetDateLine(); forgetClockReadings(); }, EXPIRE_SECOND_CACHES_MS);
    return await driveWarmUp({ port, requests, connections: CONNECTIONS, deadline, stopped });
  } catch (err) {
    return { answered: 0, stoppedBecause: (err as Error).message };
  } finally {
    if (expiry !== null) clearInterval(expiry);
    // Back to the worker's own handler and telemetry only once no warm-up request can end any more:
    // a connection's close (and a response it cuts short) is reported a tick after destroy().
    server?.close();
    await settled(server, state);
    callbacks.handler = own.handler;
    callbacks.telemetry = own.telemetry;
    backend?.close();
    await pools?.destroyAll();
    telemetry.stop();
  }
}

/** How long the warm-up waits for its last connections and exchanges to end. */
const SETTLE_LIMIT_MS = 2_000;

/** Resolves once `server` has no connection and `state` no exchange left, or after SETTLE_LIMIT_MS. */
async function settled(server: Http1Server | null, state: WorkerState | null): Promise<void> {
  const until = Date.now() + SETTLE_LIMIT_MS;
  while (((server?.connectionCount ?? 0) > 0 || (state?.inflightCount ?? 0) > 0) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 5));
  }
}
