/**
 * retry against a flaky backend written for the test: failing statuses and refused connections
 * are retried until the condition stops holding or attempts run out; a replayable body is sent
 * again intact; a streamed body is sent once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

describe('retry', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;
  /** Per test key: how many more requests fail with 503. */
  const failuresLeft = new Map<string, number>();
  const attempts = new Map<string, number>();

  before(async () => {
    backend = await startBackend((req, res) => {
      const key = (req.url ?? '').split('?')[0];
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const left = failuresLeft.get(key) ?? 0;
        if (left > 0) {
          failuresLeft.set(key, left - 1);
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end('flaky');
          return;
        }
        const body = JSON.stringify({ attempt: attempts.get(key), body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    const retry = { retry: { condition: "response.status >= 500 or error.source == 'backend'", count: 3, interval: 0, 'first-fast-retry': true } };
    gw = await startGateway({
      apis: [
        { id: 'flaky', name: 'Flaky', path: 'flaky', serviceUrl: backend.url, subscriptionRequired: false,
          policies: { backend: [retry] }, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] },
        { id: 'dead', name: 'Dead', path: 'dead', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false,
          policies: { backend: [retry] }, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] },
      ],
    }, { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  test('a 503 twice then 200: the client sees only the 200 of the third attempt', async () => {
    failuresLeft.set('/two-failures', 2);
    const res = await request(gw.url('/flaky/two-failures'));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { attempt: 3, body: '' });
    assert.equal(attempts.get('/two-failures'), 3);
  });

  test('attempts run out: the last failing answer is passed on (1 + count attempts)', async () => {
    failuresLeft.set('/always', 100);
    const res = await request(gw.url('/flaky/always'));
    assert.equal(res.statusCode, 503);
    assert.equal(await res.body.text(), 'flaky');
    assert.equal(attempts.get('/always'), 4);
  });

  test('a small body is replayed intact on every attempt', async () => {
    failuresLeft.set('/post', 1);
    const res = await request(gw.url('/flaky/post'), { method: 'POST', body: 'payload-123' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { attempt: 2, body: 'payload-123' });
  });

  test('a streamed (chunked) body cannot be replayed: one attempt only', async () => {
    failuresLeft.set('/stream', 1);
    const res = await request(gw.url('/flaky/stream'), { method: 'POST', body: Readable.from([Buffer.from('a'), Buffer.from('b')]) });
    assert.equal(res.statusCode, 503);
    await res.body.dump();
    assert.equal(attempts.get('/stream'), 1);
  });

  test('a refused connection is retried, then reported as 502', async () => {
    const res = await request(gw.url('/dead/x'));
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_UNREACHABLE');
    await res.body.dump();
  });
});
