/**
 * Gateway nodes as their heartbeats and config reports describe them. Held in memory: it is live
 * state that every node re-sends each interval, so a restarted control plane knows it again
 * within one heartbeat, and a heartbeat never costs a disk write.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;

/** Both the gateway and the control plane read this, so tests can shorten it. */
export function heartbeatIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.OUTPOST_HEARTBEAT_INTERVAL_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_HEARTBEAT_INTERVAL_MS;
}

export interface Heartbeat { nodeId: string; hostname: string; version: string; configRevision: number; uptimeSeconds: number; tokenExpiresAt?: string }
export interface ConfigReport { nodeId: string; revision: number; ok: boolean; problems?: unknown[]; backup?: { ok: boolean; error?: string; cause?: string }; reportedAt: string }
export interface NodeView extends Heartbeat { lastSeen: string; connected: boolean }

/** Forget a node entirely once it has been gone this many intervals (keeps the map bounded). */
const FORGET_AFTER_INTERVALS = 60;

export class NodeRegistry {
  private readonly nodes = new Map<string, Map<string, Heartbeat & { lastSeenMs: number }>>();
  private readonly reports = new Map<string, Map<string, ConfigReport>>();

  constructor(private readonly intervalMs: number) {}

  heartbeat(gatewayId: string, beat: Heartbeat, now = Date.now()): void {
    let nodes = this.nodes.get(gatewayId);
    if (!nodes) this.nodes.set(gatewayId, (nodes = new Map()));
    nodes.set(beat.nodeId, { ...beat, lastSeenMs: now });
  }

  report(gatewayId: string, report: ConfigReport): void {
    let reports = this.reports.get(gatewayId);
    if (!reports) this.reports.set(gatewayId, (reports = new Map()));
    reports.set(report.nodeId, report);
  }

  /** A node is gone once it has missed three heartbeats. */
  list(gatewayId: string, now = Date.now()): NodeView[] {
    const nodes = this.nodes.get(gatewayId);
    if (!nodes) return [];
    const out: NodeView[] = [];
    for (const [id, n] of nodes) {
      const age = now - n.lastSeenMs;
      if (age > FORGET_AFTER_INTERVALS * this.intervalMs) { nodes.delete(id); continue; }
      const { lastSeenMs, ...beat } = n;
      out.push({ ...beat, lastSeen: new Date(lastSeenMs).toISOString(), connected: age <= 3 * this.intervalMs });
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  connectedCount(gatewayId: string, now = Date.now()): number {
    return this.list(gatewayId, now).filter((n) => n.connected).length;
  }

  configStatus(gatewayId: string): ConfigReport[] {
    return [...(this.reports.get(gatewayId)?.values() ?? [])];
  }

  forget(gatewayId: string): void {
    this.nodes.delete(gatewayId);
    this.reports.delete(gatewayId);
  }
}
