/** Samples a process's resident set size from /proc (Linux), for memory-bound assertions. */
import { readFileSync } from 'node:fs';

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try { peak = Math.max(peak, rssBytes(pid)); } catch { /* process gone */ }
  }, everyMs);
  return { stop: () => { clearInterval(timer); return peak; } };
}
