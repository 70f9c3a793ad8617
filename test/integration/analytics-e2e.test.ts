/**
 * End to end: the control plane and two managed gateway processes (one node each) serving real
 * requests to a real backend. What the gateways counted reaches /analytics: node A uploads every
 * 500 ms; node B's interval is ten minutes, so its requests arrive only through the last upload
 * of a clean stop (the aggregator's final hand-off, then the uploader's final flush).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { analytics, type AnalyticsAnswer } from '../support/telemetry-rows.js';
import { testTempDir } from '../support/temp-dir.js';

async function within(ms: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Requests sent to each gateway, by the status they got (warm-ups included: the gateway counts those too). */
const sent = new Map<GatewayProcess, Record<number, number>>();

async function get(gw: GatewayProcess, path: string): Promise<number> {
  const res = await request(gw.url(path));
  await res.body.dump();
  const counts = sent.get(gw) ?? {};
  counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
  sent.set(gw, counts);
  return res.statusCode;
}

async function send(gw: GatewayProcess, path: string, n: number, expected: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal(await get(gw, path), expected, path);
}

const total = (gw: GatewayProcess): number => Object.values(sent.get(gw) ?? {}).reduce((x, y) => x + y, 0);
const nodeIdOf = (gw: GatewayProcess): string => `${hostname()}-${gw.proc.pid}`;

describe('managed gateways → control plane → /analytics', { timeout: 90_000 }, () => {
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  let a: GatewayProcess;
  let b: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' } });
    assert.ok((await cp.admin('PUT', '/gateways/dc1', { name: 'Data centre 1' })).status < 300);
    const api = await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    });
    assert.ok(api.status < 300, JSON.stringify(api.body));
    assert.ok((await cp.admin('PUT', '/gateways/dc1/apis/orders')).status < 300);
    const token = await cp.admin('POST', '/gateways/dc1/token', { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
    const dir = testTempDir('outpost-analytics-e2e-');
    const envFile = join(dir, 'env.conf');
    writeFileSync(envFile, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${token.body.value as string}`, 'OUTPOST_HEARTBEAT_INTERVAL_MS=300', ''].join('\n'));
    a = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile], env: { OUTPOST_TELEMETRY_UPLOAD_MS: '500' } });
    b = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile], env: { OUTPOST_TELEMETRY_UPLOAD_MS: '600000' } });
    for (const gw of [a, b]) await within(5_000, 'orders served', async () => (await get(gw, '/orders/warm-up')) === 200);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await cp?.stop();
    await backend?.close();
  });

  test('the requests each node served show in /analytics, per API, per status and per node', async () => {
    await send(a, '/orders/x', 30, 200);
    await send(a, '/missing', 5, 404);
    await send(b, '/orders/y', 20, 200);

    const requestsOf = (x: AnalyticsAnswer, gw: GatewayProcess) => x.nodes.find((n) => n.nodeId === nodeIdOf(gw))?.requests ?? 0;
    let now: AnalyticsAnswer | undefined;
    await within(10_000, 'node A uploaded every request it served', async () => {
      now = await analytics(cp, 'gatewayId=dc1&minutes=10');
      return requestsOf(now, a) === total(a);
    });
    assert.equal(now!.totals.requests, total(a), 'node B has uploaded nothing yet (ten-minute interval)');
    assert.deepEqual((await analytics(cp, 'gatewayId=dc1&apiId=&minutes=10')).totals.statuses, { 404: sent.get(a)![404] });
    const orders = await analytics(cp, 'gatewayId=dc1&apiId=orders&minutes=10');
    assert.equal(orders.totals.requests, sent.get(a)![200]);
    assert.ok(orders.totals.p99Ms > 0 && orders.totals.backendP99Ms > 0 && orders.totals.backendP99Ms <= orders.totals.p99Ms, JSON.stringify(orders.totals));

    // A clean stop hands node B's rows over and uploads them before the process exits.
    await b.stop();
    const after = await analytics(cp, 'gatewayId=dc1&minutes=10');
    assert.equal(requestsOf(after, b), total(b));
    assert.equal(after.totals.requests, total(a) + total(b));
    assert.equal((await analytics(cp, 'gatewayId=dc1&apiId=orders&minutes=10')).totals.requests, sent.get(a)![200] + sent.get(b)![200]);
    assert.equal(after.dropped.requests, 0);
  });
});
