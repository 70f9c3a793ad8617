/**
 * The control plane's telemetry intake and /analytics, against the real control-plane process:
 * two nodes' rows merge into totals equal to what was uploaded, with percentiles read from the
 * merged histograms (equal to those of one histogram fed every sample); a re-sent batch counts
 * once; oversize, non-msgpack and invalid uploads are refused with their field paths and store
 * nothing; the query's parameters and auth are checked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as hdr from 'hdr-histogram-js';
import { CLI } from '../support/gateway-process.js';
import { rawUntilClose } from '../support/raw-http.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { analytics, currentMinute, gatewayToken, histogramOf, latencies, postTelemetry, row } from '../support/telemetry-rows.js';

describe('analytics intake and query', { timeout: 60_000 }, () => {
  let cp: ControlPlaneProcess;
  let token: string;

  before(async () => {
    cp = await startControlPlane();
    token = await gatewayToken(cp, 'edge');
    await gatewayToken(cp, 'empty');
  });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  test('two nodes merged: totals are the sums, percentiles those of one histogram fed every sample', async () => {
    const minute = currentMinute() - 60_000;
    const a = latencies(700, 20_000, 3);
    const b = latencies(300, 90_000, 7);
    const c = latencies(50, 5_000, 11);
    const uploads = [
      { nodeId: 'node-a', batchId: 'a-1', rows: [row({ minute, totalUs: a, errors: 4 }), row({ minute, apiId: 'users', operationId: 'list', totalUs: c })] },
      { nodeId: 'node-b', batchId: 'b-1', rows: [row({ minute, totalUs: b, errors: 2 })] },
    ];
    for (const u of uploads) assert.equal((await postTelemetry(cp, token, u)).status, 204);

    const all = await analytics(cp, 'gatewayId=edge&minutes=5');
    assert.equal(all.totals.requests, 1050);
    assert.equal(all.totals.errors, 6);
    assert.deepEqual(all.nodes.map((n) => [n.nodeId, n.requests]).sort(), [['node-a', 750], ['node-b', 300]]);
    assert.equal(all.series.length, 5);
    assert.equal(all.series.find((s) => s.minute === minute)?.requests, 1050);

    const orders = await analytics(cp, 'gatewayId=edge&apiId=orders&operationId=get&minutes=5');
    assert.equal(orders.totals.requests, 1000);
    // The reference: one histogram of the same precision fed every sample of both nodes.
    const reference = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
    for (const v of [...a, ...b]) reference.recordValue(v);
    const ms = (p: number) => Math.round(reference.getValueAtPercentile(p)) / 1000;
    assert.equal(orders.totals.p50Ms, ms(50));
    assert.equal(orders.totals.p95Ms, ms(95));
    assert.equal(orders.totals.p99Ms, ms(99));
    // Not an average of the nodes' p99s: node b alone is far slower than the merged p99.
    const averaged = (hdr.decodeFromCompressedBase64(histogramOf(a)).getValueAtPercentile(99) + hdr.decodeFromCompressedBase64(histogramOf(b)).getValueAtPercentile(99)) / 2000;
    assert.notEqual(orders.totals.p99Ms, averaged);
    const backend = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3, autoResize: true });
    for (const v of [...a, ...b]) backend.recordValue(Math.max(1, Math.round(v * 0.8)));
    assert.equal(orders.totals.backendP99Ms, Math.round(backend.getValueAtPercentile(99)) / 1000);

    // The same batch id again (a gateway that lost the reply) is acknowledged and not added twice.
    assert.equal((await postTelemetry(cp, token, uploads[1])).status, 204);
    assert.equal((await analytics(cp, 'gatewayId=edge&minutes=5')).totals.requests, 1050);
    // A later delta of the same minute is added to the same row.
    assert.equal((await postTelemetry(cp, token, { nodeId: 'node-b', batchId: 'b-2', rows: [row({ minute, totalUs: [1000, 2000] })] })).status, 204);
    assert.equal((await analytics(cp, 'gatewayId=edge&apiId=orders&minutes=5')).totals.requests, 1002);
    assert.equal((await analytics(cp, 'gatewayId=empty&minutes=5')).totals.requests, 0);
  });

  test('invalid uploads: 4xx with the field path, and nothing stored', async () => {
    const before = (await analytics(cp, 'minutes=60')).totals.requests;
    const good = row({ totalUs: [100, 200] });
    const bad: Array<[string, unknown, string]> = [
      ['negative count', { nodeId: 'n', batchId: 'x1', rows: [good, { ...good, requestBytes: -1 }] }, 'rows.1.requestBytes'],
      ['fractional count', { nodeId: 'n', batchId: 'x2', rows: [{ ...good, requests: 1.5 }] }, 'rows.0.requests'],
      ['errors above requests', { nodeId: 'n', batchId: 'x3', rows: [{ ...good, errors: 3 }] }, 'rows.0.errors'],
      ['minute not on a minute', { nodeId: 'n', batchId: 'x4', rows: [{ ...good, minute: good.minute + 1 }] }, 'rows.0.minute'],
      ['minute in the future', { nodeId: 'n', batchId: 'x5', rows: [{ ...good, minute: good.minute + 3600_000 }] }, 'rows.0.minute'],
      ['api id too long', { nodeId: 'n', batchId: 'x6', rows: [{ ...good, apiId: 'a'.repeat(300) }] }, 'rows.0.apiId'],
      ['status key', { nodeId: 'n', batchId: 'x7', rows: [{ ...good, statuses: { abc: 1 } }] }, 'rows.0.statuses.abc'],
      ['histogram not base64', { nodeId: 'n', batchId: 'x8', rows: [{ ...good, totalHist: '!!' }] }, 'rows.0.totalHist'],
      ['histogram not HDR', { nodeId: 'n', batchId: 'x9', rows: [{ ...good, backendHist: Buffer.from('hello world, not a histogram').toString('base64') }] }, 'rows.0.backendHist'],
      ['histogram too precise', { nodeId: 'n', batchId: 'x10', rows: [{ ...good, gatewayHist: fiveDigitHistogram() }] }, 'rows.0.gatewayHist'],
      ['missing node id', { batchId: 'x11', rows: [good] }, 'nodeId'],
      ['too many rows', { nodeId: 'n', batchId: 'x12', rows: Array.from({ length: 2001 }, () => good) }, 'rows'],
    ];
    for (const [what, body, path] of bad) {
      const r = await postTelemetry(cp, token, body);
      assert.equal(r.status, 400, what);
      assert.equal(r.headers.get('x-outpost-error'), 'OUTPOST_ERR_TELEMETRY_INVALID', what);
      const json = await r.json() as { statusCode: number; problems: Array<{ path: string }> };
      assert.equal(json.statusCode, 400);
      assert.ok(json.problems.some((p) => p.path === path), `${what}: ${JSON.stringify(json.problems)}`);
    }
    const notMsgpack = await postTelemetry(cp, token, Buffer.from([0xc1, 0x00]));
    assert.equal(notMsgpack.status, 400);
    const json = await postTelemetry(cp, token, new TextEncoder().encode('{}'), { 'content-type': 'application/json' });
    assert.equal(json.status, 400);
    // Over 4 MiB: refused from Content-Length alone (413, connection closed), before the body is read.
    const oversize = await rawUntilClose(cp.port, `POST /gateway/telemetry HTTP/1.1\r\nHost: cp\r\nAuthorization: ${token}\r\nContent-Type: application/msgpack\r\nContent-Length: ${4 * 1024 * 1024 + 1}\r\n\r\n${'x'.repeat(1024)}`);
    assert.deepEqual(oversize.statuses, [413]);
    assert.match(oversize.text, /x-outpost-error: OUTPOST_ERR_BODY_TOO_LARGE/i);
    // Chunked, so only counting the bytes finds it.
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const chunked = await rawUntilClose(cp.port, [
      `POST /gateway/telemetry HTTP/1.1\r\nHost: cp\r\nAuthorization: ${token}\r\nContent-Type: application/msgpack\r\nTransfer-Encoding: chunked\r\n\r\n`,
      ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])),
      '0\r\n\r\n',
    ]);
    assert.deepEqual(chunked.statuses, [413]);
    const noToken = await fetch(cp.url('/gateway/telemetry'), { method: 'POST', headers: { 'content-type': 'application/msgpack' }, body: new Uint8Array([0x80]) });
    assert.equal(noToken.status, 401);
    assert.equal((await analytics(cp, 'minutes=60')).totals.requests, before, 'nothing of a refused upload is stored');
  });

  test('batch ids are kept with the rows: a batch re-sent after a control-plane restart is not added twice', async () => {
    const minute = currentMinute();
    const upload = { nodeId: 'node-r', batchId: 'r-1', rows: [row({ minute, apiId: 'restart', totalUs: [100, 200, 300] })] };
    assert.equal((await postTelemetry(cp, token, upload)).status, 204);
    await cp.stop();
    cp = await startControlPlane({ dataDir: cp.dataDir });
    assert.equal((await postTelemetry(cp, token, upload)).status, 204);
    assert.equal((await analytics(cp, 'apiId=restart&minutes=5')).totals.requests, 3);
  });

  test('node ids count against the gateway node bound: past 64 connected nodes a new one gets 429', async () => {
    const t = await gatewayToken(cp, 'crowded');
    const statuses: number[] = [];
    for (let i = 0; i < 65; i++) statuses.push((await postTelemetry(cp, t, { nodeId: `n-${i}`, batchId: 'b', rows: [] })).status);
    assert.deepEqual(statuses.slice(0, 64), statuses.slice(0, 64).map(() => 204));
    assert.equal(statuses[64], 429);
  });

  test('/analytics: admin token required; parameters checked', async () => {
    assert.equal((await cp.admin('GET', '/analytics', undefined, null)).status, 401);
    for (const q of ['minutes=0', 'minutes=abc', 'minutes=50000', `apiId=${'x'.repeat(300)}`]) {
      const r = await cp.admin('GET', `/analytics?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.headers.get('x-outpost-error'), 'OUTPOST_ERR_ANALYTICS_QUERY_INVALID');
    }
    const defaults = await analytics(cp, '');
    assert.equal(defaults.series.length, 60);
  });

  test('a bad retention value stops the control plane with the flag named', () => {
    const r = spawnSync(process.execPath, [CLI, 'control-plane', '--port', '0', '--analytics-retention-days', '0'], {
      env: { ...process.env, OUTPOST_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef' }, encoding: 'utf8', timeout: 10_000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /--analytics-retention-days must be a whole number from 1 to 366/);
  });
});

/** A valid HDR histogram at 5 significant digits: past the intake's bound of 3. */
function fiveDigitHistogram(): string {
  const h = hdr.build({ numberOfSignificantValueDigits: 5, lowestDiscernibleValue: 1, highestTrackableValue: 1_000_000 });
  h.recordValue(42);
  return hdr.encodeIntoCompressedBase64(h);
}
