/**
 * Many reloads: the gateway's RSS must level off. After a warm-up, RELOADS more reloads (SIGHUP)
 * of a config whose table is a few hundred KB may grow RSS by at most RSS_BOUND_MB.
 *
 * Node never frees a SharedArrayBuffer once it has been posted to worker threads, so a table
 * buffer per generation leaked one table per reload (here ~1 MB each); the primary now
 * reuses a few buffers (src/gateway/primary/table-buffers.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, waitForGeneration, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { rssBytes } from '../support/rss.js';

const WARM_UP = 20;
const RELOADS = 100;
/** Measured on 2 cores: +6 to +33 MB with buffer reuse, +90 to +115 MB without (a table buffer is 1 MB here). */
const RSS_BOUND_MB = 40;
const EXTRA_APIS = 300;

let backend: TestBackend;
let gw: GatewayProcess;

before(async () => {
  backend = await startBackend((_req, res) => { res.writeHead(200, { 'content-length': '2' }); res.end('ok'); });
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5 },
    apis: [{ id: 'svc', name: 'Svc', path: 'svc', serviceUrl: backend.url, subscriptionRequired: false, operations: [
      { id: 'get', method: 'GET', urlTemplate: '/items/{id}' }, { id: 'any', method: '*', urlTemplate: '/*' },
    ] }, ...Array.from({ length: EXTRA_APIS }, (_, i) => ({
      id: `api-${i}`, name: `API ${i}`, path: `v1/api-${i}`, serviceUrl: backend.url, subscriptionRequired: false,
      operations: Array.from({ length: 10 }, (_, j) => ({ id: `op-${j}`, method: 'GET', urlTemplate: `/resource-${j}/{id}/detail-${i}` })),
    }))],
  }, { workers: 2 });
});
after(async () => { await gw?.stop(); await backend?.close(); });

/** Median of a few samples: one sample can land just before or after a GC. */
async function rssMb(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) { samples.push(rssBytes(gw.proc.pid!) / 1048576); await new Promise((r) => setTimeout(r, 20)); }
  return samples.sort((a, b) => a - b)[2];
}

async function reloads(count: number, firstGeneration: number): Promise<number> {
  let generation = firstGeneration;
  for (let i = 0; i < count; i++) {
    gw.proc.kill('SIGHUP');
    await waitForGeneration(gw, ++generation, 30_000);
    // A request on every generation, so workers use what they built.
    const res = await request(gw.url(`/svc/items/${i}`));
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  return generation;
}

test(`${RELOADS} reloads after ${WARM_UP} warm-up reloads grow RSS by less than ${RSS_BOUND_MB} MB`, { timeout: 300_000 }, async () => {
  let generation = await reloads(WARM_UP, 1);
  const warm = await rssMb();
  generation = await reloads(RELOADS, generation);
  const end = await rssMb();
  process.stdout.write(`# RSS after warm-up ${warm.toFixed(1)} MB, after ${RELOADS} more reloads ${end.toFixed(1)} MB\n`);
  assert.equal(generation, 1 + WARM_UP + RELOADS);
  assert.ok(end - warm < RSS_BOUND_MB, `RSS grew ${(end - warm).toFixed(1)} MB over ${RELOADS} reloads`);
});
