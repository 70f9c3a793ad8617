/** bench:ab's report (ab.ts): the windows, and B − A over the saturated ones. */
import { spread } from './verdict.js';

/** A gateway's CPU by thread (ab.ts byThread): in ticks while measuring, µs per request in a window. */
export interface ThreadSplit { primary: number; worker: number; rest: number }

export interface AbWindow {
  /** CPU µs per request of A and B, their requests per second, core 0's busy share. */
  aUs: number; bUs: number; aRps: number; bRps: number; core0Busy: number;
  saturated: boolean;
  /** The same µs per request by thread. */
  aThreads: ThreadSplit; bThreads: ThreadSplit;
}

/** The window lines and the summary of B − A over the saturated windows. */
export function abReport(a: string, b: string, windows: AbWindow[]): string[] {
  const lines = ['window  A µs/req  B µs/req  B − A µs  A req/s  B req/s  core 0 busy'];
  windows.forEach((w, i) => {
    lines.push(`${String(i + 1).padStart(6)}  ${w.aUs.toFixed(2).padStart(8)}  ${w.bUs.toFixed(2).padStart(8)}  ${(w.bUs - w.aUs).toFixed(2).padStart(8)}  `
      + `${Math.round(w.aRps).toLocaleString('en-US').padStart(7)}  ${Math.round(w.bRps).toLocaleString('en-US').padStart(7)}  ${(w.core0Busy * 100).toFixed(0).padStart(10)}%`
      + (w.saturated ? '' : '  load-generator bound: left out'));
  });
  const valid = windows.filter((w) => w.saturated);
  const diff = spread(valid.map((w) => w.bUs - w.aUs));
  const ratio = spread(valid.map((w) => w.bUs / w.aUs));
  if (diff === null || ratio === null) lines.push(`B (${b}) − A (${a}): no saturated window`);
  else {
    lines.push(`B (${b}) − A (${a}), CPU per request over ${valid.length} saturated windows: median ${diff.median.toFixed(2)} µs [${diff.min.toFixed(2)} to ${diff.max.toFixed(2)}]; `
      + `B/A ${ratio.median.toFixed(3)} [${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}]`);
    const part = (key: keyof ThreadSplit): string => {
      const d = spread(valid.map((w) => w.bThreads[key] - w.aThreads[key]))!;
      return `${key} ${d.median.toFixed(2)} [${d.min.toFixed(2)} to ${d.max.toFixed(2)}]`;
    };
    lines.push(`  by thread (median µs per request): ${part('worker')}; ${part('primary')}; ${part('rest')} (libuv's pool, V8's helpers)`);
  }
  return lines;
}

