/**
 * gateway.cpuAffinity → the CPU of each worker. `auto` spreads workers over the CPUs this process
 * may use (its affinity mask, which a container's cpuset or `taskset` narrows, not 0..n-1), worker
 * i on the i-th of them, wrapping around; a list puts worker i on list[i mod length].
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { GatewaySettings } from '../../shared/config-schema.js';
import { log } from '../../shared/log.js';

/** Parses a kernel CPU list such as "0-3,8,10-11". Null when it is not one. */
export function parseCpuList(text: string): number[] | null {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > 1023) return null;
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (Linux: Cpus_allowed_list); elsewhere 0..n-1. */
export function allowedCpus(): number[] {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const cpus = line ? parseCpuList(line[1]) : null;
    if (cpus && cpus.length > 0) return cpus;
  } catch {
    // Not Linux (no /proc): fall through.
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** The CPU for worker `index`, or null when gateway.cpuAffinity is absent. */
export function cpuForWorker(affinity: GatewaySettings['cpuAffinity'], index: number, allowed: readonly number[]): number | null {
  if (affinity === undefined) return null;
  const cpus = affinity === 'auto' ? allowed : affinity;
  return cpus[index % cpus.length];
}

/** The placement the supervisor uses; logs the plan once, and warns about CPUs the process may not use. */
export function workerPlacement(affinity: GatewaySettings['cpuAffinity'], workers: number): (index: number) => number | null {
  if (affinity === undefined) return () => null;
  const allowed = allowedCpus();
  const plan = Array.from({ length: workers }, (_, i) => cpuForWorker(affinity, i, allowed));
  const outside = [...new Set(plan.filter((cpu) => cpu !== null && !allowed.includes(cpu)))];
  log(outside.length > 0 ? 'warn' : 'info', 'worker CPU placement', {
    field: 'gateway.cpuAffinity', cpuAffinity: affinity, allowedCpus: allowed, workerCpus: plan,
    ...(outside.length > 0 ? { problem: `CPUs ${outside.join(', ')} are not among the CPUs this process may use: those workers stay unpinned` } : {}),
  });
  return (index) => cpuForWorker(affinity, index, allowed);
}
