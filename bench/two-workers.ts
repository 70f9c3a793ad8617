/**
 * The `workers2` scenario: what a second worker does to a proxy's CPU per request, measured in
 * paired windows.
 *
 * Why paired: on the bench's VMs one build's CPU per request moves by 30% or more within a minute
 * (README, Performance), and the rounds put a proxy's one- and two-worker runs 30-60 s apart, so a
 * ratio of the two said more about the host's minute than about the proxy: in one `npm run bench`
 * the gateway's rounds gave 0.68, 1.28 and 1.27. Here both instances (one worker on the proxy
 * core; two on both cores) run at once, idle but for the window they are loaded in, and each pair is
 * two back-to-back windows of a few seconds, the order alternating from pair to pair; the ratio is
 * taken within each pair and the verdict on the median over the pairs. nginx gets the same
 * treatment: its ratio says what the layout itself costs any proxy (the second worker shares core 1
 * with wrk and the backend, so neither of the two is saturated, and every proxy spends more a
 * request below saturation).
 */
import { measure, type Load, type Measurement } from './measure.js';
import { runWrk } from './wrk.js';
import type { Target } from './targets.js';
import { pairRatio, spread, type Spread } from './verdict.js';

/** One pair of windows: the one-worker instance's and the two-worker instance's, back to back. */
export interface WorkersPair {
  target: string;
  pair: number;
  one: Measurement;
  two: Measurement;
  /** Two workers' CPU per request over one worker's; null when the one-worker window was not saturated. */
  ratio: number | null;
}

export interface PairedOptions {
  pairs: number;
  windowS: number;
  warmupS: number;
  connections: number;
  loadCore: number | null;
  proxyCore: number | null;
  backendPids: () => number[];
  load: Extract<Load, { kind: 'wrk' }>;
}

/**
 * Starts `startOne()` and `startTwo()` (kept running together), warms each, then measures
 * `opts.pairs` pairs of windows; one worker first on even pairs, two workers first on odd ones.
 */
export async function measurePairs(
  target: string, startOne: () => Promise<Target>, startTwo: () => Promise<Target>, opts: PairedOptions,
  progress: (line: string) => void,
): Promise<WorkersPair[]> {
  const one = await startOne();
  try {
    const two = await startTwo();
    try {
      for (const t of [one, two]) {
        if (opts.warmupS > 0) await runWrk({ url: t.url, core: opts.loadCore, durationS: opts.warmupS, connections: opts.connections, script: opts.load.script, headers: t.headers });
      }
      const window = (t: Target) => measure(t, { ...opts, durationS: opts.windowS });
      const out: WorkersPair[] = [];
      for (let pair = 0; pair < opts.pairs; pair++) {
        progress(`workers2 ${target}: pair ${pair + 1}/${opts.pairs}, ${opts.windowS} s windows, ${pair % 2 === 0 ? 'one worker first' : 'two workers first'}`);
        let m1: Measurement;
        let m2: Measurement;
        if (pair % 2 === 0) { m1 = await window(one); m2 = await window(two); } else { m2 = await window(two); m1 = await window(one); }
        out.push({ target, pair, one: m1, two: m2, ratio: pairRatio(m1, m2) });
      }
      return out;
    } finally {
      await two.stop();
    }
  } finally {
    await one.stop();
  }
}

export interface WorkersSummary {
  target: string;
  pairs: number;
  /** Over the pairs whose one-worker window was saturated. */
  ratio: Spread | null;
  oneCpuUsPerReq: Spread | null;
  twoCpuUsPerReq: Spread | null;
  twoReqPerSec: Spread | null;
}

export function summarizePairs(pairs: WorkersPair[]): WorkersSummary[] {
  const targets = [...new Set(pairs.map((p) => p.target))];
  return targets.map((target) => {
    const mine = pairs.filter((p) => p.target === target);
    return {
      target,
      pairs: mine.length,
      ratio: spread(mine.map((p) => p.ratio)),
      oneCpuUsPerReq: spread(mine.map((p) => p.one.cpuUsPerReq.proxy)),
      twoCpuUsPerReq: spread(mine.map((p) => p.two.cpuUsPerReq.proxy)),
      twoReqPerSec: spread(mine.map((p) => p.two.reqPerSec)),
    };
  });
}
