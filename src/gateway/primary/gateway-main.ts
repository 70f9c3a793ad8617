/**
 * The primary thread of `outpost gateway`: take configs from a config source (a local file, or
 * a control plane with a backup: see config-source.ts), compile them off-loop, publish them to
 * the workers, supervise them, and serve the ops listener. A config that does not validate or compile is never published: the running
 * one stays and the reason is logged (one JSON line, with field paths) and shown in readiness.
 */
import { routeProcessStdout, StdoutOwner } from './stdout-owner.js';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import { TableCompiler, type Compiled } from './table-compiler.js';
import { MAX_WORKERS, Supervisor, checkWorkerCount } from './supervisor.js';
import { crashLoopSettings } from './crash-loop-guard.js';
import { Readiness } from './readiness.js';
import { allocateProbeState } from '../../shared/probe-state.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import { ConfigState } from './config-state.js';
import { startOpsServer } from './ops-server.js';
import { reservePorts } from './port-check.js';
import { HttpsCertificates } from './https-certificates.js';
import type { LoadedHttps } from '../tls/https-material.js';
import { renderMetrics } from './ops-metrics.js';
import { FileConfigSource } from './file-config-source.js';
import type { ApplyOutcome, ConfigCandidate, ConfigSource } from './config-source.js';
import type { ManagedOptions } from '../managed/managed-config-source.js';
import { OutpostError } from '../../shared/errors.js';
import { problemsCode, validateGatewayConfig, type ConfigProblem, type GatewayConfig, type GatewaySettings } from '../../shared/config-schema.js';
import type { TablePublish, WarmUpInit } from '../../shared/protocol.js';
import { warmUpConfig } from './warm-up-table.js';
import { errorFields, log } from '../../shared/log.js';
import type { TelemetrySink } from '../../shared/telemetry-types.js';
import { TelemetryAggregator } from '../telemetry/aggregator.js';
import { renderTelemetry } from '../telemetry/render-metrics.js';
import { ProcessMetrics } from '../telemetry/process-metrics.js';
import { PrimaryRedis } from './redis-primary.js';
import { checkRedisUrlVariable, resolveRedisSettings, withRedisUrlOverride } from '../redis/redis-settings.js';
import { reportNativeAddon } from '../native.js';
import { workerPlacement } from './cpu-placement.js';
import { reducerOffForPrimaryOnly } from './memory-reducer.js';
import { SystemdService } from './systemd-service.js';
import { invalidateDetachProtector } from '../../shared/detach-protector.js';

export interface GatewayOptions {
  /** Standalone mode: the local config file. Without it the gateway runs in managed mode. */
  configFile?: string;
  /** Managed mode: settings from the environment and this env file (endpoint, token, backup dir). */
  managed?: ManagedOptions;
  port?: number;
  opsPort?: number;
  /** Overrides gateway.tls.port (only with gateway.tls). */
  httpsPort?: number;
  workers?: number;
  /** Overrides gateway.warmupRequests (--warmup-requests, OUTPOST_WARMUP_REQUESTS). */
  warmupRequests?: number;
  /** Receives the per-minute telemetry rows every upload interval (managed mode: the uploader). */
  telemetrySink?: TelemetrySink;
  /** OUTPOST_REDIS_URL: replaces gateway.redis.url (or turns Redis on) in every config. */
  redisUrl?: string;
}

export interface RunningGateway {
  port: number;
  opsPort: number;
  /** The HTTPS listener's port; null without gateway.tls. */
  httpsPort: number | null;
  shutdown(reason: string): Promise<void>;
  /** Settles (never rejects) if the gateway must stop on its own: the workers cannot stay up. */
  failed: Promise<OutpostError>;
  /** Merged worker telemetry (attachSink to receive the per-minute rows). */
  telemetry: TelemetryAggregator;
}

/** How long shutdown waits for queued log lines to reach stdout. */
const STDOUT_DRAIN_MS = 2_000;
/** The process's stdout, written by the primary alone (stdout-owner.ts); one per process. */
const stdoutOwner = new StdoutOwner();

