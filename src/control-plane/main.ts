/**
 * `outpost control-plane [--port 7070] [--host 127.0.0.1] [--data DIR] [--analytics-retention-days 7]`: reads the admin token,
 * opens the store and serves until SIGTERM/SIGINT. It listens on loopback unless told otherwise
 * (`--host`, else OUTPOST_CONTROL_PLANE_HOST): exposing it is a choice, not a default.
 */
import { resolve } from 'node:path';
import { boundedInt, parseFlags, PORT_RANGE } from '../cli/usage.js';
import { errorFields, log } from '../shared/log.js';
import { readAdminToken } from './admin-auth.js';
import { heartbeatIntervalMs } from './nodes.js';
import { startControlPlane } from './server.js';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from './analytics-store.js';

const DEFAULT_HOST = '127.0.0.1';

export async function controlPlaneCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('control-plane', args, {
    port: { type: 'string', default: '7070' }, host: { type: 'string' }, data: { type: 'string', default: './outpost-data' },
    'analytics-retention-days': { type: 'string' },
  });
  const retentionRaw = values['analytics-retention-days'] ?? process.env.OUTPOST_ANALYTICS_RETENTION_DAYS;
  const analyticsRetentionDays = retentionRaw === undefined || retentionRaw === ''
    ? DEFAULT_RETENTION_DAYS
    : boundedInt(values['analytics-retention-days'] !== undefined ? '--analytics-retention-days' : 'OUTPOST_ANALYTICS_RETENTION_DAYS', retentionRaw, 1, MAX_RETENTION_DAYS);
  const port = boundedInt('--port', values.port, PORT_RANGE.min, PORT_RANGE.max);
  const host = values.host ?? (process.env.OUTPOST_CONTROL_PLANE_HOST || DEFAULT_HOST);
  const adminToken = readAdminToken();
  const dataDir = resolve(values.data);
  const interval = heartbeatIntervalMs();
  const cp = await startControlPlane({ port, host, dataDir, adminToken, heartbeatIntervalMs: interval, analyticsRetentionDays });
  log('info', 'control plane started', { port: cp.port, host, dataDir, revision: cp.store.revision(), heartbeatIntervalMs: interval, analyticsRetentionDays });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'control plane stopping', { signal });
    setTimeout(() => process.exit(0), 5_000).unref();
    cp.close().then(() => process.exit(0), (err) => { log('error', 'shutdown failed', errorFields(err)); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
