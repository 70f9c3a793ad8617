/**
 * /metrics after real traffic through 2 workers, parsed by a Prometheus text parser: request
 * counts per status, histogram _count per operation, a 300 ms request above the 0.25 s bucket,
 * unmatched requests under api="", byte counters, both workers' event-loop delay.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { freshGet } from '../support/http-get.js';
import { scrape, type Metrics } from '../support/prometheus.js';

let backend: TestBackend;
let gw: GatewayProcess;

before(async () => {
  backend = await startBackend((req, res) => {
    if (req.url?.startsWith('/slow')) setTimeout(() => echoHandler(req, res), 300);
    else if (req.url?.startsWith('/fail')) { res.writeHead(503); res.end('down'); }
    else echoHandler(req, res);
  });
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5, requestLog: { enabled: false } },
    apis: [{
      id: 'shop', name: 'Shop', path: 'shop', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [
        { id: 'slow', method: 'GET', urlTemplate: '/slow' },
        { id: 'items', method: 'GET', urlTemplate: '/*' },
      ],
    }],
  }, { workers: 2 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

test('request counts, histograms and bytes per API and operation, merged from 2 workers', async () => {
  const sent = { ok: 24, fail: 5, unmatched: 3 };
  const all: Array<Promise<unknown>> = [];
  for (let i = 0; i < sent.ok; i++) all.push(freshGet(gw.url(`/shop/items/${i}`)));
  for (let i = 0; i < sent.fail; i++) all.push(freshGet(gw.url('/shop/fail')));
  for (let i = 0; i < sent.unmatched; i++) all.push(freshGet(gw.url(`/nowhere/${i}`)));
  all.push(freshGet(gw.url('/shop/slow')));
  const results = await Promise.all(all) as Array<{ status: number }>;
  assert.equal(results.filter((r) => r.status === 200).length, sent.ok + 1);

  // Workers report every second: wait until every request is counted.
  const total = sent.ok + sent.fail + sent.unmatched + 1;
  let m: Metrics = await scrape(gw.opsPort);
  for (const deadline = Date.now() + 10_000; m.sum('outpost_requests_total') < total && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    m = await scrape(gw.opsPort);
  }
  assert.equal(m.value('outpost_requests_total', { api: 'shop', operation: 'items', status: '200' }), sent.ok);
  assert.equal(m.value('outpost_requests_total', { api: 'shop', operation: 'items', status: '503' }), sent.fail);
  assert.equal(m.value('outpost_requests_total', { api: '', operation: '', status: '404' }), sent.unmatched);
  assert.equal(m.value('outpost_requests_total', { api: 'shop', operation: 'slow', status: '200' }), 1);
  assert.equal(m.sum('outpost_requests_total'), total);

  for (const name of ['outpost_request_duration_seconds', 'outpost_backend_duration_seconds', 'outpost_gateway_duration_seconds']) {
    const items = m.histogram(name, { api: 'shop', operation: 'items' });
    assert.equal(items?.count, sent.ok + sent.fail, `${name} _count for shop/items`);
    assert.deepEqual(items.les, ['0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    assert.equal(items.buckets['+Inf'], items.count);
  }
  // Unmatched requests never reach a backend: total and gateway time only.
  assert.equal(m.histogram('outpost_request_duration_seconds', { api: '', operation: '' })?.count, sent.unmatched);
  assert.equal(m.histogram('outpost_backend_duration_seconds', { api: '', operation: '' })?.count ?? 0, 0);

  // The 300 ms request: above the 0.25 s bucket, within the 0.5 s one (total and backend time).
  for (const name of ['outpost_request_duration_seconds', 'outpost_backend_duration_seconds']) {
    const slow = m.histogram(name, { api: 'shop', operation: 'slow' })!;
    assert.equal(slow.buckets['0.25'], 0, `${name}: nothing at or below 0.25 s`);
    assert.equal(slow.buckets['0.5'], 1, `${name}: the request is at or below 0.5 s`);
    assert.ok(slow.sum >= 0.3, `${name} _sum ${slow.sum}`);
  }

  assert.equal(m.value('outpost_request_errors_total', { api: '', operation: '', code: 'OUTPOST_ERR_ROUTE_NOT_FOUND' }), sent.unmatched);
  assert.equal(m.family('outpost_request_errors_total').metrics.filter((s) => s.labels?.api === 'shop').length, 0); // a backend's 503 is not a gateway error
  assert.ok(m.value('outpost_request_bytes_total', { api: 'shop', operation: 'items' }) > 0);
  assert.ok(m.value('outpost_response_bytes_total', { api: 'shop', operation: 'items' }) > 0);
  const workers = new Set(m.family('outpost_worker_event_loop_delay_seconds').metrics.map((s) => s.labels?.worker));
  assert.deepEqual([...workers].sort(), ['0', '1']);
  for (const name of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'outpost_event_loop_delay_seconds', 'outpost_config_generation', 'outpost_workers_accepting']) m.family(name);
});

test('the workers time their own end-of-request hook: a summary with one sample per 64 requests', async () => {
  const before = await scrape(gw.opsPort);
  const count0 = hookSummary(before).count;
  const n = 640;
  for (let i = 0; i < n; i += 32) await Promise.all(Array.from({ length: 32 }, (_, j) => freshGet(gw.url(`/shop/items/h${i + j}`))));
  // Each worker times its 64th, 128th… call; SO_REUSEPORT splits the requests between the 2 workers.
  const least = Math.floor((n - 2 * 63) / 64);
  let m = await scrape(gw.opsPort);
  for (const deadline = Date.now() + 10_000; hookSummary(m).count - count0 < least && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    m = await scrape(gw.opsPort);
  }
  const { count, sum } = hookSummary(m);
  assert.ok(count - count0 >= least && count - count0 <= Math.ceil(n / 64), `samples ${count - count0} for ${n} requests`);
  assert.ok(sum > 0, `sum ${sum}`);
  assert.ok(sum / count < 0.01, `mean hook time ${sum / count} s`);
});

function hookSummary(m: Metrics): { count: number; sum: number } {
  const family = m.family('outpost_telemetry_hook_seconds');
  assert.equal(family.type, 'SUMMARY');
  const sample = family.metrics[0] as unknown as { count: string; sum: string };
  return { count: Number(sample.count), sum: Number(sample.sum) };
}
