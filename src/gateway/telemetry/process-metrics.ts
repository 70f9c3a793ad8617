/**
 * Process metrics of the gateway (prom-client's names): CPU seconds, resident memory, open file
 * descriptors (from /proc/self/fd, where it exists), start time, and the primary's event-loop
 * delay. Workers' event-loop delay comes with their telemetry (render-metrics.ts).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const startSeconds = Math.round(Date.now() / 1000 - process.uptime());

export class ProcessMetrics {
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });

  constructor() { this.loop.enable(); }

  render(): string {
    const cpu = process.cpuUsage();
    const lines = [
      '# HELP process_cpu_user_seconds_total User CPU time of the whole process (all threads).', '# TYPE process_cpu_user_seconds_total counter',
      `process_cpu_user_seconds_total ${cpu.user / 1e6}`,
      '# HELP process_cpu_system_seconds_total System CPU time of the whole process.', '# TYPE process_cpu_system_seconds_total counter',
      `process_cpu_system_seconds_total ${cpu.system / 1e6}`,
      '# HELP process_cpu_seconds_total User and system CPU time.', '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
      '# HELP process_resident_memory_bytes Resident memory size.', '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      '# HELP process_start_time_seconds Start time of the process, unix seconds.', '# TYPE process_start_time_seconds gauge',
      `process_start_time_seconds ${startSeconds}`,
    ];
    const fds = openFds();
    if (fds >= 0) lines.push('# HELP process_open_fds Open file descriptors.', '# TYPE process_open_fds gauge', `process_open_fds ${fds}`);
    lines.push(
      '# HELP outpost_event_loop_delay_seconds Event-loop delay of the primary thread since the last scrape.', '# TYPE outpost_event_loop_delay_seconds gauge',
      `outpost_event_loop_delay_seconds{quantile="0.99"} ${this.loop.percentile(99) / 1e9}`,
      `outpost_event_loop_delay_seconds{quantile="1"} ${this.loop.max / 1e9}`,
    );
    this.loop.reset();
    return lines.join('\n') + '\n';
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}
