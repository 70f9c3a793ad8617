#!/usr/bin/env node
/**
 * The `outpost` command. `gateway` runs the data plane; `validate` checks a config file and prints
 * each problem with its field path (exit 1 when there are any).
 */
import { parseArgs } from 'node:util';
import { runGateway } from './gateway/primary/gateway-main.js';
import { loadConfigFile } from './gateway/config/load-config.js';
import { compilePolicies } from './gateway/pipeline/compile-policies.js';
import { startEchoBackend } from './demo/echo-backend.js';
import { hasEndpoint, readSettingsMap } from './gateway/managed/managed-settings.js';
import { OutpostError } from './shared/errors.js';
import { errorFields, log } from './shared/log.js';

const HELP = `Usage: outpost <command> [options]

Commands:
  gateway     Run the gateway (data plane).
      --config FILE        gateway config (YAML): standalone mode; default config/gateway.yaml
                           unless a control-plane endpoint is set (managed mode)
      --env-file FILE      managed-mode settings, KEY=VALUE lines (APIM's env.conf):
                           config.service.endpoint, config.service.auth, OUTPOST_BACKUP_DIR, ...
      --backup-dir DIR     managed mode: where the last good config is backed up
      --port N             API port (overrides gateway.port; default 8080; 0 picks a free port)
      --ops-port N         ops listener port: /health/live, /health/ready, /metrics (default 9090)
      --workers N          request worker threads (default: one per core)
      --demo-backend[=N]   also start the demo echo backend on 127.0.0.1:N (default 8090)
  validate FILE   Check a config file; print each problem with its field path; exit 1 if any.
  control-plane   Run the control plane (management API, gateway config, heartbeats).
      --port N             listen port (default 7070; 0 picks a free port)
      --host ADDR          listen address (default 0.0.0.0)
      --data DIR           SQLite data directory (default ./outpost-data)
      admin token: OUTPOST_ADMIN_TOKEN or OUTPOST_ADMIN_TOKEN_FILE (required)
  help            Show this text.

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config (so does saving the file);
in managed mode SIGHUP re-reads the env file (a new token without a restart).
`;

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new OutpostError('OUTPOST_ERR_CONFIG_INVALID', `--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

async function gatewayCommand(args: string[]): Promise<void> {
  const demoIndex = args.findIndex((a) => a === '--demo-backend' || a.startsWith('--demo-backend='));
  let demoPort: number | undefined;
  if (demoIndex >= 0) {
    demoPort = intOption('demo-backend', args[demoIndex].split('=')[1] ?? '8090');
    args = args.filter((_, i) => i !== demoIndex);
  }
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' }, port: { type: 'string' }, 'ops-port': { type: 'string' }, workers: { type: 'string' },
      'env-file': { type: 'string' }, 'backup-dir': { type: 'string' },
    },
    strict: true,
  });
  if (demoPort !== undefined) {
    const demo = await startEchoBackend(demoPort);
    log('info', 'demo echo backend started', { port: demo.port });
  }
  // Managed mode: no --config, and a control-plane endpoint in the env file or the environment.
  const managed = values.config === undefined && hasEndpoint(await readSettingsMap(values['env-file']));
  if (!managed && values['env-file'] !== undefined) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', values.config !== undefined
      ? '--env-file is for managed mode; it cannot be combined with --config'
      : `${values['env-file']}: config.service.endpoint is not set`);
  }
  const gateway = await runGateway({
    configFile: managed ? undefined : values.config ?? 'config/gateway.yaml',
    managed: managed ? { envFile: values['env-file'], backupDir: values['backup-dir'] } : undefined,
    port: intOption('port', values.port),
    opsPort: intOption('ops-port', values['ops-port']),
    workers: intOption('workers', values.workers),
  });
  const stop = (signal: string, exitCode: number) => {
    gateway.shutdown(signal).then(() => process.exit(exitCode), (err) => {
      log('error', 'shutdown failed', errorFields(err));
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  // A bug in the primary must not cut off responses in flight: drain them, then exit non-zero
  // for systemd.
  onFatal = (err) => {
    log('error', 'uncaught exception in the primary; draining and exiting', errorFields(err));
    setTimeout(() => process.exit(1), 10_000).unref();
    stop('fatal-error', 1);
  };
}

let onFatal = (err: unknown): void => {
  log('error', 'uncaught exception in the primary', errorFields(err));
  process.exit(1);
};

async function validateCommand(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) { process.stderr.write('usage: outpost validate FILE\n'); return 2; }
  const result = await loadConfigFile(file);
  // Shape first; then what only compiling finds (policies), as the gateway would at startup.
  const problems = result.ok ? compilePolicies(result.config).problems : result.problems;
  if (result.ok && problems.length === 0) {
    process.stdout.write(`${file}: valid (${result.config.apis.length} APIs)\n`);
    return 0;
  }
  for (const p of problems) process.stdout.write(`${file}: ${p.path || '(document)'}: ${p.message}\n`);
  return 1;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  process.on('uncaughtException', (err) => onFatal(err));
  switch (command) {
    case 'gateway': return gatewayCommand(rest);
    // Loaded on demand: the gateway never loads SQLite.
    case 'control-plane': return (await import('./control-plane/main.js')).controlPlaneCommand(rest);
    case 'validate': process.exitCode = await validateCommand(rest); return;
    case undefined: case 'help': case '--help': case '-h': process.stdout.write(HELP); return;
    default:
      process.stderr.write(`outpost: unknown command "${command}"\n\n${HELP}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  log('error', err instanceof OutpostError ? err.message : 'startup failed', errorFields(err));
  process.exit(1);
});
