/**
 * The pure parts of `npm run bench`: reading wrk's output (the Lua percentiles and the --latency
 * table) and the pacer's, the saturation verdict, which ratios may be published, spread, round
 * order, pacing and the settings. The bench itself is not part of `npm test`.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { addedP99Spread, fixedRateFor, isBaseline, isOnRate, loadCoreNotes, MIN_CYCLE_MS, p99TargetMet, pacedConnections, type PacedResult } from '../../bench/fixed-rate.js';
import { parsePacerOutput } from '../../bench/pacer.js';
import { summarize, type Run } from '../../bench/report.js';
import { readSettings } from '../../bench/settings.js';
import { summarizePairs, type WorkersPair } from '../../bench/two-workers.js';
import { LOADGEN_BOUND, pairRatio, roundOrder, roundRatios, saturation, spread, twoWorkerTargetMet, type RunFigures } from '../../bench/verdict.js';
import { parseWrkOutput, parseWrkTime } from '../../bench/wrk.js';

/** Captured from wrk 4.1.0 (Debian) with the bench's done() script. */
const WRK_OUTPUT = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.33ms    2.16ms  13.57ms   85.56%
    Req/Sec     6.62k     0.86k    7.96k    50.00%
  Latency Distribution
     50%   91.00us
     75%    1.96ms
     90%    4.45ms
     99%    9.46ms
  6664 requests in 1.01s, 0.95MB read
