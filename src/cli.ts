#!/usr/bin/env node
/**
 * The `outpost` command. `gateway` runs the data plane; `validate` checks a config file and prints
 * each problem with its field path; `control-plane` runs the management plane. Exit codes are
 * those of cli/exit-codes.ts; a usage mistake is one line on stderr, never a stack trace.
 */
import { runGateway } from './gateway/primary/gateway-main.js';
import { startEchoBackend } from './demo/echo-backend.js';
import { hasEndpoint, readSettingsMap } from './gateway/managed/managed-settings.js';
import { listenError } from './gateway/primary/listen-error.js';
import { OutpostError } from './shared/errors.js';
import { errorFields, log } from './shared/log.js';
import { EXIT, exitCodeFor, type ExitCode } from './cli/exit-codes.js';
import { resolveGatewayOptions } from './cli/gateway-options.js';
import { HELP } from './cli/help.js';
import { packageVersion, usageError } from './cli/usage.js';
import { checkNodeVersion } from './cli/node-version.js';

async function gatewayCommand(args: string[]): Promise<void> {
  const options = resolveGatewayOptions(args, process.env);
  // Signals are caught from here on: a SIGTERM while the workers start (a Pod deleted during
  // startup, or right after "gateway started" is logged) waits for startup and then drains,
  // instead of killing the process with worker sockets open.
  let stopGateway: ((signal: string) => void) | null = null;
  let early: string | null = null;
  let earlyTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: string) => {
    if (stopGateway) { stopGateway(signal); return; }
    if (early !== null) return;
    early = signal;
    // Startup that never finishes (e.g. stuck) must not make the process unkillable by SIGTERM.
    earlyTimer = setTimeout(() => process.exit(EXIT.runtime), EARLY_SIGNAL_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  if (options.demoPort !== undefined) {
    const demo = await startEchoBackend(options.demoPort).catch((err: unknown) => { throw listenError(err, 'demo backend', options.demoPort!); });
    log('info', 'demo echo backend started', { port: demo.port });
  }
  // Managed mode: no --config / OUTPOST_CONFIG, and a control-plane endpoint in the env file or the environment.
  const managed = options.configFile === undefined && hasEndpoint(await readSettingsMap(options.envFile));
  if (!managed && options.envFile !== undefined) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `${options.envFile}: config.service.endpoint is not set`);
  }
  const gateway = await runGateway({
    configFile: managed ? undefined : options.configFile ?? 'config/gateway.yaml',
    managed: managed ? { envFile: options.envFile, backupDir: options.backupDir } : undefined,
    port: options.port,
    opsPort: options.opsPort,
    httpsPort: options.httpsPort,
    workers: options.workers,
    warmupRequests: options.warmupRequests,
    redisUrl: options.redisUrl,
  });
  const stop = (signal: string, exitCode: ExitCode) => {
    gateway.shutdown(signal).then(() => process.exit(exitCode), (err) => {
      log('error', 'shutdown failed', errorFields(err));
      process.exit(EXIT.runtime);
    });
  };
  stopGateway = (signal) => stop(signal, EXIT.ok);
  clearTimeout(earlyTimer);
  if (early !== null) stopGateway(early);
  // Workers that cannot stay up: one line saying why, drain what the others hold, exit 3.
  void gateway.failed.then((err) => {
    log('error', err.message, { errorCode: err.code, ...(err.details as object) });
    stop('crash-loop', EXIT.runtime);
  });
  // A bug in the primary must not cut off responses in flight: drain them, then exit non-zero
  // for systemd.
  onFatal = (err) => {
    log('error', 'uncaught exception in the primary; draining and exiting', errorFields(err));
    setTimeout(() => process.exit(EXIT.runtime), 10_000).unref();
    stop('fatal-error', EXIT.runtime);
  };
}

/** How long a signal that arrives during startup waits for startup to finish before exiting. */
const EARLY_SIGNAL_GRACE_MS = 60_000;

let onFatal = (err: unknown): void => {
  log('error', 'uncaught exception in the primary', errorFields(err));
  process.exit(EXIT.runtime);
};

/** Resolves with an exit code for commands that finish, or undefined for servers that keep running. */
async function main(argv: string[]): Promise<ExitCode | undefined> {
  checkNodeVersion();
  const [command, ...rest] = argv;
  process.on('uncaughtException', (err) => onFatal(err));
  switch (command) {
    case 'gateway': await gatewayCommand(rest); return undefined;
    // Loaded on demand: the gateway never loads SQLite.
    case 'control-plane': await (await import('./control-plane/main.js')).controlPlaneCommand(rest); return undefined;
    case 'validate': return (await import('./cli/validate-command.js')).validateCommand(rest);
    case 'version': case '--version': case '-v':
      process.stdout.write(`${packageVersion()}\n`);
      return EXIT.ok;
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(HELP);
      return EXIT.ok;
    default:
      throw usageError(command.startsWith('-') ? `unknown option "${command}" (options go after the command)` : `unknown command "${command}"`);
  }
}

/** Usage mistakes: one line and a hint on stderr. Everything else: one JSON log line on stdout. */
function fail(err: unknown): never {
  const exitCode = exitCodeFor(err);
  if (exitCode === EXIT.usage) {
    process.stderr.write(`outpost: ${err instanceof Error ? err.message : String(err)}\nRun "outpost help" for usage.\n`);
  } else if (err instanceof OutpostError) {
    // A coded error is expected and explained by its message: no stack.
    log('error', err.message, { errorCode: err.code, exitCode });
  } else {
    log('error', 'startup failed', { ...errorFields(err), exitCode });
  }
  process.exit(exitCode);
}

main(process.argv.slice(2)).then((code) => { if (code !== undefined) process.exitCode = code; }, fail);
