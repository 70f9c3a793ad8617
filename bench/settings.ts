/**
 * The bench's knobs, read once from the environment and checked: a typo in BENCH_TARGETS must
 * stop the bench at once, not silently drop a peer from a published comparison.
 */

/** `relay`: Node's I/O floor (bench/relay.ts), not a proxy: a reference for how much of the gateway's cost is Node's own. */
export const ALL_TARGETS = ['nginx', 'gateway', 'haproxy', 'caddy', 'relay'] as const;
export type TargetName = (typeof ALL_TARGETS)[number];

/**
 * plain: every target proxies one route. policies: the gateway with subscription key,
 * rate-limit-by-key and set-header. workers2: the gateway with two workers against its one worker,
 * and nginx's two against its one as the reference for what that layout costs any proxy (CPU per
 * request, in paired windows after the rounds: bench/two-workers.ts).
 * https: as `plain`, through the gateway's HTTPS listener (what TLS costs per request).
 * telemetry-off: the plain gateway with metrics recording and request logs off, in the same round
 * as plain (which has both on, the defaults): the difference is their CPU cost per request.
 * metrics-only: metrics on, request logs off: against telemetry-off, what metrics cost; against
 * plain, what request logs cost.
 * fixed-rate: every target at half of nginx's max rate (BENCH_PACED_SHARES: other shares too), for
 * added p99 over a direct hit.
 */
export const ALL_SCENARIOS = ['plain', 'policies', 'workers2', 'https', 'telemetry-off', 'metrics-only', 'fixed-rate'] as const;
/**
 * Run only when BENCH_SCENARIOS names them. close: every target as in plain, but each request on a
 * connection of its own (`Connection: close`, CLOSE_CONNECTIONS at a time): what accepting and
 * closing a connection costs, which clients without keep-alive (health checkers, some SDKs) pay.
 */
export const EXTRA_SCENARIOS = ['close'] as const;
export const KNOWN_SCENARIOS = [...ALL_SCENARIOS, ...EXTRA_SCENARIOS] as const;
export type ScenarioName = (typeof KNOWN_SCENARIOS)[number];

/**
 * wrk's connections in the close scenario. Each one reconnects after every response, and on the
 * load core opening connections is what runs out first: 16 keep a saturated gateway busy (its
 * core 97% at ~5,700 requests/s on the AMD VM, 2026-12-08) without a connect storm of 64.
 */
export const CLOSE_CONNECTIONS = 16;

export interface Settings {
  /** Seconds per measured run. */
  durationS: number;
  /** Seconds of unmeasured load before each measured run (JIT, pools, caches). */
  warmupS: number;
  rounds: number;
  /**
   * Rounds of the fixed-rate runs (direct, then every target, alternating order); the verdict
   * compares medians over them.
   */
  pacedRounds: number;
  /**
   * Seconds of the same paced load before each fixed-rate run, unmeasured (its p99 is reported as
   * the warm-up's). Longer than warmupS: the fixed-rate part measures the latency a proxy adds in
   * its steady state, and a gateway just started is not in it yet. Measured on the AMD VM (the
   * bench's layout, 20,000 requests/s, the gateway's primary without its memory reducer): the
   * first 10 s run after a 2 s warm-up had p99 4.7 ms, with 7-17 ms windows spread over it; the
   * two runs right after it 2.1 and 2.5 ms.
   */
  pacedWarmupS: number;
  /**
   * The fixed rates, each a share of nginx's max rate in percent (5..95), run in this order, each
   * with its own rounds. The target is defined at 50 (PACED_TARGET_SHARE), the default; other
   * shares say how the added latency grows with the load, and get no verdict.
   */
  pacedShares: number[];
  /** Pairs of windows (one worker, two workers) per proxy in the workers2 scenario. */
  pairs: number;
  /** Seconds per window of a pair. */
  pairWindowS: number;
  /** wrk connections (one wrk thread: `wrk -t1 -cN`). */
  connections: number;
  targets: TargetName[];
  scenarios: ScenarioName[];
  cpuProf: boolean;
}

export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number in ${min}..${max}, got "${raw}"`);
  return value;
}

/**
 * A comma-separated subset of `all`, kept in `all`'s order (the order rounds alternate from);
 * `defaults` (all of them unless given) when unset.
 */
function envList<T extends string>(env: NodeJS.ProcessEnv, name: string, all: readonly T[], defaults: readonly T[] = all): T[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...defaults];
  const wanted = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !(all as readonly string[]).includes(w));
  if (unknown.length > 0 || wanted.length === 0) throw new Error(`${name} must list some of ${all.join(', ')}; got "${raw}"`);
  return all.filter((a) => wanted.includes(a));
}

/** The share of nginx's max rate (percent) the fixed-rate target is defined at. */
export const PACED_TARGET_SHARE = 50;

/** A comma-separated list of distinct whole percentages in 5..95 ("30,40,50"), in the given order. */
function envShares(env: NodeJS.ProcessEnv, name: string): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [PACED_TARGET_SHARE];
  const parts = raw.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  const bad = parts.filter((p, i) => p === '' || !Number.isInteger(values[i]) || values[i] < 5 || values[i] > 95);
  if (bad.length > 0) throw new Error(`${name} must list whole percentages of nginx's max rate in 5..95 ("30,40,50"); got "${raw}"`);
  if (new Set(values).size !== values.length) throw new Error(`${name} lists a share twice: "${raw}"`);
  return values;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    durationS: envInt(env, 'BENCH_DURATION', 10, 1, 600),
    warmupS: envInt(env, 'BENCH_WARMUP', 2, 0, 60),
    rounds: envInt(env, 'BENCH_ROUNDS', 3, 1, 20),
    pacedRounds: envInt(env, 'BENCH_PACED_ROUNDS', 3, 1, 10),
    pacedWarmupS: envInt(env, 'BENCH_PACED_WARMUP', 10, 0, 120),
    pacedShares: envShares(env, 'BENCH_PACED_SHARES'),
    pairs: envInt(env, 'BENCH_PAIRS', 8, 1, 40),
    pairWindowS: envInt(env, 'BENCH_PAIR_DURATION', 4, 2, 60),
    connections: envInt(env, 'BENCH_CONNECTIONS', 64, 1, 4096),
    targets: envList(env, 'BENCH_TARGETS', ALL_TARGETS),
    scenarios: envList(env, 'BENCH_SCENARIOS', KNOWN_SCENARIOS, ALL_SCENARIOS),
    cpuProf: env.BENCH_CPU_PROF === '1',
  };
}
