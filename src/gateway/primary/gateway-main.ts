/**
 * The primary thread of `outpost gateway`: load and validate the config, compile it off-loop,
 * publish it to the workers, supervise them, serve the ops listener, and reload on SIGHUP or a
 * change of the file. A config that does not validate or compile is never published: the running
 * one stays and the reason is logged (one JSON line, with field paths) and shown in readiness.
 */
import { watch, type FSWatcher } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import type { Server } from 'node:http';
import { loadConfigFile } from '../config/load-config.js';
import { TableCompiler } from './table-compiler.js';
import { Supervisor } from './supervisor.js';
import { SharedCounters } from '../pipeline/shared-counters.js';
import { SharedGauges } from '../pipeline/shared-gauges.js';
import { ConfigState } from './config-state.js';
import { startOpsServer } from './ops-server.js';
import { reservePort } from './port-check.js';
import { renderMetrics } from './ops-metrics.js';
import { OutpostError } from '../../shared/errors.js';
import type { ConfigProblem } from '../../shared/config-schema.js';
import type { TablePublish } from '../../shared/protocol.js';
import { errorFields, log } from '../../shared/log.js';

export interface GatewayOptions {
  configFile: string;
  port?: number;
  opsPort?: number;
  workers?: number;
}

export interface RunningGateway {
  port: number;
  opsPort: number;
  shutdown(reason: string): Promise<void>;
}

