/**
 * gateway.redis resolved once, in the primary, into what every RedisLink is built from: the
 * OUTPOST_REDIS_URL override applied, the CA file read (so a worker never touches the disk and a
 * missing file stops startup with the field named), and the connection mode decided.
 * Plain data: it travels to the workers in WorkerInit.
 */
import { readFileSync } from 'node:fs';
import { OutpostError } from '../../shared/errors.js';
import { redisSchema, redisUrlProblem, type GatewayConfig, type RedisConfig } from '../../shared/config-schema.js';

export interface RedisLinkSettings {
  mode: 'single' | 'cluster' | 'sentinel';
  /** Single: the server. Sentinel: credentials, db and TLS only (the host comes from the sentinels). */
  url: string | null;
  cluster: string[];
  sentinel: { name: string; nodes: Array<{ host: string; port: number }> } | null;
  /** PEM text of gateway.redis.caFile, or null for the system CAs. */
  ca: string | null;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  keyPrefix: string;
  breakerFailures: number;
  breakerOpenMs: number;
}

/** The config with OUTPOST_REDIS_URL applied: it replaces gateway.redis.url, or turns Redis on. */
export function withRedisUrlOverride(config: GatewayConfig, envUrl: string | undefined): GatewayConfig {
  if (envUrl === undefined || envUrl === '') return config;
  const redis: RedisConfig = { ...(config.gateway.redis ?? redisSchema.parse({})), url: envUrl };
  return { ...config, gateway: { ...config.gateway, redis } };
}

/** Startup check of OUTPOST_REDIS_URL: the variable is named, its value never shown. */
export function checkRedisUrlVariable(envUrl: string | undefined): void {
  if (envUrl === undefined || envUrl === '') return;
  const problem = redisUrlProblem(envUrl);
  if (problem) throw new OutpostError('OUTPOST_ERR_CONFIG_INVALID', `OUTPOST_REDIS_URL ${problem}`);
}

/** null when Redis is not configured; throws OUTPOST_ERR_CONFIG_INVALID naming the field. */
export function resolveRedisSettings(redis: RedisConfig | undefined): RedisLinkSettings | null {
  if (redis === undefined) return null;
  const bad = (field: string, problem: string) => new OutpostError('OUTPOST_ERR_CONFIG_INVALID', `gateway.redis.${field}: ${problem}`);
  if (redis.cluster && redis.sentinel) throw bad('cluster', 'cannot be combined with gateway.redis.sentinel');
  if (!redis.url && !redis.cluster && !redis.sentinel) throw bad('url', 'gateway.redis needs url, cluster or sentinel (or OUTPOST_REDIS_URL)');
  let ca: string | null = null;
  if (redis.caFile !== undefined) {
    try {
      ca = readFileSync(redis.caFile, 'utf8');
    } catch (err) {
      throw bad('caFile', `cannot read ${redis.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw bad('caFile', `${redis.caFile} holds no PEM certificate`);
  }
  return {
    mode: redis.cluster ? 'cluster' : redis.sentinel ? 'sentinel' : 'single',
    url: redis.url ?? null,
    cluster: redis.cluster ?? [],
    sentinel: redis.sentinel ? { name: redis.sentinel.name, nodes: redis.sentinel.nodes.map(hostPort) } : null,
    ca,
    commandTimeoutMs: redis.commandTimeoutMs,
    connectTimeoutMs: redis.connectTimeoutMs,
    keyPrefix: redis.keyPrefix,
    breakerFailures: redis.breakerFailures,
    breakerOpenMs: redis.breakerOpenMs,
  };
}

/** Where Redis is, for logs and readiness: host and port only, never the user or password. */
export function describeRedis(settings: RedisLinkSettings): string {
  if (settings.mode === 'cluster') return `cluster ${settings.cluster.map(safeHost).join(',')}`;
  if (settings.mode === 'sentinel') return `sentinel ${settings.sentinel!.name}@${settings.sentinel!.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return safeHost(settings.url!);
}

function safeHost(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;
}

function hostPort(node: string): { host: string; port: number } {
  const colon = node.lastIndexOf(':');
  return { host: node.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(node.slice(colon + 1)) };
}
