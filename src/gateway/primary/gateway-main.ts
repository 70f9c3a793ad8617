/**
 * The primary thread of `outpost gateway`: take configs from a config source (a local file, or
 * a control plane with a backup: see config-source.ts), compile them off-loop, publish them to
 * the workers, supervise them, and serve the ops listener. A config that does not validate or compile is never published: the running
 * one stays and the reason is logged (one JSON line, with field paths) and shown in readiness.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { TableCompiler } from './table-compiler.js';
import { MAX_WORKERS, Supervisor, checkWorkerCount } from './supervisor.js';
import { crashLoopSettings } from './crash-loop-guard.js';
import { Readiness } from './readiness.js';
import { allocateProbeState } from '../../shared/probe-state.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import { ConfigState } from './config-state.js';
import { startOpsServer } from './ops-server.js';
import { reservePort } from './port-check.js';
import { renderMetrics } from './ops-metrics.js';
import { FileConfigSource } from './file-config-source.js';
import type { ApplyOutcome, ConfigCandidate, ConfigSource } from './config-source.js';
import { ManagedConfigSource, type ManagedOptions } from '../managed/managed-config-source.js';
import { OutpostError } from '../../shared/errors.js';
import { problemsCode, validateGatewayConfig, type ConfigProblem, type GatewayConfig } from '../../shared/config-schema.js';
import type { TablePublish } from '../../shared/protocol.js';
import { errorFields, log } from '../../shared/log.js';
import type { TelemetrySink } from '../../shared/telemetry-types.js';
import { TelemetryAggregator } from '../telemetry/aggregator.js';
import { renderTelemetry } from '../telemetry/render-metrics.js';
import { ProcessMetrics } from '../telemetry/process-metrics.js';

export interface GatewayOptions {
  /** Standalone mode: the local config file. Without it the gateway runs in managed mode. */
  configFile?: string;
  /** Managed mode: settings from the environment and this env file (endpoint, token, backup dir). */
  managed?: ManagedOptions;
  port?: number;
  opsPort?: number;
  workers?: number;
  /** Receives the per-minute telemetry rows every upload interval (managed mode: the uploader). */
  telemetrySink?: TelemetrySink;
}

export interface RunningGateway {
  port: number;
  opsPort: number;
  shutdown(reason: string): Promise<void>;
  /** Settles (never rejects) if the gateway must stop on its own: the workers cannot stay up. */
  failed: Promise<OutpostError>;
  /** Merged worker telemetry (attachSink to receive the per-minute rows). */
  telemetry: TelemetryAggregator;
}