export async function runGateway(options: GatewayOptions): Promise<RunningGateway> {
  const file = resolve(options.configFile);
  const state = new ConfigState();
  const first = await loadConfigFile(file);
  if (!first.ok) {
    for (const p of first.problems) log('error', 'config problem', { errorCode: 'OUTPOST_ERR_CONFIG_INVALID', file, field: p.path, problem: p.message });
    throw new OutpostError('OUTPOST_ERR_CONFIG_INVALID', `${file}: ${first.problems.length} problem(s); the gateway did not start`);
  }
  const settings = first.config.gateway;
  const port = options.port ?? settings.port;
  const workerCount = options.workers || settings.workers || availableParallelism();
  // Newer uWS builds size their buffer for heads that arrive in several reads from this variable
  // (read once, when the binary loads). The pinned build ignores it and keeps 4 KiB for such heads
  // (README, known limits); heads that arrive in one read are limited by our own maxHeaderBytes check.
  process.env.UWS_HTTP_MAX_HEADERS_SIZE = String(settings.maxHeaderBytes * 2);
  const faultInjection = process.env.OUTPOST_FAULT_INJECTION === '1';

  const compiler = new TableCompiler();
  state.config = first.config;
  state.sourceHash = first.sourceHash;
  state.generation = 1;
  const firstTable = await compiler.compile(first.config);
  if (!(firstTable instanceof SharedArrayBuffer)) {
    await compiler.close();
    for (const p of firstTable.problems) log('error', 'config problem', { errorCode: 'OUTPOST_ERR_CONFIG_INVALID', file, field: p.path, problem: p.message });
    throw new OutpostError('OUTPOST_ERR_CONFIG_INVALID', `${file}: ${firstTable.problems.length} problem(s); the gateway did not start`);
  }
  const initialTable: TablePublish = { type: 'table', generation: 1, buffer: firstTable };
  state.table = initialTable;

  const listenPort = await reservePort(port);
  // Counters live for the process, not the generation: a reload does not reset rate limits.
  const supervisor = new Supervisor(workerCount, faultInjection, SharedCounters.allocate(), SharedGauges.allocate(workerCount));
  let shuttingDown = false;
  const ops = await startOpsServer(options.opsPort ?? settings.opsPort, {
    readiness: () => {
      const workers = supervisor.status();
      const ready = !shuttingDown && state.table !== null && supervisor.allAccepting(state.generation);
      return { ready, generation: state.generation, configFile: file, workers, lastReload: state.lastReload, shuttingDown };
    },
    metrics: () => renderMetrics(state, supervisor),
    crashWorker: (i) => supervisor.crash(i),
  }, faultInjection);
  let boundPort: number;
  try {
    boundPort = await supervisor.start(listenPort, initialTable);
  } catch (err) {
    // Workers that did start hold uWS sockets: close them before the process exits.
    await supervisor.drain(0);
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    throw err;
  }

  const reload = (trigger: string) => state.serialise(async () => {
    const loaded = await loadConfigFile(file);
    if (loaded.ok && loaded.sourceHash === state.sourceHash && trigger === 'file-change') return;
    const at = new Date().toISOString();
    const reject = (problems: ConfigProblem[]) => {
      state.reloadFailures++;
      state.lastReload = { ok: false, at, generation: state.generation, problems };
      log('error', 'config reload rejected; the running config stays', {
        errorCode: 'OUTPOST_ERR_CONFIG_INVALID', trigger, file, generation: state.generation, problems,
      });
    };
    if (!loaded.ok) return reject(loaded.problems);
    try {
      const buffer = await compiler.compile(loaded.config);
      if (!(buffer instanceof SharedArrayBuffer)) return reject(buffer.problems);
      const generation = state.generation + 1;
      const table: TablePublish = { type: 'table', generation, buffer };
      state.table = table;
      state.generation = generation;
      state.config = loaded.config;
      state.sourceHash = loaded.sourceHash;
      state.reloads++;
      state.lastReload = { ok: true, at, generation };
      supervisor.publish(table);
      warnRestartOnly(first.config.gateway, loaded.config.gateway);
      log('info', 'config reloaded', { trigger, generation, apis: loaded.config.apis.length });
    } catch (err) {
      state.reloadFailures++;
      state.lastReload = { ok: false, at, generation: state.generation, problems: [{ path: '', message: String(err) }] };
      log('error', 'config compile failed; the running config stays', { trigger, ...errorFields(err) });
    }
  });

  const watcher = watchFile(file, () => void reload('file-change'));
  const onHup = () => void reload('SIGHUP');
  process.on('SIGHUP', onHup);

  const shutdown = async (reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const graceMs = Math.round(state.config!.gateway.drainTimeoutSeconds * 1000);
    log('info', 'draining', { reason, graceMs });
    watcher?.close();
    process.off('SIGHUP', onHup);
    const cutOff = await supervisor.drain(graceMs);
    await new Promise<void>((r) => closeServer(ops.server, r));
    await compiler.close();
    log('info', 'stopped', { reason, cutOffRequests: cutOff });
  };

  log('info', 'gateway started', { port: boundPort, opsPort: ops.port, workers: workerCount, generation: state.generation, file });
  if (process.stdout.isTTY) {
    process.stdout.write(`\n  Outpost gateway on http://localhost:${boundPort}  (ops: http://localhost:${ops.port}/health/ready, ${workerCount} workers)\n\n`);
  }
  return { port: boundPort, opsPort: ops.port, shutdown };
}

function closeServer(server: Server, done: () => void): void {
  server.close(() => done());
  server.closeAllConnections();
}

/**
 * Editors replace files (write a temp file, rename), so watch the directory, not the inode.
 * Kubernetes ConfigMap volumes swap a `..data` symlink instead: those events count too. A reload
 * whose content hash is unchanged is skipped, so extra events cost one file read.
 */
function watchFile(file: string, onChange: () => void): FSWatcher | null {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  try {
    return watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name && !changed.startsWith('..')) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    });
  } catch (err) {
    log('warn', 'cannot watch the config file; reload with SIGHUP', { file, ...errorFields(err) });
    return null;
  }
}

function warnRestartOnly(before: { port: number; opsPort: number; workers: number }, after: { port: number; opsPort: number; workers: number }): void {
  for (const key of ['port', 'opsPort', 'workers'] as const) {
    if (before[key] !== after[key]) log('warn', `gateway.${key} changed; it takes effect at the next restart`, { field: `gateway.${key}` });
  }
}
