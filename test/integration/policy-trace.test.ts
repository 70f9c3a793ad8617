/**
 * trace: a JSON line on the gateway's log stream with the request's correlation id (the same id
 * as its request-log line), the source, severity, message and metadata evaluated per request,
 * and message text bounded.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess, type LogLine } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { freshGet } from '../support/http-get.js';

let backend: TestBackend;
let gw: GatewayProcess;

const POLICY = `<policies><inbound>
  <trace source="orders-api" severity="information">
    <message>@("tier " + context.Request.Headers.GetValueOrDefault("x-tier", "none"))</message>
    <metadata name="operation" value="@(context.Operation.Id)" />
    <metadata name="long" value="@(new string('x', 20000))" />
  </trace>
</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`;

before(async () => {
  backend = await startBackend(echoHandler);
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5 },
    apis: [{ id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false, policies: POLICY,
      operations: [{ id: 'get-order', method: 'GET', urlTemplate: '/*' }] }],
  }, { workers: 1 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

async function lineOf(type: string, correlationId: string): Promise<Record<string, unknown>> {
  const find = () => gw.logs.find((l: LogLine) => (l as Record<string, unknown>).type === type && (l as Record<string, unknown>).correlationId === correlationId);
  for (const deadline = Date.now() + 5_000; find() === undefined && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  const line = find();
  assert.ok(line, `a ${type} line for ${correlationId}`);
  return line as Record<string, unknown>;
}

test('a trace line per request, joined to its request-log line by the correlation id', async () => {
  const r = await freshGet(gw.url('/orders/1'), { 'x-request-id': 'trace-me-1', 'x-tier': 'gold' });
  assert.equal(r.status, 200);
  const trace = await lineOf('trace', 'trace-me-1');
  assert.equal(trace.level, 'info');
  assert.equal(trace.source, 'orders-api');
  assert.equal(trace.severity, 'information');
  assert.equal(trace.message, 'tier gold');
  assert.equal(trace.apiId, 'orders');
  assert.equal(trace.operationId, 'get-order');
  const metadata = trace.metadata as Record<string, string>;
  assert.equal(metadata.operation, 'get-order');
  assert.equal(metadata.long.length, 8193, 'bounded: 8192 characters and an ellipsis');
  const request = await lineOf('request', 'trace-me-1');
  assert.equal(request.status, 200);
});
