/** emit-metric's table: sums and counts per label set, bounded, merged in the primary; label names made valid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CustomMetricTable, labelName, MAX_CUSTOM_SERIES } from '../../src/gateway/telemetry/custom-metrics.js';

test('sums and counts per label set; take() empties the worker table; merge() adds up', () => {
  const worker = new CustomMetricTable();
  worker.add('ns', 'm', ['tier', 'gold'], 2);
  worker.add('ns', 'm', ['tier', 'gold'], 3);
  worker.add('ns', 'm', ['tier', 'silver'], 1);
  worker.add('ns', 'm', ['tier', 'x'], Number.NaN);
  const first = worker.take();
  assert.deepEqual(first.deltas.map((d) => [d.dimensions[1], d.sum, d.count]), [['gold', 5, 2], ['silver', 1, 1]]);
  assert.equal(first.dropped, 1);
  assert.equal(worker.take().deltas.length, 0);
  const primary = new CustomMetricTable();
  primary.merge(first.deltas, first.dropped);
  primary.merge(first.deltas, 0);
  const gold = [...primary.series.values()].find((s) => s.dimensions[1] === 'gold')!;
  assert.deepEqual([gold.sum, gold.count], [10, 4]);
  assert.equal(primary.dropped, 1);
});

test('past MAX_CUSTOM_SERIES label sets, values are dropped and counted, never stored', () => {
  const t = new CustomMetricTable();
  for (let i = 0; i < MAX_CUSTOM_SERIES + 25; i++) t.add('ns', 'm', ['client', String(i)], 1);
  assert.equal(t.series.size, MAX_CUSTOM_SERIES);
  assert.equal(t.dropped, 25);
  t.add('ns', 'm', ['client', '0'], 1);
  assert.equal([...t.series.values()][0].count, 2, 'a known label set still counts');
});

test('dimension names become Prometheus label names', () => {
  assert.equal(labelName('API ID'), 'api_id');
  assert.equal(labelName('Client-IP'), 'client_ip');
  assert.equal(labelName('9 lives'), 'd_9_lives');
});
