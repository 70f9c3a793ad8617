/** Prometheus text for the ops listener's /metrics. */
import type { ConfigState } from './config-state.js';
import type { Supervisor } from './supervisor.js';

export function renderMetrics(state: ConfigState, supervisor: Supervisor): string {
  const workers = supervisor.status();
  const lines = [
    '# HELP outpost_config_generation Generation number of the routing table being served.',
    '# TYPE outpost_config_generation gauge',
    `outpost_config_generation ${state.generation}`,
    '# HELP outpost_config_reloads_total Config reloads that were published.',
    '# TYPE outpost_config_reloads_total counter',
    `outpost_config_reloads_total ${state.reloads}`,
    '# HELP outpost_config_reload_failures_total Config reloads rejected (invalid or failed to compile).',
    '# TYPE outpost_config_reload_failures_total counter',
    `outpost_config_reload_failures_total ${state.reloadFailures}`,
    '# HELP outpost_workers_accepting Worker threads currently accepting requests.',
    '# TYPE outpost_workers_accepting gauge',
    `outpost_workers_accepting ${workers.filter((w) => w.phase === 'accepting').length}`,
    '# HELP outpost_worker_restarts_total Workers replaced after exiting unexpectedly.',
    '# TYPE outpost_worker_restarts_total counter',
    `outpost_worker_restarts_total ${supervisor.restartsTotal}`,
  ];
  return lines.join('\n') + '\n';
}
