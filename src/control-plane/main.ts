/**
 * `outpost control-plane [--port 7070] [--host 0.0.0.0] [--data DIR]`: reads the admin token,
 * opens the store and serves until SIGTERM/SIGINT.
 */
import { resolve } from 'node:path';
import { boundedInt, parseFlags, PORT_RANGE } from '../cli/usage.js';
import { errorFields, log } from '../shared/log.js';
import { readAdminToken } from './admin-auth.js';
import { heartbeatIntervalMs } from './nodes.js';
import { startControlPlane } from './server.js';

export async function controlPlaneCommand(args: string[]): Promise<void> {
  const { values } = parseFlags('control-plane', args, {
    port: { type: 'string', default: '7070' }, host: { type: 'string', default: '0.0.0.0' }, data: { type: 'string', default: './outpost-data' },
  });
  const port = boundedInt('--port', values.port, PORT_RANGE.min, PORT_RANGE.max);
  const adminToken = readAdminToken();
  const dataDir = resolve(values.data);
  const interval = heartbeatIntervalMs();
  const cp = await startControlPlane({ port, host: values.host, dataDir, adminToken, heartbeatIntervalMs: interval });
  log('info', 'control plane started', { port: cp.port, host: values.host, dataDir, revision: cp.store.revision(), heartbeatIntervalMs: interval });
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
