/**
 * `outpost gateway` options from the command line and the environment. Precedence, per setting:
 * command-line flag > environment variable > config file > default. This file resolves the first
 * two; runGateway applies the config file's value (and its default) to whatever is left undefined.
 *
 * | flag          | variable          | range                     |
 * | ------------- | ----------------- | ------------------------- |
 * | --config      | OUTPOST_CONFIG    | a path                    |
 * | --port        | OUTPOST_PORT      | 0..65535 (0 = any free)   |
 * | --ops-port    | OUTPOST_OPS_PORT  | 0..65535                  |
 * | --https-port  | OUTPOST_HTTPS_PORT| 0..65535 (gateway.tls.port) |
 * | --workers     | OUTPOST_WORKERS   | 0..256 (0 = one per core) |
 * | --warmup-requests | OUTPOST_WARMUP_REQUESTS | 0..100000 (gateway.warmupRequests; 0 = none) |
 * |               | OUTPOST_REDIS_URL | redis:// or rediss:// URL (replaces gateway.redis.url) |
 *
 * An empty variable counts as unset (an env file line `OUTPOST_PORT=` overrides nothing). A bad
 * value is a usage error naming the flag or the variable it came from.
 */
import { boundedInt, parseFlags, PORT_RANGE, usageError } from './usage.js';

export interface GatewayCliOptions {
  /** Standalone config file: --config or OUTPOST_CONFIG; undefined = the default, or managed mode. */
  configFile?: string;
  envFile?: string;
  backupDir?: string;
  port?: number;
  opsPort?: number;
  httpsPort?: number;
  workers?: number;
  /** Requests each worker sends through itself before it listens (gateway.warmupRequests). */
  warmupRequests?: number;
  /** Start the demo echo backend on this port (--demo-backend[=PORT]); undefined = do not. */
  demoPort?: number;
  /** OUTPOST_REDIS_URL (an environment variable only: a flag would show the password in `ps`). */
  redisUrl?: string;
}

export const DEFAULT_DEMO_PORT = 8090;
export const MAX_WORKERS = 256;
/** gateway.warmupRequests' bound (config-schema.ts). */
export const MAX_WARMUP_REQUESTS = 100_000;

const DEMO_FLAG = '--demo-backend';

export function resolveGatewayOptions(args: readonly string[], env: NodeJS.ProcessEnv): GatewayCliOptions {
  const { demoPort, rest } = takeDemoBackend(args);
  const { values } = parseFlags('gateway', rest, {
    config: { type: 'string' }, port: { type: 'string' }, 'ops-port': { type: 'string' }, 'https-port': { type: 'string' }, workers: { type: 'string' },
    'warmup-requests': { type: 'string' }, 'env-file': { type: 'string' }, 'backup-dir': { type: 'string' },
  });
  const pick = (flag: string, variable: string): { raw: string; source: string } | undefined => {
    const fromFlag = (values as Record<string, string | undefined>)[flag];
    if (fromFlag !== undefined) return { raw: fromFlag, source: `--${flag}` };
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : { raw: fromEnv, source: variable };
  };
  const int = (flag: string, variable: string, min: number, max: number): number | undefined => {
    const found = pick(flag, variable);
    return found === undefined ? undefined : boundedInt(found.source, found.raw, min, max);
  };
  const config = pick('config', 'OUTPOST_CONFIG');
  if (config?.raw === '') throw usageError('--config needs a file path');
  if (config !== undefined && values['env-file'] !== undefined) {
    throw usageError(`--env-file is for managed mode; it cannot be combined with ${config.source}`);
  }
  return {
    configFile: config?.raw,
    envFile: values['env-file'],
    backupDir: values['backup-dir'],
    port: int('port', 'OUTPOST_PORT', PORT_RANGE.min, PORT_RANGE.max),
    opsPort: int('ops-port', 'OUTPOST_OPS_PORT', PORT_RANGE.min, PORT_RANGE.max),
    httpsPort: int('https-port', 'OUTPOST_HTTPS_PORT', PORT_RANGE.min, PORT_RANGE.max),
    workers: int('workers', 'OUTPOST_WORKERS', 0, MAX_WORKERS),
    warmupRequests: int('warmup-requests', 'OUTPOST_WARMUP_REQUESTS', 0, MAX_WARMUP_REQUESTS),
    demoPort,
    redisUrl: env.OUTPOST_REDIS_URL === '' ? undefined : env.OUTPOST_REDIS_URL,
  };
}

/**
 * `--demo-backend` takes an optional value, which parseArgs cannot express, so it is taken out
 * first. It may appear more than once and the last one wins: `npm start` already passes
 * `--demo-backend`, and `npm start -- --demo-backend=9000` appends a second one.
 */
function takeDemoBackend(args: readonly string[]): { demoPort?: number; rest: string[] } {
  let demoPort: number | undefined;
  const rest: string[] = [];
  for (const arg of args) {
    if (arg === DEMO_FLAG) demoPort = DEFAULT_DEMO_PORT;
    else if (arg.startsWith(`${DEMO_FLAG}=`)) demoPort = boundedInt(DEMO_FLAG, arg.slice(DEMO_FLAG.length + 1), PORT_RANGE.min, PORT_RANGE.max);
    else rest.push(arg);
  }
  return { demoPort, rest };
}
