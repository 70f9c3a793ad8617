/**
 * The gateway's telemetry uploader (ControlPlaneClient + TelemetryUploader, as managed mode
 * wires them) against a real control-plane process that is stopped and started again on the
 * same port and data directory: rows added during the outage are kept and delivered when it
 * returns, and /analytics then shows every request. With a small buffer bound, what had to be
 * dropped is counted and reported in the next upload.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlaneClient } from '../../src/gateway/managed/control-plane-client.js';
import { parseGatewayToken } from '../../src/gateway/managed/gateway-token.js';
import type { ManagedSettings } from '../../src/gateway/managed/managed-settings.js';
import { TelemetryUploader } from '../../src/gateway/managed/telemetry-uploader.js';
import { DEFAULT_LIMITS } from '../../src/gateway/managed/telemetry-buffer.js';
import { freePort, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { analytics, currentMinute, gatewayToken, latencies, row } from '../support/telemetry-rows.js';

function settings(port: number, token: string): ManagedSettings {
  return {
    endpoint: `http://127.0.0.1:${port}`, token: parseGatewayToken(token), backupDir: null, caFile: null, ca: null,
    heartbeatIntervalMs: 60_000, syncIntervalMs: 10_000, longPollSeconds: 0, retryMaxMs: 1000, startupTimeoutMs: 1000,
  };
}

describe('telemetry upload across a control-plane outage', { timeout: 90_000 }, () => {
  let cp: ControlPlaneProcess;
  let port: number;
  let token: string;
  const clients: ControlPlaneClient[] = [];

  before(async () => {
    port = await freePort();
    cp = await startControlPlane({ port });
    token = await gatewayToken(cp, 'edge');
  });
  after(async () => {
    for (const c of clients) await c.close();
    await cp?.stop();
  });

  const uploader = (limits = DEFAULT_LIMITS, nodeId = 'node-1') => {
    const client = new ControlPlaneClient(settings(port, token));
    clients.push(client);
    return new TelemetryUploader(client, nodeId, limits);
  };

  test('rows kept while it is down are delivered when it returns; the counts are intact', async () => {
    const up = uploader();
    const minute = currentMinute();
    up.add([row({ minute: minute - 120_000, totalUs: latencies(40, 3000) }), row({ minute: minute - 60_000, totalUs: latencies(25, 3000), errors: 1 })]);
    assert.equal(await up.flush(), true);
    assert.equal(up.status().uploadedBatches, 1);

    await cp.stop();
    // During the outage: new minutes, and more of a minute already held (merged into one row).
    up.add([row({ minute: minute - 60_000, totalUs: latencies(10, 3000) }), row({ minute, totalUs: latencies(30, 3000) })]);
    assert.equal(await up.flush(), false);
    up.add([row({ minute, totalUs: latencies(7, 3000), errors: 2 }), row({ minute, apiId: 'users', operationId: 'list', totalUs: latencies(5, 3000) })]);
    assert.equal(await up.flush(), false);
    const held = up.status();
    // The first failed batch is kept unchanged (its id must keep naming the same rows); later rows merge in the buffer.
    assert.deepEqual([held.inFlightRows, held.bufferedRows], [2, 2], JSON.stringify(held));
    assert.equal(held.droppedRows, 0);
    assert.ok(held.lastError);

    cp = await startControlPlane({ port, dataDir: cp.dataDir });
    assert.equal(await up.flush(), true);
    assert.equal(up.status().bufferedRows + up.status().inFlightRows, 0);
    const a = await analytics(cp, 'gatewayId=edge&minutes=5');
    assert.equal(a.totals.requests, 40 + 25 + 10 + 30 + 7 + 5);
    assert.equal(a.totals.errors, 3);
    const byMinute = new Map(a.series.map((s) => [s.minute, s.requests]));
    assert.equal(byMinute.get(minute - 120_000), 40);
    assert.equal(byMinute.get(minute - 60_000), 35);
    assert.equal(byMinute.get(minute), 42);
    assert.equal(a.dropped.requests, 0);
  });

  test('past the buffer bound the oldest minutes are dropped, counted, and reported in the next upload', async () => {
    const up = uploader({ ...DEFAULT_LIMITS, maxRows: 2 }, 'node-small');
    await cp.stop();
    const minute = currentMinute();
    up.add([row({ minute: minute - 180_000, apiId: 'small', totalUs: latencies(11, 2000) })]);
    assert.equal(await up.flush(), false); // this row is now the batch in flight, and counts against the bound
    up.add([
      row({ minute: minute - 120_000, apiId: 'small', totalUs: latencies(12, 2000) }),
      row({ minute: minute - 60_000, apiId: 'small', totalUs: latencies(13, 2000) }),
      row({ minute, apiId: 'small', totalUs: latencies(14, 2000) }),
    ]);
    const s = up.status();
    assert.equal(s.droppedRows, 2);
    assert.equal(s.droppedRequests, 12 + 13);
    cp = await startControlPlane({ port, dataDir: cp.dataDir });
    assert.equal(await up.flush(), true);
    const a = await analytics(cp, 'gatewayId=edge&apiId=small&minutes=10');
    assert.equal(a.totals.requests, 11 + 14);
    const all = await analytics(cp, 'gatewayId=edge&minutes=10');
    assert.deepEqual(all.dropped, { rows: 2, requests: 25, byNode: [{ gatewayId: 'edge', nodeId: 'node-small', rows: 2, requests: 25 }] });
    assert.ok(cp.logs.some((l) => l.msg === 'a gateway node dropped telemetry rows while the control plane was away' && l.requests === 25));
  });
});
