/**
 * emit-metric: values from two workers' requests, summed and counted by namespace, name and
 * dimensions on /metrics (read with a Prometheus text parser); default dimensions filled from
 * the request; a dimension value from an expression; label values bounded.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { freshGet } from '../support/http-get.js';
import { scrape } from '../support/prometheus.js';

let backend: TestBackend;
let gw: GatewayProcess;

const POLICY = `<policies><inbound>
  <emit-metric name="Tier calls" namespace="shop" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-weight&quot;, &quot;1&quot;))">
    <dimension name="API ID" />
    <dimension name="Tier" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-tier&quot;, &quot;none&quot;))" />
  </emit-metric>
</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`;

before(async () => {
  backend = await startBackend(echoHandler);
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5 },
    apis: [{ id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false, policies: POLICY,
      operations: [{ id: 'any', method: 'GET', urlTemplate: '/*' }] }],
  }, { workers: 2 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

test('sums and counts per dimension set, merged across workers', async () => {
  for (let i = 0; i < 6; i++) assert.equal((await freshGet(gw.url(`/orders/${i}`), { 'x-tier': 'gold', 'x-weight': '2.5' })).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await freshGet(gw.url(`/orders/${i}`), { 'x-tier': 'silver' })).status, 200);
  assert.equal((await freshGet(gw.url('/orders/long'), { 'x-tier': 'z'.repeat(500) })).status, 200);
  const labels = (tier: string) => ({ namespace: 'shop', name: 'Tier calls', api_id: 'orders', tier });
  // Each worker reports once a second, on its own clock: wait until both reports are in.
  const total = (m: Awaited<ReturnType<typeof scrape>>) => m.sum('outpost_custom_metric_count');
  let m = await scrape(gw.opsPort);
  for (const deadline = Date.now() + 10_000; total(m) < 10 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    m = await scrape(gw.opsPort);
  }
  assert.equal(m.value('outpost_custom_metric_count', labels('gold')), 6);
  assert.equal(m.value('outpost_custom_metric_sum', labels('gold')), 15);
  assert.equal(m.value('outpost_custom_metric_count', labels('silver')), 3);
  assert.equal(m.value('outpost_custom_metric_sum', labels('silver')), 3);
  assert.equal(m.value('outpost_custom_metric_count', labels('z'.repeat(128))), 1, 'a dimension value is cut at 128 characters');
  assert.equal(m.value('outpost_custom_metric_dropped_total'), 0);
});
