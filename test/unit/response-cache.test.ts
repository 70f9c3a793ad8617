/**
 * Response cache parts without a gateway: the per-worker LRU's byte bound, the entry codec's
 * refusals, the key's rules, the one expression gate, and the cache-*-value policies on the
 * internal cache.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLru, entryCost } from '../../src/gateway/cache/byte-lru.js';
import { decodeEntry, encodeEntry } from '../../src/gateway/cache/cache-entry.js';
import { responseCacheKey, type VaryRules } from '../../src/gateway/cache/cache-key.js';
import { policyValue } from '../../src/gateway/cache/policy-value.js';
import { cacheLookupValue, cacheRemoveValue, cacheStoreValue } from '../../src/gateway/cache/cache-value.js';
import { cacheLookup } from '../../src/gateway/cache/cache-lookup.js';
import { cacheStore } from '../../src/gateway/cache/cache-store.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileOne, newContext } from '../support/policy-harness.js';
import { pack } from 'msgpackr';

const at = { scope: 'api "t"', section: 'inbound', index: 0, element: 'cache-lookup' };

describe('byte-bounded LRU', () => {
  test('never holds more bytes than its bound, and evicts the least recently used', () => {
    const value = Buffer.alloc(1000);
    const cost = entryCost('k000', value);
    const lru = new ByteLru(cost * 10);
    for (let i = 0; i < 100; i++) {
      lru.set(`k${String(i).padStart(3, '0')}`, value, 60_000, 0);
      assert.ok(lru.bytes <= cost * 10);
      if (i === 5) lru.get('k000', 0); // touched: survives the next evictions longer than k001
    }
    assert.equal(lru.size, 10);
    assert.equal(lru.get('k001', 0), null);
    assert.notEqual(lru.get('k099', 0), null);
  });

  test('an entry larger than the bound is not kept; expired entries miss; resize evicts at once', () => {
    const lru = new ByteLru(4096);
    assert.equal(lru.set('big', Buffer.alloc(5000), 1000, 0), false);
    assert.equal(lru.bytes, 0);
    lru.set('a', Buffer.alloc(1000), 1000, 0);
    lru.set('b', Buffer.alloc(1000), 1000, 0);
    assert.equal(lru.get('a', 999)!.length, 1000);
    assert.equal(lru.get('a', 1000), null);
    lru.resize(1200);
    assert.ok(lru.bytes <= 1200);
    assert.equal(lru.size, 1);
  });

  test('a view into a larger buffer is copied, so the bound counts all the memory kept', () => {
    const lru = new ByteLru(4096);
    const arena = Buffer.alloc(1 << 20);
    lru.set('view', arena.subarray(10, 20), 1000, 0);
    const kept = lru.get('view', 0)!;
    assert.equal(kept.length, 10);
    assert.equal(kept.buffer.byteLength, 10);
  });
});

describe('cache entries', () => {
  const entry = { status: 200, reason: 'OK', headers: ['content-type', 'text/plain'], body: Buffer.from([0, 1, 255]), storedAt: 5, expiresAt: 10 };
  test('round trip keeps status, headers and bytes', () => {
    assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
  });
  test('a header that could split a response, another layout or garbage reads as a miss', () => {
    assert.equal(decodeEntry(encodeEntry({ ...entry, headers: ['x', 'a\r\nset-cookie: b'] })), null);
    assert.equal(decodeEntry(encodeEntry({ ...entry, headers: ['bad name', 'v'] })), null);
    assert.equal(decodeEntry(pack([2, 200, 'OK', [], Buffer.alloc(0), 1, 2])), null);
    assert.equal(decodeEntry(Buffer.from('not msgpack at all')), null);
  });
});

describe('response cache key', () => {
  const rules: VaryRules = { headers: ['accept'], query: ['a', 'v'], developer: false, developerGroups: false };
  const key = (init: { query?: string; headers?: string[]; path?: string }) =>
    responseCacheKey(newContext({ path: init.path ?? '/x', query: init.query ?? '', headers: init.headers ?? ['host', 'backend:80'] }), rules);

  test('named query parameters split it in any order; others do not', () => {
    assert.equal(key({ query: 'v=1&a=2&junk=1' }), key({ query: 'junk=9&a=2&v=1' }));
    assert.notEqual(key({ query: 'v=1' }), key({ query: 'v=2' }));
    assert.notEqual(key({ query: 'v=1' }), key({ query: 'v=1&v=1' }));
    assert.equal(key({ query: 'v=a%20b' }), key({ query: 'v=a+b' }));
  });

  test('named headers, Host and the forwarded host split it; other headers do not', () => {
    const base = ['host', 'backend:80'];
    assert.equal(key({ headers: [...base, 'x-other', '1'] }), key({ headers: base }));
    assert.notEqual(key({ headers: [...base, 'accept', 'a'] }), key({ headers: base }));
    assert.notEqual(key({ headers: ['host', 'other:80'] }), key({ headers: base }));
    assert.notEqual(key({ headers: [...base, 'x-forwarded-host', 'evil'] }), key({ headers: base }));
    assert.notEqual(key({ path: '/y' }), key({}));
  });

  test('vary-by-developer splits by subscription', () => {
    const dev = { ...rules, developer: true };
    const a = newContext();
    a.subscription = { id: 's1', productId: null };
    const b = newContext();
    b.subscription = { id: 's2', productId: null };
    assert.notEqual(responseCacheKey(a, dev), responseCacheKey(b, dev));
    assert.equal(responseCacheKey(a, rules), responseCacheKey(b, rules));
  });
});

describe('APIM policy XML', () => {
  test("APIM's cache-lookup example compiles as written", () => {
    const config = compileOne(cacheLookup as PolicyFactory<unknown>, `<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="none" must-revalidate="true" caching-type="internal">
      <vary-by-header>Accept</vary-by-header><vary-by-header>Accept-Charset</vary-by-header>
      <vary-by-query-parameter>version</vary-by-query-parameter></cache-lookup>`) as { vary: VaryRules; cachingType: string };
    assert.deepEqual(config.vary, { headers: ['accept', 'accept-charset'], query: ['version'], developer: false, developerGroups: false });
    assert.equal(config.cachingType, 'internal');
  });
});

describe('policy expressions in the cache policies', () => {
  test('constant attributes refuse @( and @{ with a coded compile error naming the attribute', () => {
    for (const value of ['@(context.Request.Url)', '@{ return 1; }']) {
      assert.throws(() => policyValue({ name: 'cache-lookup', attrs: { 'caching-type': value }, children: [], text: '' }, at, 'caching-type'), (err: unknown) => {
        assert.ok(err instanceof PolicyCompileError);
        assert.equal(err.attribute, 'caching-type');
        assert.match(err.message, /policy expressions are not evaluated in this attribute/);
        return true;
      });
    }
    assert.throws(() => cacheLookup.compile({ name: 'cache-lookup', attrs: { 'allow-private-response-caching': '@(true)' }, children: [], text: '' }, at), /not evaluated/);
  });

  test('cache-*-value keys and values are expressions, evaluated per request; a computed key is bounded', async () => {
    const services: WorkerServices = { counters: new SharedCounters(SharedCounters.allocate(16)), now: Date.now };
    const make = (factory: PolicyFactory<unknown>, yaml: Record<string, unknown>) => factory.create(compileOne(factory, yaml), services);
    const key = '@("token-" + context.Request.Headers.GetValueOrDefault("x-client", "none"))';
    const store = make(cacheStoreValue as PolicyFactory<unknown>, { key, value: '@(context.Request.Headers.GetValueOrDefault("x-token", "").Length * 2)', duration: 60, 'caching-type': 'internal' });
    const lookup = make(cacheLookupValue as PolicyFactory<unknown>, { key, 'variable-name': 'got', 'default-value': '@("miss-" + context.Request.Method)', 'caching-type': 'internal' });
    const alice = newContext({ headers: ['x-client', 'alice', 'x-token', 'abcd'] });
    await lookup.run(alice);
    assert.equal(alice.variable('got'), 'miss-GET');
    await store.run(alice);
    await lookup.run(alice);
    assert.equal(alice.variable('got'), 8, 'a number keeps its type');
    const bob = newContext({ headers: ['x-client', 'bob'] });
    await lookup.run(bob);
    assert.equal(bob.variable('got'), 'miss-GET', 'another client, another key');
    const long = newContext({ headers: ['x-client', 'x'.repeat(2000)] });
    assert.throws(() => lookup.run(long), (err: unknown) => (err as { code?: string }).code === 'OUTPOST_ERR_EXPRESSION_FAILED');
  });
});

describe('cache-*-value (internal)', () => {
  const services: WorkerServices = { counters: new SharedCounters(SharedCounters.allocate(16)), now: Date.now };
  const make = (factory: PolicyFactory<unknown>, yaml: Record<string, unknown>) => factory.create(compileOne(factory, yaml), services);
  const lookup = make(cacheLookupValue as PolicyFactory<unknown>, { key: 'k1', 'variable-name': 'got', 'default-value': 'none', 'caching-type': 'internal' });

  test('store, look up, remove', async () => {
    const ctx = newContext();
    await lookup.run(ctx);
    assert.equal(ctx.variable('got'), 'none');
    await make(cacheStoreValue as PolicyFactory<unknown>, { key: 'k1', value: 'hello', duration: 60, 'caching-type': 'internal' }).run(ctx);
    await lookup.run(ctx);
    assert.equal(ctx.variable('got'), 'hello');
    await make(cacheRemoveValue as PolicyFactory<unknown>, { key: 'k1', 'caching-type': 'internal' }).run(ctx);
    await lookup.run(ctx);
    assert.equal(ctx.variable('got'), 'none');
  });

  test('without default-value a miss assigns null; external without Redis is a miss', async () => {
    const ctx = newContext();
    await make(cacheStoreValue as PolicyFactory<unknown>, { key: 'k2', value: 'v', duration: 60, 'caching-type': 'external' }).run(ctx);
    await make(cacheLookupValue as PolicyFactory<unknown>, { key: 'k2', 'variable-name': 'x', 'caching-type': 'external' }).run(ctx);
    assert.equal(ctx.variable('x'), null);
  });

  test('in outbound every caching type compiles (a lookup that may ask Redis makes the chain buffer the response)', () => {
    for (const type of ['internal', 'external', 'prefer-external']) {
      assert.doesNotThrow(() => compileOne(cacheLookupValue as PolicyFactory<unknown>, { key: 'k', 'variable-name': 'v', 'caching-type': type }, 'outbound'), type);
    }
  });
});

describe('cache-lookup and cache-store (internal)', () => {
  let clock = 1_000_000;
  const services: WorkerServices = { counters: new SharedCounters(SharedCounters.allocate(16)), now: () => clock };
  const lookupWith = (yaml: Record<string, unknown>) => cacheLookup.create(compileOne(cacheLookup as PolicyFactory<unknown>, yaml) as never, services);
  const store = cacheStore.create(compileOne(cacheStore as PolicyFactory<unknown>, { duration: 100 }, 'outbound') as never, services);

  /** A miss, then the backend's answer through cache-store and the body tap, as the exchange does. */
  async function missAndStore(lookup: ReturnType<typeof lookupWith>, path: string, headers: string[], body: Buffer): Promise<void> {
    const ctx = newContext({ path });
    assert.equal(await lookup.run(ctx), CONTINUE);
    ctx.response = { status: 200, reason: 'OK', headers, body: null };
    store.run(ctx);
    const tap = ctx.bodyTap;
    if (tap === null) return;
    if (tap.begin(200, 'OK', ctx.response.headers, -1)) { tap.chunk(body); tap.complete(); }
  }

  test('downstream-caching-type public: Cache-Control counts down to the expiry; Age counts up', async () => {
    const lookup = lookupWith({ 'caching-type': 'internal', 'downstream-caching-type': 'public' });
    await missAndStore(lookup, '/down', ['cache-control', 'max-age=5', 'x-a', '1'], Buffer.from('abc'));
    clock += 30_000;
    const ctx = newContext({ path: '/down' });
    assert.equal(await lookup.run(ctx), RESPOND);
    assert.deepEqual(ctx.response!.headers, ['x-a', '1', 'cache-control', 'public, max-age=70, must-revalidate', 'age', '30']);
    assert.deepEqual(ctx.response!.body, Buffer.from('abc'));
    clock += 70_000;
    const expired = newContext({ path: '/down' });
    assert.equal(await lookup.run(expired), CONTINUE);
    assert.equal(expired.cacheResult, 'miss');
  });

  test('Authorization: not looked up unless allow-private-response-caching; private stored only then', async () => {
    const plain = lookupWith({ 'caching-type': 'internal' });
    const withAuth = newContext({ path: '/auth', headers: ['host', 'b', 'authorization', 'Bearer x'] });
    assert.equal(await plain.run(withAuth), CONTINUE);
    assert.equal(withAuth.cacheResult, null);
    await missAndStore(plain, '/priv', ['cache-control', 'private'], Buffer.from('p'));
    assert.equal(await plain.run(newContext({ path: '/priv' })), CONTINUE);
    const allowing = lookupWith({ 'caching-type': 'internal', 'allow-private-response-caching': 'true', 'vary-by-header': 'Authorization' });
    await missAndStore(allowing, '/priv2', ['cache-control', 'private'], Buffer.from('p'));
    assert.equal(await allowing.run(newContext({ path: '/priv2' })), RESPOND);
  });

  test('a body over maxEntryBytes is dropped mid-stream; a body shorter than its Content-Length is not stored', async () => {
    const lookup = lookupWith({ 'caching-type': 'internal' });
    const ctx = newContext({ path: '/cap' });
    await lookup.run(ctx);
    ctx.response = { status: 200, reason: 'OK', headers: [], body: null };
    store.run(ctx);
    const tap = ctx.bodyTap!;
    assert.ok(tap.begin(200, 'OK', [], -1));
    tap.chunk(Buffer.alloc(1024 * 1024));
    tap.chunk(Buffer.alloc(1));
    tap.complete();
    assert.equal(await lookup.run(newContext({ path: '/cap' })), CONTINUE);
    const short = newContext({ path: '/short' });
    await lookup.run(short);
    short.response = { status: 200, reason: 'OK', headers: [], body: null };
    store.run(short);
    assert.ok(short.bodyTap!.begin(200, 'OK', [], 10));
    short.bodyTap!.chunk(Buffer.alloc(5));
    short.bodyTap!.complete();
    assert.equal(await lookup.run(newContext({ path: '/short' })), CONTINUE);
  });
});