export async function runGateway(options: GatewayOptions): Promise<RunningGateway> {
  // First: every thread is created after this, and gets its V8 memory reducer by the flag of then.
  const primaryReducerOff = reducerOffForPrimaryOnly();
  // The primary transfers log buffers back to the workers: see detach-protector.ts.
  invalidateDetachProtector();
  const crashLoop = crashLoopSettings(); // a bad setting stops startup before anything runs
  routeProcessStdout(stdoutOwner);
  checkRedisUrlVariable(options.redisUrl);
  const withEnv = (config: GatewayConfig): GatewayConfig => withRedisUrlOverride(config, options.redisUrl);
  reportNativeAddon();
  const source: ConfigSource = options.configFile !== undefined
    ? new FileConfigSource(options.configFile)
    // Loaded in managed mode only: it brings undici (the control-plane client) into the primary.
    : await (await import('../managed/managed-config-source.js')).ManagedConfigSource.create(options.managed ?? {});
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
  // OUTPOST_REDIS_URL counts even before any config (managed mode waiting for its first one).
  let startSettings = withEnv(EMPTY_CONFIG()).gateway;
  let firstTable: SharedArrayBuffer | null = null;
  let firstHttps: LoadedHttps | null = null;
  if (first) {
    const compiled = await compileCandidate(first, null);
    if (compiled.kind === 'table') {
      startSettings = compiled.settings;
      firstTable = compiled.buffer;
      firstHttps = compiled.https;
      state.sourceHash = compiled.sourceHash;
      firstOutcome = { status: 'published', generation: 1 };
    } else if (compiled.kind === 'problems') {
      if (source.kind === 'file') await fail(compiled.problems);
      firstOutcome = rejectFirst(first, compiled.problems);
    }
  }
  if (firstTable === null) {
    const empty = await compiler.compile({ kind: 'config', config: EMPTY_CONFIG() });
    if (empty.kind !== 'table') throw new OutpostError('OUTPOST_ERR_INTERNAL', 'the empty config did not compile');
    firstTable = empty.buffer;
  }
  let hasConfig = firstOutcome?.status === 'published';
  const settings = startSettings;
  const port = options.port ?? settings.port;
  const opsPort = options.opsPort ?? settings.opsPort;
  // 0 (flag, variable or file) means one per core, capped at 256; a flag or variable of 0 wins
  // over a count in the file (flag > env > file). Any other count must be 1..256.
  const workerCount = (options.workers ?? settings.workers) || Math.min(availableParallelism(), MAX_WORKERS);
  let redisSettings: ReturnType<typeof resolveRedisSettings>;
  try {
    checkWorkerCount(workerCount);
    // gateway.redis is read once: every worker opens its connection at start (restart-only).
    redisSettings = resolveRedisSettings(startSettings.redis);
  } catch (err) {
    await compiler.close();
    await source.close();
    throw err;
  }
  const faultInjection = process.env.OUTPOST_FAULT_INJECTION === '1';

  state.settings = startSettings;
  state.generation = 1;
  const initialTable: TablePublish = { type: 'table', generation: 1, buffer: firstTable };
  compiler.buffers.bind(firstTable, 1);

  const closeQuietly = async (err: unknown): Promise<never> => {
    // No worker has started yet; the compiler thread and the config source must not keep the process up.
    await compiler.close();
    await source.close();
    throw err;
  };
  const tlsSettings = settings.tls;
  if (options.httpsPort !== undefined && tlsSettings === undefined) log('warn', 'the HTTPS port is set but the config has no gateway.tls: no HTTPS listener', { httpsPort: options.httpsPort });
  const wanted = [{ listener: 'API', port }];
  if (firstHttps !== null && tlsSettings !== undefined) wanted.push({ listener: 'HTTPS', port: options.httpsPort ?? tlsSettings.port });
  const [listenPort, httpsPort] = await reservePorts(wanted).catch(closeQuietly);
  // Counters live for the process, not the generation: a reload does not reset rate limits.
  const probe = allocateProbeState();
  const https = firstHttps !== null && tlsSettings !== undefined
    ? new HttpsCertificates(httpsPort, options.httpsPort === undefined, tlsSettings, firstHttps, (material) => supervisor.publishHttps(material)) : null;
  firstHttps = null;
  const redis = await PrimaryRedis.create(redisSettings, workerCount);
  const warmup = await warmUpPlan(compiler, settings, options.warmupRequests ?? settings.warmupRequests);
  const supervisor = new Supervisor(workerCount, faultInjection, {
    counters: SharedCounters.allocate(), gauges: SharedGauges.allocate(workerCount), probe, redis: redisSettings, redisStats: redis.stats, warmup,
  }, crashLoop, workerPlacement(settings.cpuAffinity, workerCount));
  let shuttingDown = false;
  const readiness = new Readiness({
    state, supervisor, source, probe, hasConfig: () => hasConfig, shuttingDown: () => shuttingDown,
    redis: () => redis.readiness(), https: () => https?.readiness() ?? null,
  });
  supervisor.onChange = () => readiness.refresh();
  // Under systemd (Type=notify): READY=1 once readiness first holds, STATUS=, the watchdog.
  const systemd = SystemdService.attach(readiness, supervisor);
  supervisor.onGenerationLive = (generation) => compiler.buffers.servedEverywhere(generation);
  let crashLooped: (err: OutpostError) => void = () => undefined;
  const failed = new Promise<OutpostError>((resolve) => { crashLooped = resolve; });
  supervisor.onCrashLoop = (err) => crashLooped(err);
  const telemetry = new TelemetryAggregator(startSettings.telemetry.buckets);
  const sink = options.telemetrySink ?? source.telemetrySink;
  if (sink) telemetry.attachSink(sink);
  supervisor.onTelemetry = (payload) => telemetry.ingest(payload);
  supervisor.onRequestLog = (bytes, lines, giveBack) => { if (!stdoutOwner.enqueue(bytes, true, giveBack)) telemetry.requestLogDropped += lines; };
  const processMetrics = new ProcessMetrics();
  const ops = await startOpsServer(opsPort, {
    liveness: () => supervisor.liveness(),
    readiness: () => readiness.report(),
    metrics: () => renderMetrics(state, supervisor) + redis.metrics() + [...source.metrics(), ...(https?.metrics() ?? [])].map((l) => l + '\n').join('') + renderTelemetry(telemetry) + processMetrics.render(),
    crashWorker: (i) => supervisor.crash(i),
  }, faultInjection).catch(closeQuietly);
  let boundPort: number;
  try {
    boundPort = await supervisor.start(listenPort, initialTable, https === null ? null : { port: httpsPort, material: https.material, ticketKeys: randomBytes(48) });
  } catch (err) {
    // Workers that did start hold listening sockets: close them before the process exits.
    readiness.stop();
    telemetry.close();
    await supervisor.drain(0);
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    await source.close();
    await redis.close();
    throw err;
  }
  redis.start();

  // Sources call this one candidate at a time; the chain keeps a SIGHUP and a sync from racing.
  let chain: Promise<unknown> = Promise.resolve();
  const apply = (candidate: ConfigCandidate): Promise<ApplyOutcome> => {
    const run = chain.then(() => applyCandidate(candidate));
    chain = run.catch(() => undefined);
    return run;
  };
  const applyCandidate = async (candidate: ConfigCandidate): Promise<ApplyOutcome> => {
    const { trigger, result, origin } = candidate;
    const skipHash = candidate.skipIfUnchanged && hasConfig ? state.sourceHash : null;
    if (result.ok === true && skipHash !== null && result.sourceHash === skipHash) return { status: 'unchanged', generation: state.generation };
    const reject = (problems: ConfigProblem[]): ApplyOutcome => {
      state.recordRejection(problems);
      log('error', 'config reload rejected; the running config stays', {
        errorCode: problemsCode(problems), trigger, ...origin, generation: state.generation, problems,
      });
      return { status: 'rejected', problems };
    };
    try {
      const compileStart = performance.now();
      const compiled = await compileCandidate(candidate, skipHash);
      const compileMs = performance.now() - compileStart;
      if (compiled.kind === 'unchanged') return { status: 'unchanged', generation: state.generation };
      if (compiled.kind === 'problems') return reject(compiled.problems);
      const buffer = compiled.buffer;
      const generation = state.generation + 1;
      const table: TablePublish = { type: 'table', generation, buffer };
      state.generation = generation;
      state.settings = compiled.settings;
      telemetry.setBuckets(compiled.settings.telemetry.buckets);
      state.sourceHash = compiled.sourceHash;
      state.reloads++;
      state.lastReload = { ok: true, at: new Date().toISOString(), generation };
      const publishStart = performance.now();
      compiler.buffers.bind(buffer, generation);
      supervisor.publish(table);
      hasConfig = true;
      // compileMs: the whole round trip to the compiler thread; loading and compiling alone are in the thread's timings.
      const timings = roundAll({ ...(result.ok === true ? result.timings : {}), ...compiled.timings, roundTripMs: compileMs, publishMs: performance.now() - publishStart });
      readiness.refresh();
      warnRestartOnly(settings, compiled.settings);
      HttpsCertificates.followConfig(https, compiled.settings.tls, compiled.https, trigger);
      log('info', 'config reloaded', { trigger, ...origin, generation, apis: compiled.apis, tableBytes: buffer.byteLength, tableBuffers: compiler.buffers.counts(), timings });
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
  https?.start();
  const onHup = () => {
    // The config (which re-reads the certificates it names) and the HTTPS certificates on their own.
    const reload = async () => { await Promise.all([source.sighup(), https?.reload('SIGHUP')]); };
    if (systemd) void systemd.reload(reload);
    else reload().catch((err: unknown) => log('error', 'SIGHUP reload failed', errorFields(err)));
  };
  process.on('SIGHUP', onHup);

  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    systemd?.stopping(reason);
    readiness.refresh(); // the API-port probe answers 503 from now on
    const graceMs = Math.round(state.settings!.drainTimeoutSeconds * 1000);
    log('info', 'draining', { reason, graceMs });
    process.off('SIGHUP', onHup);
    https?.close();
    await source.close();
    const cutOff = await supervisor.drain(graceMs);
    telemetry.close(); // after the drain: the workers' last reports are in
    await source.flushTelemetry?.(); // managed mode: those last rows go to the control plane (bounded wait)
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    await redis.close();
    readiness.stop();
    log('info', 'stopped', { reason, cutOffRequests: cutOff });
    await stdoutOwner.drained(STDOUT_DRAIN_MS); // the last request-log lines reach the collector
  };

  // Closures above share this scope: drop the startup candidate so they do not keep it alive.
  first = null;
  log('info', 'gateway started', { port: boundPort, opsPort: ops.port, httpsPort: https?.port ?? null, workers: workerCount, generation: state.generation, mode: source.kind, ...firstOrigin, hasConfig, primaryMemoryReducer: primaryReducerOff ? 'off' : 'on' });
  if (process.stdout.isTTY) {
    process.stdout.write(`\n  Outpost gateway on http://localhost:${boundPort}  (ops: http://localhost:${ops.port}/health/ready, ${workerCount} workers)\n\n`);
  }
  return { port: boundPort, opsPort: ops.port, httpsPort: https?.port ?? null, shutdown, failed, telemetry };

  /** Problems, unchanged (only with a skip hash), or the table: a file is loaded in the compiler thread. */
  async function compileCandidate(candidate: ConfigCandidate, skipHash: string | null): Promise<Compiled> {
    const result = candidate.result;
    if (result.ok === false) return { kind: 'problems', problems: result.problems, sourceHash: result.sourceHash };
    if (result.ok === 'file') return compiler.compile({ kind: 'file', file: result.file, unchangedHash: skipHash, redisUrl: options.redisUrl });
    const compiled = await compiler.compile({ kind: 'config', config: withEnv(result.config) });
    return compiled.kind === 'table' ? { ...compiled, sourceHash: result.sourceHash } : compiled;
  }

  function rejectFirst(candidate: ConfigCandidate, problems: ConfigProblem[]): ApplyOutcome {
    state.recordRejection(problems, 0);
    log('error', 'config rejected at startup; starting without APIs until a good one arrives', {
      errorCode: problemsCode(problems), trigger: candidate.trigger, ...candidate.origin, problems,
    });
    return { status: 'rejected', problems };
  }
}

/** The workers' warm-up (warm-up-table.ts), or null when gateway.warmupRequests is 0 or its table did not compile. */
async function warmUpPlan(compiler: TableCompiler, settings: GatewaySettings, requests: number): Promise<WarmUpInit | null> {
  if (requests === 0) return null;
  try {
    const table = await compiler.compileKept(warmUpConfig(settings));
    if (table !== null) return { table, requests };
    log('warn', 'the warm-up table did not compile; workers start without a warm-up');
  } catch (err) {
    log('warn', 'the warm-up table did not compile; workers start without a warm-up', errorFields(err));
  }
  return null;
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

type RestartOnly = Pick<GatewayConfig['gateway'], 'port' | 'opsPort' | 'workers' | 'cpuAffinity' | 'redis' | 'warmupRequests'>;
function warnRestartOnly(before: RestartOnly, after: RestartOnly): void {
  for (const key of ['port', 'opsPort', 'workers', 'cpuAffinity', 'redis', 'warmupRequests'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) log('warn', `gateway.${key} changed; it takes effect at the next restart`, { field: `gateway.${key}` });
  }
}

function roundAll(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
