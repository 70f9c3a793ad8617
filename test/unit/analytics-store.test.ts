/**
 * The control plane's analytics store (real SQLite in a temporary directory): deltas of one
 * (minute, node, API, operation) add up; a batch id is taken once; rows past the retention and
 * batch ids older than a day are purged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { AnalyticsStore, type AnalyticsRow } from '../../src/control-plane/analytics-store.js';
import { decodeHistogram, MergedHistogram } from '../../src/shared/telemetry-histogram.js';
import { row } from '../support/telemetry-rows.js';
import { testTempDir } from '../support/temp-dir.js';

const DAY = 24 * 3600 * 1000;

function decoded(fields: Parameters<typeof row>[0]): AnalyticsRow {
  const r = row(fields);
  return { ...r, totalHist: decodeHistogram(r.totalHist), backendHist: decodeHistogram(r.backendHist), gatewayHist: decodeHistogram(r.gatewayHist) };
}

test('deltas add up per key; a batch id is taken once; retention and batch-id purge', () => {
  const dir = testTempDir('outpost-analytics-store-');
  const store = new AnalyticsStore(dir, 7);
  try {
    const now = Date.UTC(2026, 0, 20, 12, 0);
    const old = now - 8 * DAY;
    assert.equal(store.add('gw', 'n1', 'b1', [decoded({ minute: now, totalUs: [100, 200] }), decoded({ minute: old, totalUs: [5] })], { rows: 1, requests: 4 }, now), true);
    assert.equal(store.add('gw', 'n1', 'b1', [decoded({ minute: now, totalUs: [999] })], { rows: 0, requests: 0 }, now), false, 'same batch id: nothing added');
    assert.equal(store.add('gw', 'n1', 'b2', [decoded({ minute: now, totalUs: [300], errors: 1 })], { rows: 0, requests: 0 }, now), true);
    const [current] = store.rows({ gatewayId: 'gw', fromMinute: now });
    assert.equal(current.requests, 3);
    assert.equal(current.errors, 1);
    assert.deepEqual(current.statuses, { 200: 2, 502: 1 });
    const h = new MergedHistogram();
    h.add(current.totalHist);
    assert.equal(h.totalCount, 3);
    assert.deepEqual(store.totalsSince('gw', now), { requests: 3, errors: 1 });
    assert.equal(store.rows({ fromMinute: 0 }).length, 2);

    assert.equal(store.purge(now), 1, 'the row 8 days old goes; the drop report of today stays');
    assert.deepEqual(store.rows({ fromMinute: 0 }).map((r) => r.minute), [now]);
    assert.equal(store.dropped({ fromMinute: 0 })[0].requests, 4);
    // A day later the batch id is forgotten: the same id is taken again.
    store.purge(now + DAY + 60_000);
    assert.equal(store.add('gw', 'n1', 'b1', [decoded({ minute: now, totalUs: [1] })], { rows: 0, requests: 0 }, now + DAY + 60_000), true);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
