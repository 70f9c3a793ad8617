/**
 * Managed-mode settings: from the environment, overlaid by the env file (the file wins, so that
 * SIGHUP after editing it really swaps the token even when the old one is also in the
 * environment). APIM's names are accepted as they are; Outpost's own names cover the rest.
 */
import { readFileSync } from 'node:fs';
import { OutpostError } from '../../shared/errors.js';
import { readEnvFile } from './env-file.js';
import { parseGatewayToken, type GatewayToken } from './gateway-token.js';

export interface ManagedSettings {
  /** Base URL without a trailing slash; `/gateway/config` etc. are appended. */
  endpoint: string;
  token: GatewayToken;
  backupDir: string | null;
  caFile: string | null;
  /** PEM read from caFile at load time, so a bad path fails at startup (or SIGHUP), not mid-sync. */
  ca: string | null;
  heartbeatIntervalMs: number;
  /** A check at most this often when long polls come back early (APIM checks every 10 s). */
  syncIntervalMs: number;
  longPollSeconds: number;
  /** Cap of the jittered exponential backoff (from 1 s) of the quick checks while the control plane is unreachable. */
  retryMaxMs: number;
  /** Timeout of the first fetch at startup, before falling back to the backup. */
  startupTimeoutMs: number;
}

/** Each setting and the names it may be given under, first match wins. */
const NAMES = {
  endpoint: ['config.service.endpoint', 'OUTPOST_CONFIG_SERVICE_ENDPOINT'],
  auth: ['config.service.auth', 'OUTPOST_CONFIG_SERVICE_AUTH'],
  backupDir: ['OUTPOST_BACKUP_DIR'],
  caFile: ['OUTPOST_CA_FILE'],
  heartbeat: ['OUTPOST_HEARTBEAT_INTERVAL_MS'],
  sync: ['OUTPOST_SYNC_INTERVAL_MS'],
  longPoll: ['OUTPOST_LONG_POLL_SECONDS'],
  retryMax: ['OUTPOST_RETRY_MAX_MS'],
  startupTimeout: ['OUTPOST_STARTUP_TIMEOUT_MS'],
} as const;

export const KNOWN_SETTINGS: ReadonlySet<string> = new Set(Object.values(NAMES).flat());

export type SettingsMap = ReadonlyMap<string, string>;

/** The environment overlaid by the env file, if any. */
export async function readSettingsMap(envFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, string>> {
  const merged = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged.set(k, v);
  if (envFile) for (const [k, v] of await readEnvFile(envFile)) merged.set(k, v);
  return merged;
}

export function pick(map: SettingsMap, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = map.get(n);
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

export function hasEndpoint(map: SettingsMap): boolean {
  return pick(map, NAMES.endpoint) !== undefined;
}

/** `cp.example.com` → `https://cp.example.com` (as APIM assumes); URLs keep their scheme and path. */
export function normaliseEndpoint(value: string): string {
  const raw = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `config.service.endpoint: "${raw}" is neither a host name nor a URL`);
  }
  const bad = url.protocol !== 'http:' && url.protocol !== 'https:' ? 'must be http:// or https://'
    : url.hostname === '' ? 'has no host'
    : url.username || url.password ? 'must not carry credentials (the token is config.service.auth)'
    : url.search || url.hash ? 'must not have a query or fragment' : null;
  if (bad) throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `config.service.endpoint: "${raw}" ${bad}`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function intSetting(map: SettingsMap, names: readonly string[], fallback: number, min: number, max: number): number {
  const v = pick(map, names);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `${names[0]}: must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

/** Validates everything at once; `backupDir` from the CLI wins over the setting. */
export function resolveManagedSettings(map: SettingsMap, overrides: { backupDir?: string } = {}): ManagedSettings {
  const endpoint = pick(map, NAMES.endpoint);
  const auth = pick(map, NAMES.auth);
  if (!endpoint) throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', 'config.service.endpoint is not set');
  if (!auth) throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', 'config.service.auth (the GatewayKey token) is not set');
  const caFile = pick(map, NAMES.caFile) ?? null;
  let ca: string | null = null;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new OutpostError('OUTPOST_ERR_SETTINGS_INVALID', `OUTPOST_CA_FILE: cannot read ${caFile}: ${(err as Error).message}`);
    }
  }
  return {
    endpoint: normaliseEndpoint(endpoint),
    token: parseGatewayToken(auth),
    backupDir: overrides.backupDir ?? pick(map, NAMES.backupDir) ?? null,
    caFile,
    ca,
    heartbeatIntervalMs: intSetting(map, NAMES.heartbeat, 60_000, 100, 3_600_000),
    syncIntervalMs: intSetting(map, NAMES.sync, 10_000, 100, 3_600_000),
    longPollSeconds: intSetting(map, NAMES.longPoll, 30, 0, 60),
    retryMaxMs: intSetting(map, NAMES.retryMax, 5_000, 100, 600_000),
    startupTimeoutMs: intSetting(map, NAMES.startupTimeout, 10_000, 100, 600_000),
  };
}
