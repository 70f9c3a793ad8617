/**
 * Gateway nodes as their heartbeats and config reports describe them. Held in memory: it is live
 * state that every node re-sends each interval, so a restarted control plane knows it again
 * within one heartbeat, and a heartbeat never costs a disk write.
 *
 * Bounded, since node ids are whatever a gateway token holder sends: at most MAX_NODES ids per
 * gateway (a new id past that first pushes out the longest-silent node that is no longer
 * connected; when every tracked node is connected, the new id is refused), and the last
 * REPORTS_PER_NODE config reports per node.
 */
import type { ReportedProblem } from '../shared/config-status-report.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;
export const MAX_NODES = 64;
export const REPORTS_PER_NODE = 5;

/** Both the gateway and the control plane read this, so tests can shorten it. */
export function heartbeatIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.OUTPOST_HEARTBEAT_INTERVAL_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_HEARTBEAT_INTERVAL_MS;
}

export interface Heartbeat { nodeId: string; hostname: string; version: string; configRevision: number; uptimeSeconds: number; tokenExpiresAt?: string }
export interface ConfigReport { nodeId: string; revision: number; ok: boolean; problems?: ReportedProblem[]; problemCount?: number; backup?: { ok: boolean; error?: string; cause?: string }; reportedAt: string }
export interface NodeView extends Heartbeat { lastSeen: string; connected: boolean }

/** Forget a node entirely once it has been gone this many intervals. */
const FORGET_AFTER_INTERVALS = 60;
/** A node is gone (not connected) once it has missed three heartbeats. */
const CONNECTED_INTERVALS = 3;

interface NodeState { beat?: Heartbeat; lastSeenMs: number; reports: ConfigReport[] }

export class NodeRegistry {
  private readonly nodes = new Map<string, Map<string, NodeState>>();

  constructor(readonly intervalMs: number, private readonly maxNodes = MAX_NODES) {}

  /** False when the node is new and the gateway already tracks its maximum of connected nodes. */
  heartbeat(gatewayId: string, beat: Heartbeat, now = Date.now()): boolean {
    const node = this.admitNode(gatewayId, beat.nodeId, now);
    if (!node) return false;
    node.beat = beat;
    node.lastSeenMs = now;
    return true;
  }

  /** False as for heartbeat. Keeps the last REPORTS_PER_NODE reports of the node. */
  report(gatewayId: string, report: ConfigReport, now = Date.now()): boolean {
    const node = this.admitNode(gatewayId, report.nodeId, now);
    if (!node) return false;
    node.lastSeenMs = now;
    node.reports.push(report);
    if (node.reports.length > REPORTS_PER_NODE) node.reports.splice(0, node.reports.length - REPORTS_PER_NODE);
    return true;
  }

  /** Telemetry from a node: admitted under the same bound as heartbeats (false when refused). Not a heartbeat: lastSeen stays. */
  admit(gatewayId: string, nodeId: string, now = Date.now()): boolean {
    return this.admitNode(gatewayId, nodeId, now) !== undefined;
  }

  list(gatewayId: string, now = Date.now()): NodeView[] {
    const out: NodeView[] = [];
    for (const [, n] of this.live(gatewayId, now)) {
      if (!n.beat) continue;
      out.push({ ...n.beat, lastSeen: new Date(n.lastSeenMs).toISOString(), connected: this.connected(n, now) });
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  connectedCount(gatewayId: string, now = Date.now()): number {
    return this.list(gatewayId, now).filter((n) => n.connected).length;
  }

  /** Every kept report, by node id, each node's oldest first. */
  configStatus(gatewayId: string, now = Date.now()): ConfigReport[] {
    const ids = [...this.live(gatewayId, now).keys()].sort();
    return ids.flatMap((id) => this.nodes.get(gatewayId)!.get(id)!.reports);
  }

  /** Node ids tracked for a gateway (for /metrics). */
  nodeCount(gatewayId: string): number {
    return this.nodes.get(gatewayId)?.size ?? 0;
  }

  /** Every gateway's connected nodes and kept reports (for /metrics). */
  totals(now = Date.now()): { connected: number; reports: number } {
    let connected = 0;
    let reports = 0;
    for (const id of this.nodes.keys()) {
      for (const [, n] of this.live(id, now)) {
        if (n.beat && this.connected(n, now)) connected++;
        reports += n.reports.length;
      }
    }
    return { connected, reports };
  }

  forget(gatewayId: string): void {
    this.nodes.delete(gatewayId);
  }

  private connected(n: NodeState, now: number): boolean {
    return now - n.lastSeenMs <= CONNECTED_INTERVALS * this.intervalMs;
  }

  /** The gateway's nodes after dropping those gone long enough to forget. */
  private live(gatewayId: string, now: number): Map<string, NodeState> {
    const nodes = this.nodes.get(gatewayId);
    if (!nodes) return new Map();
    for (const [id, n] of nodes) if (now - n.lastSeenMs > FORGET_AFTER_INTERVALS * this.intervalMs) nodes.delete(id);
    return nodes;
  }

  private admitNode(gatewayId: string, nodeId: string, now: number): NodeState | undefined {
    let nodes = this.nodes.get(gatewayId);
    if (!nodes) this.nodes.set(gatewayId, (nodes = new Map()));
    const known = nodes.get(nodeId);
    if (known) return known;
    if (nodes.size >= this.maxNodes) {
      this.live(gatewayId, now);
      if (nodes.size >= this.maxNodes) {
        let oldest: string | undefined;
        let oldestMs = Infinity;
        for (const [id, n] of nodes) if (!this.connected(n, now) && n.lastSeenMs < oldestMs) { oldest = id; oldestMs = n.lastSeenMs; }
        if (oldest === undefined) return undefined;
        nodes.delete(oldest);
      }
    }
    const node: NodeState = { lastSeenMs: now, reports: [] };
    nodes.set(nodeId, node);
    return node;
  }
}
