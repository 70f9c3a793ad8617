/**
 * Heartbeats: the control plane counts a gateway's nodes by them (a node is gone after three
 * missed beats). Sent at start and then every OUTPOST_HEARTBEAT_INTERVAL_MS; a failed beat is
 * only logged at debug level, since the sync loop already reports an unreachable control plane.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { errorFields, log } from '../../shared/log.js';
import type { ControlPlaneClient } from './control-plane-client.js';

export interface HeartbeatBody {
  nodeId: string;
  hostname: string;
  version: string;
  configRevision: number;
  uptimeSeconds: number;
  tokenExpiresAt: string;
}

/** Unique per process: a restarted node is a new node, and the old one times out. */
export const NODE_ID = `${hostname()}-${process.pid}`;

export const VERSION = readVersion();

function readVersion(): string {
  // dist/src/gateway/managed/ → the package root holds package.json (src/ layout alike, one level less).
  for (const rel of ['../../../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'outpost' && pkg.version) return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private intervalMs = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly client: ControlPlaneClient, private readonly body: () => Omit<HeartbeatBody, 'nodeId' | 'hostname' | 'version' | 'uptimeSeconds'>) {}

  /** (Re)starts the timer; a changed interval (SIGHUP) applies at once. */
  start(intervalMs: number): void {
    if (this.timer && intervalMs === this.intervalMs) return;
    this.stop();
    this.intervalMs = intervalMs;
    this.timer = setInterval(() => void this.beat(), intervalMs);
    this.timer.unref();
    void this.beat();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async beat(): Promise<void> {
    const body: HeartbeatBody = {
      nodeId: NODE_ID, hostname: hostname(), version: VERSION,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      ...this.body(),
    };
    try {
      await this.client.post('/gateway/heartbeat', body);
    } catch (err) {
      log('debug', 'heartbeat failed', errorFields(err));
    }
  }
}