Requests/sec:   6581.12
Transfer/sec:      0.94MB
OUTPOST_WRK_JSON {"requests":6664,"durationUs":1012594,"bytes":992916,"errors":{"connect":0,"read":0,"write":0,"status":3,"timeout":1},"latencyUs":{"min":35,"max":13569,"mean":1326.5,"stdev":2163.4,"p50":91,"p90":4446,"p99":9463,"p99_9":12092}}
`;

test('wrk output: exact percentiles from the Lua line, rate from requests over duration', () => {
  const r = parseWrkOutput(WRK_OUTPUT);
  assert.equal(r.requests, 6664);
  assert.equal(r.durationS, 1.012594);
  assert.equal(Math.round(r.reqPerSec), 6581);
  assert.equal(r.bytesPerResponse, 149);
  assert.deepEqual(r.latencyUs, { min: 35, max: 13569, mean: 1326.5, stdev: 2163.4, p50: 91, p90: 4446, p99: 9463, p99_9: 12092 });
  assert.deepEqual(r.errors, { connect: 0, read: 0, write: 0, status: 3, timeout: 1 });
  assert.deepEqual(r.textLatencyUs, { p50: 91, p75: 1960, p90: 4450, p99: 9460 });
});

test('wrk output without the Lua line is an error, not zeros', () => {
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /OUTPOST_WRK_JSON/);
});

test('wrk time units', () => {
  assert.equal(parseWrkTime('91.00us'), 91);
  assert.equal(parseWrkTime('1.96ms'), 1960);
  assert.equal(parseWrkTime('2.00s'), 2_000_000);
  assert.ok(Number.isNaN(parseWrkTime('fast')));
});

test('saturation: 90% of the proxy\'s cores or more', () => {
  assert.deepEqual(saturation(900_000, 1_000_000), { share: 0.9, saturated: true });
  assert.equal(saturation(899_999, 1_000_000).saturated, false);
  assert.equal(saturation(1_000_000, 1_000_000, 2).share, 0.5);
  assert.equal(saturation(5, 0).saturated, false);
});

const run = (round: number, scenario: string, target: string, reqPerSec: number, cpuUsPerReq: number, saturated: boolean): RunFigures =>
  ({ round, scenario, target, reqPerSec, cpuUsPerReq, saturated });

test('ratios to nginx in the same round, only when both runs were saturated', () => {
  const ratios = roundRatios([
    run(0, 'plain', 'nginx', 40_000, 10, true),
    run(0, 'plain', 'gateway', 20_000, 25, true),
    run(0, 'plain', 'haproxy', 30_000, 12, false),
    run(1, 'plain', 'nginx', 30_000, 12, false),
    run(1, 'plain', 'gateway', 21_000, 24, true),
  ]);
  assert.equal(ratios.length, 3, 'nginx plain is the reference, not a ratio');
  assert.deepEqual(ratios[0], { round: 0, scenario: 'plain', target: 'gateway', versus: 'nginx plain', reqPerSec: 0.5, cpuPerReq: 2.5, verdict: 'ok' });
  assert.equal(ratios[1].verdict, LOADGEN_BOUND);
  assert.equal(ratios[1].why, 'haproxy plain');
  assert.equal(ratios[1].reqPerSec, null);
  assert.equal(ratios[2].verdict, LOADGEN_BOUND, 'an unsaturated nginx voids the round\'s ratios');
  assert.equal(ratios[2].cpuPerReq, null);
});

test('close runs: each target against nginx\'s own close run in the round, never against plain', () => {
  const ratios = roundRatios([
    run(0, 'plain', 'nginx', 40_000, 10, true),
    run(0, 'close', 'nginx', 12_000, 60, true),
    run(0, 'close', 'gateway', 6_000, 150, true),
    run(1, 'plain', 'nginx', 40_000, 10, true),
    run(1, 'close', 'nginx', 9_000, 70, false),
    run(1, 'close', 'gateway', 5_800, 165, true),
    run(2, 'close', 'relay', 7_000, 100, true),
  ]);
  assert.deepEqual(ratios.map((r) => [r.round, r.target, r.versus]), [[0, 'gateway', 'nginx close'], [1, 'gateway', 'nginx close'], [2, 'relay', 'nginx close']], 'nginx close is the reference, not a ratio');
  assert.deepEqual(ratios[0], { round: 0, scenario: 'close', target: 'gateway', versus: 'nginx close', reqPerSec: 0.5, cpuPerReq: 2.5, verdict: 'ok' });
  assert.equal(ratios[1].verdict, LOADGEN_BOUND, 'nginx below its core\'s limit (the load core opening connections): no ratio');
  assert.equal(ratios[1].why, 'nginx close');
  assert.equal(ratios[2].verdict, 'no reference run');
});

test('workers2: a pair\'s ratio is two workers\' CPU per request over one worker\'s, only from a saturated one-worker window', () => {
  const window = (cpu: number, saturated: boolean) => ({ cpuUsPerReq: { proxy: cpu }, saturated });
  assert.equal(pairRatio(window(25, true), window(27.5, false)), 1.1, 'the two-worker window shares the load core: no saturation asked of it');
  assert.equal(pairRatio(window(25, false), window(20, false)), null, 'an unsaturated one-worker window would flatter the ratio');
  assert.equal(pairRatio(window(0, true), window(20, false)), null, 'no requests: no ratio');
  const pair = (target: string, n: number, one: number, two: number, saturated = true) => ({
    target, pair: n, one: { cpuUsPerReq: { proxy: one }, reqPerSec: 30_000 }, two: { cpuUsPerReq: { proxy: two }, reqPerSec: 28_000 },
    ratio: pairRatio(window(one, saturated), window(two, false)),
  }) as unknown as WorkersPair;
  const summary = summarizePairs([pair('nginx', 0, 20, 22), pair('gateway', 0, 30, 31.5), pair('gateway', 1, 30, 45, false), pair('gateway', 2, 40, 42), pair('gateway', 3, 30, 36)]);
  assert.deepEqual(summary.map((s) => s.target), ['nginx', 'gateway']);
  const gw = summary[1];
  assert.equal(gw.pairs, 4);
  assert.deepEqual(gw.ratio, { min: 1.05, median: 1.05, max: 1.2, n: 3 }, 'pair 2 (unsaturated one worker) gives no ratio');
  assert.deepEqual(gw.oneCpuUsPerReq, { min: 30, median: 30, max: 40, n: 4 }, 'raw figures keep every pair');
  assert.equal(twoWorkerTargetMet(gw.ratio), true);
  assert.equal(twoWorkerTargetMet({ min: 1.05, median: 1.11, max: 1.3, n: 5 }), false);
  assert.equal(twoWorkerTargetMet({ min: 1, median: 1, max: 1, n: 2 }), null, 'fewer than three counted pairs: no verdict');
  assert.equal(twoWorkerTargetMet(null), null);
});

test('spread and round order', () => {
  assert.deepEqual(spread([3, null, 1, 2]), { min: 1, median: 2, max: 3, n: 3 });
  assert.deepEqual(spread([4, 1]), { min: 1, median: 2.5, max: 4, n: 2 });
  assert.equal(spread([null, NaN]), null);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['c', 'b', 'a']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 2), ['a', 'b', 'c']);
});

test('pacing: enough connections that each one idles MIN_CYCLE_MS between its requests at the rate', () => {
  // 64 connections at 20k: each used every 3.2 ms, so 80; at 56,792 (half of a fast host's nginx): 228.
  assert.equal(pacedConnections(20_000, 64), 80);
  assert.equal(pacedConnections(56_792, 64), 228);
  assert.equal(pacedConnections(2_000, 64), 64, 'never fewer than usual');
  for (const rate of [5_000, 20_000, 56_792, 150_000]) {
    const c = pacedConnections(rate, 64);
    assert.ok((c * 1000) / rate >= MIN_CYCLE_MS - 1e-9, `rate ${rate}`);
  }
});

test('added p99 target: gateway within nginx + 1 ms, only from sustained runs', () => {
  const paced = (target: string, addedP99Us: number | null, sustained = true) => ({ target, sharePct: 50, addedP99Us, sustained, onRate: sustained }) as PacedResult;
  assert.equal(p99TargetMet([paced('direct', null), paced('nginx', 300), paced('gateway', 1_300)]), true);
  assert.equal(p99TargetMet([paced('nginx', 300), paced('gateway', 1_301)]), false);
  assert.equal(p99TargetMet([paced('nginx', 300), paced('gateway', 100, false)]), null);
});

test('fixed rate: a run whose load core had no idle time is named, with how busy it was', () => {
  const paced = (round: number, target: string, loadCoreBusy: number | null) => ({ round, target, sharePct: 50, loadCoreBusy }) as PacedResult;
  // 2026-12-07, 41,000 req/s before epoll_pwait2: the direct run's load core 100% busy (pacer 58%, backend nginx 41%).
  assert.deepEqual(loadCoreNotes([paced(0, 'direct', 0.998), paced(0, 'nginx', 0.89), paced(1, 'gateway', 0.9), paced(1, 'relay', null)]), [
    'fixed-rate 50% round 1 direct: the load core was 100% busy (pacer + backend): no idle time there, so its p99 holds the load side\'s queueing too',
    'fixed-rate 50% round 2 gateway: the load core was 90% busy (pacer + backend): no idle time there, so its p99 holds the load side\'s queueing too',
  ]);
  assert.deepEqual(loadCoreNotes([paced(0, 'nginx', 0.5)]), []);
});

test('added p99 target: medians over the rounds that count, so one noisy run does not decide it', () => {
  const paced = (round: number, target: string, addedP99Us: number | null, onRate = true) => ({ round, target, sharePct: 50, addedP99Us, sustained: true, onRate }) as PacedResult;
  // The 11:05 runs of one build at 27,500 req/s: nginx added 260 then 2,574 µs.
  const rounds = [
    paced(0, 'direct', null), paced(0, 'nginx', 260), paced(0, 'gateway', 2_570),
    paced(1, 'direct', null), paced(1, 'gateway', 900), paced(1, 'nginx', 2_574),
    paced(2, 'direct', null), paced(2, 'nginx', 400), paced(2, 'gateway', 1_300),
  ];
  assert.deepEqual(addedP99Spread(rounds, 'gateway'), { min: 900, median: 1_300, max: 2_570, n: 3 });
  assert.deepEqual(addedP99Spread(rounds, 'nginx'), { min: 260, median: 400, max: 2_574, n: 3 });
  assert.equal(p99TargetMet(rounds), true, '1,300 <= 400 + 1,000, though round 1 alone would say NOT met');
  assert.equal(p99TargetMet(rounds.map((r) => (r.target === 'gateway' && r.round === 1 ? { ...r, addedP99Us: 3_000 } : r))), false, 'median 2,570');
  // Off-rate rounds drop out of the median; none left: no verdict.
  assert.deepEqual(addedP99Spread([...rounds, paced(3, 'gateway', 100, false)], 'gateway')?.n, 3);
  assert.equal(p99TargetMet(rounds.map((r) => (r.target === 'nginx' ? { ...r, onRate: false } : r))), null);
  assert.equal(addedP99Spread(rounds, 'caddy'), null);
  // The 11:06 run: nginx off the rate in round 1 and round 3's direct run not sustained (its
  // targets got no added p99): one nginx round left, and a median of one run is no verdict.
  const thin = [
    paced(0, 'nginx', 1_385, false), paced(0, 'gateway', 2_405),
    paced(1, 'gateway', 1_617), paced(1, 'nginx', 2_199),
    paced(2, 'nginx', null), paced(2, 'gateway', null),
  ];
  assert.deepEqual(addedP99Spread(thin, 'gateway'), { min: 1_617, median: 2_011, max: 2_405, n: 2 });
  assert.equal(addedP99Spread(thin, 'nginx')?.n, 1);
  assert.equal(p99TargetMet(thin), null);
  assert.equal(p99TargetMet([paced(0, 'nginx', 300), paced(0, 'gateway', 1_200)]), true, 'one round ran: one is enough');
  // A baseline: sustained (>= 90%) and at most 5% over; under the rate it only makes added p99 larger.
  const direct = (achievedRate: number) => ({ target: 'direct', rate: 31_177, achievedRate, sustained: achievedRate >= 31_177 * 0.9 }) as PacedResult;
  assert.equal(isBaseline(direct(26_201)), false, '11:06 round 3: 84%');
  assert.equal(isBaseline(direct(29_143)), true, '9% under');
  assert.equal(isBaseline(direct(32_578)), true, '4.5% over');
  assert.equal(isBaseline(direct(33_000)), false, '5.8% over');
});

test('settings: defaults, subsets in canonical order, bad values named', () => {
  const d = readSettings({});
  assert.deepEqual([d.durationS, d.warmupS, d.pacedWarmupS, d.rounds, d.pacedRounds, d.pairs, d.pairWindowS, d.connections, d.cpuProf], [10, 2, 10, 3, 3, 8, 4, 64, false]);
  assert.deepEqual(d.targets, ['nginx', 'gateway', 'haproxy', 'caddy', 'relay']);
  assert.deepEqual(d.scenarios, ['plain', 'policies', 'workers2', 'https', 'telemetry-off', 'metrics-only', 'fixed-rate']);
  const s = readSettings({ BENCH_TARGETS: 'caddy, gateway', BENCH_SCENARIOS: 'plain', BENCH_DURATION: '3', BENCH_ROUNDS: '1' });
  assert.deepEqual(s.targets, ['gateway', 'caddy']);
  assert.deepEqual([s.durationS, s.rounds, s.scenarios], [3, 1, ['plain']]);
  assert.throws(() => readSettings({ BENCH_TARGETS: 'nginx,envoy' }), /BENCH_TARGETS/);
  assert.throws(() => readSettings({ BENCH_ROUNDS: '0' }), /BENCH_ROUNDS/);
  assert.throws(() => readSettings({ BENCH_PACED_ROUNDS: '11' }), /BENCH_PACED_ROUNDS/);
  assert.equal(readSettings({ BENCH_PACED_WARMUP: '0' }).pacedWarmupS, 0);
  assert.throws(() => readSettings({ BENCH_PAIRS: '0' }), /BENCH_PAIRS must be a whole number in 1\.\.40/);
  assert.throws(() => readSettings({ BENCH_PAIR_DURATION: '1' }), /BENCH_PAIR_DURATION must be a whole number in 2\.\.60/);
  assert.throws(() => readSettings({ BENCH_PACED_WARMUP: '121' }), /BENCH_PACED_WARMUP must be a whole number in 0\.\.120/);
  assert.deepEqual(readSettings({}).pacedShares, [50]);
  assert.deepEqual(readSettings({ BENCH_PACED_SHARES: ' 30, 40,50 ' }).pacedShares, [30, 40, 50]);
  for (const bad of ['0', '4', '96', '50.5', '30,,40', 'half', '-10']) {
    assert.throws(() => readSettings({ BENCH_PACED_SHARES: bad }), /BENCH_PACED_SHARES must list whole percentages of nginx's max rate in 5\.\.95/, bad);
  }
  assert.throws(() => readSettings({ BENCH_PACED_SHARES: '40,50,40' }), /BENCH_PACED_SHARES lists a share twice/);
});

test('settings: close runs only when named, in the canonical order among the others', () => {
  assert.equal(readSettings({}).scenarios.includes('close'), false, 'not in the default run');
  assert.deepEqual(readSettings({ BENCH_SCENARIOS: 'close' }).scenarios, ['close']);
  assert.deepEqual(readSettings({ BENCH_SCENARIOS: 'close,plain' }).scenarios, ['plain', 'close']);
  assert.throws(() => readSettings({ BENCH_SCENARIOS: 'plain,closed' }), /BENCH_SCENARIOS must list some of plain, .*fixed-rate, close; got "plain,closed"/);
});

test('summary: ratio spread over the rounds that gave one, and why none when none did', () => {
  const wrk = { latencyUs: { p50: 100, p90: 150, p99: 200, p99_9: 300 } } as Run['wrk'];
  const r = (round: number, target: string, reqPerSec: number, cpu: number, saturated: boolean) =>
    ({ round, scenario: 'plain', target, reqPerSec, cpuUsPerReq: { proxy: cpu, backend: 0, wrk: 0 }, saturated, wrk }) as Run;
  const runs = [r(0, 'nginx', 40_000, 10, true), r(0, 'gateway', 20_000, 20, true), r(1, 'nginx', 40_000, 10, true), r(1, 'gateway', 10_000, 40, false),
    r(2, 'nginx', 40_000, 10, true), r(2, 'gateway', 30_000, 30, true), r(0, 'caddy', 5_000, 50, false)];
  const ratios = roundRatios(runs.map((x) => ({ ...x, cpuUsPerReq: x.cpuUsPerReq.proxy })));
  const rows = summarize(runs, ratios);
  const gw = rows.find((x) => x.target === 'gateway')!;
  assert.deepEqual([gw.runs, gw.saturatedRuns], [3, 2]);
  assert.deepEqual(gw.ratioCpuPerReq, { min: 2, median: 2.5, max: 3, n: 2 }, 'round 2 (unsaturated) gives no ratio');
  assert.deepEqual(gw.reqPerSec, { min: 10_000, median: 20_000, max: 30_000, n: 3 }, 'raw figures keep every round');
  const caddy = rows.find((x) => x.target === 'caddy')!;
  assert.equal(caddy.ratioReqPerSec, null);
  assert.equal(caddy.noRatioBecause, LOADGEN_BOUND);
});

test('added p99 target: no verdict from a run more than 5% off the asked rate, either way', () => {
  const paced = (target: string, addedP99Us: number, achievedRate: number) =>
    ({ target, sharePct: 50, addedP99Us, rate: 18_000, achievedRate, sustained: achievedRate >= 18_000 * 0.9, onRate: isOnRate(achievedRate, 18_000) }) as PacedResult;
  assert.equal(isOnRate(18_800, 18_000), true);
  assert.equal(isOnRate(19_880, 18_000), false);
  assert.equal(isOnRate(17_000, 18_000), false);
  // The 14:20 run: the gateway 9% over the rate, its p99 taken at more load than nginx's.
  assert.equal(p99TargetMet([paced('nginx', 1_628, 17_623), paced('gateway', 5_042, 19_879)]), null);
  assert.equal(p99TargetMet([paced('nginx', 1_628, 17_623), paced('gateway', 5_042, 18_500)]), false);
  assert.equal(p99TargetMet([paced('nginx', 1_628, 16_500), paced('gateway', 2_000, 18_000)]), null);
});

test('pacer output: wrk\'s fields and the pacer\'s own; no report line is an error, not zeros', () => {
  const line = 'OUTPOST_PACER_JSON {"requests":9990,"scheduled":10000,"durationUs":2000500,"bytes":2008000,"errors":{"connect":0,"read":10,"write":0,"status":2,"timeout":0},' +
    '"latencyUs":{"min":46,"max":4488,"mean":122.5,"stdev":241.5,"p50":81,"p90":121,"p99":1400,"p99_9":3124},"sendLagUs":{"p50":30,"p99":74,"max":1637},"maxBacklog":21,"reconnects":10,"connections":64}';
  const r = parsePacerOutput(`noise\n${line}\n`);
  assert.equal(r.requests, 9990);
  assert.equal(r.durationS, 2.0005);
  assert.equal(Math.round(r.reqPerSec), 4994);
  assert.equal(r.bytesPerResponse, 201);
  assert.deepEqual(r.errors, { connect: 0, read: 10, write: 0, status: 2, timeout: 0 });
  assert.deepEqual(r.latencyUs, { min: 46, max: 4488, mean: 122.5, stdev: 241.5, p50: 81, p90: 121, p99: 1400, p99_9: 3124 });
  assert.deepEqual(r.pacer, { scheduled: 10_000, sendLagUs: { p50: 30, p99: 74, max: 1637 }, maxBacklog: 21, reconnects: 10, connections: 64 });
  assert.throws(() => parsePacerOutput('outpost-pacer: cannot connect to http://127.0.0.1:1/\n'), /OUTPOST_PACER_JSON/);
});

test('fixed rate: half of nginx\'s median over its saturated plain runs; none saturated, no rate', () => {
  const nginx = (reqPerSec: number, saturated: boolean, scenario = 'plain') => ({ scenario, target: 'nginx', reqPerSec, saturated });
  assert.equal(fixedRateFor([nginx(40_000, true), nginx(29_000, false), nginx(41_000, true), { scenario: 'plain', target: 'gateway', reqPerSec: 90_000, saturated: true }]), 20_250);
  assert.equal(fixedRateFor([nginx(26_127, false), nginx(24_387, false)]), null, 'the load generator\'s limit is not nginx\'s');
  assert.equal(fixedRateFor([nginx(50_000, true, 'policies')]), null);
  // BENCH_PACED_SHARES: the same median, another share.
  assert.equal(fixedRateFor([nginx(40_000, true), nginx(41_000, true)], 30), 12_150);
  assert.equal(fixedRateFor([nginx(54_235, true)], 40), 21_694);
});

test('added p99 target: drawn from the runs at half of nginx\'s max only, whatever other shares ran', () => {
  const paced = (sharePct: number, round: number, target: string, addedP99Us: number) => ({ sharePct, round, target, addedP99Us, sustained: true, onRate: true }) as PacedResult;
  const at50 = [paced(50, 0, 'nginx', 3_000), paced(50, 0, 'gateway', 12_000), paced(50, 1, 'nginx', 2_500), paced(50, 1, 'gateway', 9_000)];
  const at30 = [paced(30, 0, 'nginx', 300), paced(30, 0, 'gateway', 500), paced(30, 1, 'nginx', 400), paced(30, 1, 'gateway', 600)];
  assert.equal(p99TargetMet([...at30, ...at50]), false, 'met at 30% is not met at 50%');
  assert.equal(p99TargetMet(at30), null, 'no run at 50%: no verdict');
  assert.equal(p99TargetMet([...at50.map((r) => ({ ...r, addedP99Us: r.target === 'gateway' ? 3_400 : r.addedP99Us })), ...at30.map((r) => ({ ...r, addedP99Us: 90_000 }))]), true);
  assert.deepEqual(loadCoreNotes([{ ...at30[0], loadCoreBusy: 0.95 }]), ['fixed-rate 30% round 1 nginx: the load core was 95% busy (pacer + backend): no idle time there, so its p99 holds the load side\'s queueing too']);
});
