/**
 * The control plane's /metrics (Prometheus text) and /health, both outside admin auth: they say
 * how much the control plane holds and serves, never what (no ids, names or keys in labels).
 * Request counts are labelled by route class (a fixed list) and status code, so the series stay
 * few whatever paths clients send.
 */
import type { AuthThrottle } from './auth-throttle.js';
import type { NodeRegistry } from './nodes.js';
import type { Store } from './store.js';

export type RouteClass = 'gateway' | 'admin' | 'dashboard' | 'health' | 'metrics';

export function routeClassOf(path: string): RouteClass {
  if (path === '/health') return 'health';
  if (path === '/metrics') return 'metrics';
  if (path.startsWith('/gateway/')) return 'gateway';
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return 'dashboard';
  return 'admin';
}

export class ControlPlaneMetrics {
  /** `${class} ${status}` → count; at most 5 classes × the status codes the server sends. */
  private readonly requests = new Map<string, number>();
  readonly reports = { accepted: 0, rejected: 0 };
  /** Telemetry uploads stored, and the rows they held. */
  readonly telemetry = { uploads: 0, rows: 0 };
  /** Long polls held now (set by the server: the gateway API knows). */
  heldPolls: () => number = () => 0;

  constructor(private readonly store: Store, private readonly nodes: NodeRegistry, private readonly throttle: AuthThrottle) {}

  request(routeClass: RouteClass, status: number): void {
    const key = `${routeClass} ${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  render(): string {
    const totals = this.nodes.totals();
    const lines = [
      '# HELP outpost_cp_gateways Gateway resources in the store.',
      '# TYPE outpost_cp_gateways gauge',
      `outpost_cp_gateways ${this.store.count('gateways')}`,
      '# HELP outpost_cp_nodes_connected Gateway nodes whose last heartbeat is within three intervals.',
      '# TYPE outpost_cp_nodes_connected gauge',
      `outpost_cp_nodes_connected ${totals.connected}`,
      '# HELP outpost_cp_long_polls_held Config long polls from gateway nodes being held open.',
      '# TYPE outpost_cp_long_polls_held gauge',
      `outpost_cp_long_polls_held ${this.heldPolls()}`,
      '# HELP outpost_cp_config_reports_total Config-status reports received from gateway nodes.',
      '# TYPE outpost_cp_config_reports_total counter',
      `outpost_cp_config_reports_total{result="accepted"} ${this.reports.accepted}`,
      `outpost_cp_config_reports_total{result="rejected"} ${this.reports.rejected}`,
      '# HELP outpost_cp_config_reports_kept Config-status reports held in memory (the last few per node).',
      '# TYPE outpost_cp_config_reports_kept gauge',
      `outpost_cp_config_reports_kept ${totals.reports}`,
      '# HELP outpost_cp_telemetry_uploads_total Telemetry uploads from gateway nodes stored (re-sent batches not counted).',
      '# TYPE outpost_cp_telemetry_uploads_total counter',
      `outpost_cp_telemetry_uploads_total ${this.telemetry.uploads}`,
      '# HELP outpost_cp_telemetry_rows_total Per-minute telemetry rows stored from uploads.',
      '# TYPE outpost_cp_telemetry_rows_total counter',
      `outpost_cp_telemetry_rows_total ${this.telemetry.rows}`,
      '# HELP outpost_cp_auth_throttled_total Credential attempts refused with 429 because their address was throttled.',
      '# TYPE outpost_cp_auth_throttled_total counter',
      `outpost_cp_auth_throttled_total ${this.throttle.throttled}`,
      '# HELP outpost_cp_auth_throttle_addresses Client addresses with recent credential failures.',
      '# TYPE outpost_cp_auth_throttle_addresses gauge',
      `outpost_cp_auth_throttle_addresses ${this.throttle.size}`,
      '# HELP outpost_cp_requests_total Requests answered, by route class and status code.',
      '# TYPE outpost_cp_requests_total counter',
      ...[...this.requests.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => {
        const [routeClass, status] = key.split(' ');
        return `outpost_cp_requests_total{route="${routeClass}",status="${status}"} ${n}`;
      }),
    ];
    return lines.join('\n') + '\n';
  }
}