export async function runGateway(options: GatewayOptions): Promise<RunningGateway> {
  const crashLoop = crashLoopSettings(); // a bad setting stops startup before anything runs
  const source: ConfigSource = options.configFile !== undefined
    ? new FileConfigSource(options.configFile)
    : await ManagedConfigSource.create(options.managed ?? {});
  const state = new ConfigState();
  const compiler = new TableCompiler();
  let first = await source.initial();
  const firstOrigin = first?.origin;
  // A file that does not load or compile stops startup. In managed mode the gateway starts
  // anyway, with no APIs and not ready, and waits for the control plane to send a good config.
  const fail = async (problems: ConfigProblem[]): Promise<never> => {
    await compiler.close();
    await source.close();
    // One line per problem, every problem (not only the first), each with its own code and place.
    for (const p of problems) {
      log('error', 'config problem', { errorCode: p.code ?? 'OUTPOST_ERR_CONFIG_INVALID', ...first?.origin, field: p.path, line: p.line, column: p.column, problem: p.message });
    }
    throw new OutpostError(problemsCode(problems), `${describe(first)}: ${problems.length} problem(s); the gateway did not start`);
  };
  let firstOutcome: ApplyOutcome | null = null;
  let startConfig = EMPTY_CONFIG();
  let firstTable: SharedArrayBuffer | null = null;
  if (first && !first.result.ok) {
    if (source.kind === 'file') await fail(first.result.problems);
    firstOutcome = rejectFirst(first, first.result.problems);
  } else if (first?.result.ok) {
    const compiled = await compiler.compile(first.result.config);
    if (compiled instanceof SharedArrayBuffer) {
      startConfig = first.result.config;
      firstTable = compiled;
      state.sourceHash = first.result.sourceHash;
      firstOutcome = { status: 'published', generation: 1 };
    } else {
      if (source.kind === 'file') await fail(compiled.problems);
      firstOutcome = rejectFirst(first, compiled.problems);
    }
  }
  if (firstTable === null) {
    const empty = await compiler.compile(startConfig);
    if (!(empty instanceof SharedArrayBuffer)) throw new OutpostError('OUTPOST_ERR_INTERNAL', 'the empty config did not compile');
    firstTable = empty;
  }
  let hasConfig = firstOutcome?.status === 'published';
  const settings = startConfig.gateway;
  const port = options.port ?? settings.port;
  const opsPort = options.opsPort ?? settings.opsPort;
  // 0 (flag, variable or file) means one per core, capped at 256; a flag or variable of 0 wins
  // over a count in the file (flag > env > file). Any other count must be 1..256.
  const workerCount = (options.workers ?? settings.workers) || Math.min(availableParallelism(), MAX_WORKERS);
  try {
    checkWorkerCount(workerCount);
  } catch (err) {
    await compiler.close();
    await source.close();
    throw err;
  }
  const faultInjection = process.env.OUTPOST_FAULT_INJECTION === '1';

  state.settings = startConfig.gateway;
  state.generation = 1;
  const initialTable: TablePublish = { type: 'table', generation: 1, buffer: firstTable };
  compiler.buffers.bind(firstTable, 1);

  const closeQuietly = async (err: unknown): Promise<never> => {
    // No worker has started yet; the compiler thread and the config source must not keep the process up.
    await compiler.close();
    await source.close();
    throw err;
  };
  const listenPort = await reservePort(port).catch(closeQuietly);
  // Counters live for the process, not the generation: a reload does not reset rate limits.
  const probe = allocateProbeState();
  const supervisor = new Supervisor(workerCount, faultInjection, { counters: SharedCounters.allocate(), gauges: SharedGauges.allocate(workerCount), probe }, crashLoop);
  let shuttingDown = false;
  const readiness = new Readiness({ state, supervisor, source, probe, hasConfig: () => hasConfig, shuttingDown: () => shuttingDown });
  supervisor.onChange = () => readiness.refresh();
  supervisor.onGenerationLive = (generation) => compiler.buffers.servedEverywhere(generation);
  let crashLooped: (err: OutpostError) => void = () => undefined;
  const failed = new Promise<OutpostError>((resolve) => { crashLooped = resolve; });
  supervisor.onCrashLoop = (err) => crashLooped(err);
  const telemetry = new TelemetryAggregator(startConfig.gateway.telemetry.buckets);
  const sink = options.telemetrySink ?? source.telemetrySink;
  if (sink) telemetry.attachSink(sink);
  supervisor.onTelemetry = (payload) => telemetry.ingest(payload);
  const processMetrics = new ProcessMetrics();
  const ops = await startOpsServer(opsPort, {
    liveness: () => supervisor.liveness(),
    readiness: () => readiness.report(),
    metrics: () => renderMetrics(state, supervisor) + source.metrics().map((l) => l + '\n').join('') + renderTelemetry(telemetry) + processMetrics.render(),
    crashWorker: (i) => supervisor.crash(i),
  }, faultInjection).catch(closeQuietly);
  let boundPort: number;
  try {
    boundPort = await supervisor.start(listenPort, initialTable);
  } catch (err) {
    // Workers that did start hold listening sockets: close them before the process exits.
    readiness.stop();
    telemetry.close();
    await supervisor.drain(0);
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    await source.close();
    throw err;
  }

  // Sources call this one candidate at a time; the chain keeps a SIGHUP and a sync from racing.
  let chain: Promise<unknown> = Promise.resolve();
  const apply = (candidate: ConfigCandidate): Promise<ApplyOutcome> => {
    const run = chain.then(() => applyCandidate(candidate));
    chain = run.catch(() => undefined);
    return run;
  };
  const applyCandidate = async (candidate: ConfigCandidate): Promise<ApplyOutcome> => {
    const { trigger, result, origin } = candidate;
    if (result.ok && candidate.skipIfUnchanged && result.sourceHash === state.sourceHash && hasConfig) return { status: 'unchanged', generation: state.generation };
    const reject = (problems: ConfigProblem[]): ApplyOutcome => {
      state.recordRejection(problems);
      log('error', 'config reload rejected; the running config stays', {
        errorCode: problemsCode(problems), trigger, ...origin, generation: state.generation, problems,
      });
      return { status: 'rejected', problems };
    };
    if (!result.ok) return reject(result.problems);
    try {
      const compileStart = performance.now();
      const buffer = await compiler.compile(result.config);
      const compileMs = performance.now() - compileStart;
      if (!(buffer instanceof SharedArrayBuffer)) return reject(buffer.problems);
      const generation = state.generation + 1;
      const table: TablePublish = { type: 'table', generation, buffer };
      state.generation = generation;
      state.settings = result.config.gateway;
      telemetry.setBuckets(result.config.gateway.telemetry.buckets);
      state.sourceHash = result.sourceHash;
      state.reloads++;
      state.lastReload = { ok: true, at: new Date().toISOString(), generation };
      const publishStart = performance.now();
      compiler.buffers.bind(buffer, generation);
      supervisor.publish(table);
      hasConfig = true;
      const timings = roundAll({ ...result.timings, compileMs, publishMs: performance.now() - publishStart });
      readiness.refresh();
      warnRestartOnly(settings, result.config.gateway);
      log('info', 'config reloaded', { trigger, ...origin, generation, apis: result.config.apis.length, tableBytes: buffer.byteLength, tableBuffers: compiler.buffers.counts(), timings });
      return { status: 'published', generation };
    } catch (err) {
      const problems = [{ path: '', message: String(err) }];
      state.recordRejection(problems);
      log('error', 'config compile failed; the running config stays', { trigger, ...origin, ...errorFields(err) });
      return { status: 'rejected', problems };
    }
  };

  source.start(apply, firstOutcome);
  readiness.start();
  const onHup = () => source.sighup();
  process.on('SIGHUP', onHup);

  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    readiness.refresh(); // the API-port probe answers 503 from now on
    const graceMs = Math.round(state.settings!.drainTimeoutSeconds * 1000);
    log('info', 'draining', { reason, graceMs });
    process.off('SIGHUP', onHup);
    await source.close();
    const cutOff = await supervisor.drain(graceMs);
    telemetry.close(); // after the drain: the workers' last reports are in
    await source.flushTelemetry?.(); // managed mode: those last rows go to the control plane (bounded wait)
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    readiness.stop();
    log('info', 'stopped', { reason, cutOffRequests: cutOff });
  };

  // Closures above share this scope: drop the startup config (and its candidate) so they do not keep it alive.
  first = null;
  startConfig = EMPTY_CONFIG();
  log('info', 'gateway started', { port: boundPort, opsPort: ops.port, workers: workerCount, generation: state.generation, mode: source.kind, ...firstOrigin, hasConfig });
  if (process.stdout.isTTY) {
    process.stdout.write(`\n  Outpost gateway on http://localhost:${boundPort}  (ops: http://localhost:${ops.port}/health/ready, ${workerCount} workers)\n\n`);
  }
  return { port: boundPort, opsPort: ops.port, shutdown, failed, telemetry };

  function rejectFirst(candidate: ConfigCandidate, problems: ConfigProblem[]): ApplyOutcome {
    state.recordRejection(problems, 0);
    log('error', 'config rejected at startup; starting without APIs until a good one arrives', {
      errorCode: problemsCode(problems), trigger: candidate.trigger, ...candidate.origin, problems,
    });
    return { status: 'rejected', problems };
  }
}

/** Managed mode before any config arrives: no APIs (every request 404s), readiness not ready. */
function EMPTY_CONFIG(): GatewayConfig {
  const result = validateGatewayConfig({});
  if (!result.ok) throw new OutpostError('OUTPOST_ERR_INTERNAL', 'the empty config does not validate');
  return result.config;
}

function describe(candidate: ConfigCandidate | null): string {
  return String(candidate?.origin.file ?? candidate?.trigger ?? 'config');
}

function closeServer(server: Server, done: () => void): void {
  server.close(() => done());
  server.closeAllConnections();
}

function warnRestartOnly(before: { port: number; opsPort: number; workers: number }, after: { port: number; opsPort: number; workers: number }): void {
  for (const key of ['port', 'opsPort', 'workers'] as const) {
    if (before[key] !== after[key]) log('warn', `gateway.${key} changed; it takes effect at the next restart`, { field: `gateway.${key}` });
  }
}

function roundAll(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
