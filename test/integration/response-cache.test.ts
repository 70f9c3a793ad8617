/**
 * The response cache through a real gateway with the internal (per-worker LRU) cache: miss then
 * hit with the same status, headers and bytes plus Age; vary-by rules; what is never stored
 * (no-store, private, Set-Cookie, Vary: *, over the size cap, non-200); POST never answered from
 * the cache; unkeyed headers never reach the backend on a storable request. One worker, so every
 * request meets the same LRU.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startCacheBackend, type CacheBackend } from '../support/cache-backend.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

describe('response cache (internal)', () => {
  let backend: CacheBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startCacheBackend();
    gw = await startGateway(oneApiConfig(backend.url, { cache: { maxEntryBytes: 1024 } }, {
      policies: {
        inbound: [
          { 'set-header': { name: 'X-Backend-Key', value: 'secret' } },
          { 'cache-lookup': { 'caching-type': 'internal', 'vary-by-header': 'Accept', 'vary-by-query-parameter': 'v' } },
        ],
        outbound: [{ 'cache-store': { duration: 60 } }],
      },
    }), { workers: 1 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const call = async (path: string, opts: { method?: 'GET' | 'HEAD' | 'POST'; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await request(gw.url(path), { method: opts.method ?? 'GET', headers: opts.headers });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  };
  /** Headers a cache may not keep the same: the server's Date and Age. */
  // Date, Age and the correlation id (X-Request-Id) are per response; the rest must be the same.
  const stable = (h: Answer['headers']) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date' && k !== 'age' && k !== 'x-request-id'));

  test('a miss then a hit: same status, headers and bytes, with Age', async () => {
    const first = await call('/echo/a/same');
    assert.equal(first.status, 200);
    assert.equal(first.headers.age, undefined);
    const second = await call('/echo/a/same');
    assert.equal(second.status, 200);
    assert.deepEqual(stable(second.headers), stable(first.headers));
    assert.deepEqual(second.body, first.body);
    assert.match(String(second.headers.age), /^\d+$/);
    assert.equal(backend.calls('/a/same'), 1);
    const head = await call('/echo/a/same', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(first.body.length));
    assert.equal(head.body.length, 0);
    assert.equal(backend.calls('/a/same'), 1);
  });

  test('a named query parameter splits the key; another one does not', async () => {
    await call('/echo/q?v=1&junk=1');
    const sameV = await call('/echo/q?junk=2&v=1');
    assert.equal(sameV.headers['x-backend-call'], '1');
    const otherV = await call('/echo/q?v=2');
    assert.equal(otherV.headers['x-backend-call'], '2');
    assert.equal(backend.calls('/q'), 2);
  });

  test('a named header splits the key; an unkeyed one never reaches the backend', async () => {
    const a = await call('/echo/h', { headers: { accept: 'text/a', 'x-evil': 'poison', 'x-backend-key': 'fake' } });
    assert.equal(a.headers['x-saw-evil'], 'no');
    assert.equal(a.headers['x-saw-key'], 'secret', 'a header a policy set reaches the backend');
    assert.equal(a.headers['x-saw-accept'], 'text/a');
    const b = await call('/echo/h', { headers: { accept: 'text/b' } });
    assert.equal(b.headers['x-backend-call'], '2');
    const again = await call('/echo/h', { headers: { accept: 'text/a' } });
    assert.equal(again.headers['x-backend-call'], '1');
    assert.equal(backend.calls('/h'), 2);
  });

  for (const name of ['no-store', 'private', 'cookie', 'vary-star', 'missing']) {
    test(`not stored: ${name}`, async () => {
      await call(`/echo/${name}`);
      const second = await call(`/echo/${name}`);
      assert.equal(second.headers['x-backend-call'], '2');
      assert.equal(second.headers.age, undefined);
    });
  }

  test('POST is never answered from the cache', async () => {
    await call('/echo/p');
    const post = await call('/echo/p', { method: 'POST', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.headers['x-backend-call'], '2');
    assert.equal(post.headers.age, undefined);
    assert.equal((await call('/echo/p')).headers['x-backend-call'], '1');
  });

  test('bodies over maxEntryBytes stream whole and are not stored', async () => {
    for (const name of ['big', 'big-chunked']) {
      const first = await call(`/echo/${name}`);
      assert.equal(first.body.length, 4096);
      const second = await call(`/echo/${name}`);
      assert.equal(second.body.length, 4096);
      assert.equal(second.headers['x-backend-call'], '2', name);
    }
  });
});
