/**
 * bench:ab's report (bench/ab-report.ts): B − A per window, the median and range over the
 * saturated windows only, and a window where core 0 was not saturated shown but left out.
 * The bench itself is not part of `npm test`.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { abReport, type AbWindow } from '../../bench/ab-report.js';

const win = (aUs: number, bUs: number, core0Busy = 0.99): AbWindow => ({
  aUs, bUs, aRps: 15_000, bRps: 14_000, core0Busy, saturated: core0Busy >= 0.9,
  aThreads: { primary: 0.5, worker: aUs - 1, rest: 0.5 }, bThreads: { primary: 0.75, worker: bUs - 1.5, rest: 0.75 },
});

test('B − A: the median and range over saturated windows; an unsaturated window is listed and left out', () => {
  const lines = abReport('telemetry-off', 'plain', [win(30, 31.5), win(40, 41), win(28, 30), win(20, 40, 0.5)]);
  assert.equal(lines.length, 1 + 4 + 2);
  assert.match(lines[2], /^\s+2\s+40\.00\s+41\.00\s+1\.00\s+15,000\s+14,000\s+99%$/);
  assert.match(lines[4], /load-generator bound: left out$/);
  const summary = lines.at(-2)!;
  assert.equal(lines.at(-1), '  by thread (median µs per request): worker 1.00 [0.50 to 1.50]; primary 0.25 [0.25 to 0.25]; rest 0.25 [0.25 to 0.25] (libuv\'s pool, V8\'s helpers)');
  assert.match(summary, /^B \(plain\) − A \(telemetry-off\), CPU per request over 3 saturated windows: median 1\.50 µs \[1\.00 to 2\.00\]; B\/A 1\.050 \[1\.025–1\.071\]$/);
});

test('no saturated window: the summary says so instead of a figure', () => {
  const lines = abReport('plain', 'plain', [win(30, 31, 0.6)]);
  assert.equal(lines.at(-1), 'B (plain) − A (plain): no saturated window');
});
