/**
 * Bodies stream through in bounded memory, both ways: 256 MiB up and 256 MiB down, each with a
 * stall on the slow side (the backend stops reading the upload; the client stops reading the
 * download) so that a gateway without backpressure would have to buffer the difference.
 * The gateway's RSS may grow by at most MEMORY_BOUND over its baseline. (1 GiB runs: bench/.)
 * The download runs on both of the gateway's answer paths: the plain proxy and an operation with
 * policies (the policy exchange), each of which is handed views of the connection's read buffer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { rssBytes, sampleRss } from '../support/rss.js';

const SIZE = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MEMORY_BOUND = 96 * 1024 * 1024;
const STALL_MS = 1_500;

/** Deterministic bytes: chunk i is filled with i & 0xff, so both ends can hash without storing. */
function* chunks(size: number): Generator<Buffer> {
  for (let sent = 0, i = 0; sent < size; sent += CHUNK, i++) yield Buffer.alloc(Math.min(CHUNK, size - sent), i & 0xff);
}
function expectedHash(size: number): string {
  const h = createHash('sha256');
  for (const c of chunks(size)) h.update(c);
  return h.digest('hex');
}

describe('streaming with backpressure', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;
  let hash: string;

  before(async () => {
    hash = expectedHash(SIZE);
    backend = await startBackend((req, res) => {
      if (req.url === '/download') {
        // x-saw: what the policy API's set-header sent (the answer came through the policy path).
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE, 'x-saw': String(req.headers['x-through'] ?? '') });
        Readable.from(chunks(SIZE)).pipe(res);
        return;
      }
      if (req.url !== '/upload') { req.resume(); req.on('end', () => res.end('warm')); return; }
      // Upload: stall first (the gateway must stop reading the client), then hash what arrives.
      req.pause();
      setTimeout(() => {
        const h = createHash('sha256');
        let bytes = 0;
        req.on('data', (c: Buffer) => { h.update(c); bytes += c.length; });
        req.on('end', () => { const body = JSON.stringify({ bytes, hash: h.digest('hex') }); res.writeHead(200, { 'content-length': body.length }); res.end(body); });
        req.resume();
      }, STALL_MS);
    });
    const config = oneApiConfig(backend.url, { maxBodyBytes: 0 }) as { apis: object[] };
    config.apis.push({
      id: 'policy', name: 'Policy', path: 'policy', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
      policies: { inbound: [{ 'set-header': { name: 'x-through', value: 'policies' } }] },
    });
    gw = await startGateway(config, { workers: 1 });
    // Warm up so the baseline includes the worker's steady-state heap.
    for (let i = 0; i < 20; i++) await (await request(gw.url('/echo/warm'), { method: 'POST', body: 'x' })).body.dump();
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  test(`256 MiB upload passes intact while the gateway's RSS grows by less than ${MEMORY_BOUND >> 20} MiB`, async () => {
    const baseline = rssBytes(gw.proc.pid!);
    const sampler = sampleRss(gw.proc.pid!);
    const res = await request(gw.url('/echo/upload'), { method: 'PUT', body: Readable.from(chunks(SIZE)), headers: { 'content-length': String(SIZE) } });
    const body = await res.body.json() as { bytes: number; hash: string };
    const peak = sampler.stop();
    assert.equal(res.statusCode, 200);
    assert.equal(body.bytes, SIZE);
    assert.equal(body.hash, hash);
    const growth = peak - baseline;
    process.stdout.write(`# upload: RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
    assert.ok(growth < MEMORY_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);
  });

  for (const [path, via] of [['/echo/download', ''], ['/policy/download', 'policies']]) test(`256 MiB download to a client that stalls passes intact while RSS grows by less than ${MEMORY_BOUND >> 20} MiB (${via || 'no policies'})`, async () => {
    const baseline = rssBytes(gw.proc.pid!);
    const sampler = sampleRss(gw.proc.pid!);
    const res = await request(gw.url(path), { highWaterMark: 64 * 1024 });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], String(SIZE));
    assert.equal(res.headers['x-saw'], via);
    const h = createHash('sha256');
    let bytes = 0;
    let stalled = false;
    for await (const chunk of res.body) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (!stalled && bytes > SIZE / 4) { stalled = true; await new Promise((r) => setTimeout(r, STALL_MS)); }
    }
    const peak = sampler.stop();
    assert.equal(bytes, SIZE);
    assert.equal(h.digest('hex'), hash);
    const growth = peak - baseline;
    process.stdout.write(`# download: RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB\n`);
    assert.ok(growth < MEMORY_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);
  });
});
