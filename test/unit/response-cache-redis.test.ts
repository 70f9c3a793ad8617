/**
 * The external cache at unit level against the real Redis at 127.0.0.1:6379, through a test-only
 * RedisLink on ioredis (test/support/test-redis-link.ts): two "gateways" (two WorkerServices, two
 * connections) share response entries and values; Redis unreachable is a miss, never an error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cacheLookup } from '../../src/gateway/cache/cache-lookup.js';
import { cacheStore } from '../../src/gateway/cache/cache-store.js';
import { cacheLookupValue, cacheStoreValue } from '../../src/gateway/cache/cache-value.js';
import { RESPOND, CONTINUE } from '../../src/gateway/pipeline/phases.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import type { RequestContext } from '../../src/gateway/pipeline/context.js';
import { compileOne, newContext } from '../support/policy-harness.js';
import { readyLink, testRedisLink, type TestRedisLink } from '../support/test-redis-link.js';

const servicesWith = (redis: TestRedisLink): WorkerServices => ({ counters: new SharedCounters(SharedCounters.allocate(16)), now: Date.now, redis });
const make = (factory: PolicyFactory<never>, yaml: Record<string, unknown>, services: WorkerServices, section?: 'inbound' | 'outbound') =>
  (factory as PolicyFactory<unknown>).create(compileOne(factory as PolicyFactory<unknown>, yaml, section), services);

/** What the exchange does on a backend answer: outbound cache-store, then the tap sees the head and body. */
async function passResponse(ctx: RequestContext, services: WorkerServices, body: Buffer): Promise<void> {
  ctx.response = { status: 200, reason: 'OK', headers: ['content-type', 'text/plain'], body: null };
  assert.equal(await make(cacheStore as PolicyFactory<never>, { duration: 30 }, services, 'outbound').run(ctx), CONTINUE);
  const tap = ctx.bodyTap!;
  assert.ok(tap.begin(200, 'OK', ctx.response.headers, body.length));
  tap.chunk(body.subarray(0, 3));
  tap.chunk(body.subarray(3));
  tap.complete();
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 10)); }
  assert.fail('not seen within 1 s');
}

describe('external cache on real Redis', () => {
  let one: TestRedisLink;
  let two: TestRedisLink;
  const suffix = randomBytes(6).toString('hex');

  before(async () => { one = testRedisLink(); two = testRedisLink(); await readyLink(one); await readyLink(two); });
  after(async () => {
    await one.client.del(`cv:unit-${suffix}`);
    await one.close();
    await two.close();
  });

  test('an entry stored through one connection is a hit through another, same bytes, with Age', async () => {
    const a = servicesWith(one);
    const b = servicesWith(two);
    const lookupYaml = { 'caching-type': 'external' };
    const path = `/shared-${suffix}`;
    const first = newContext({ path });
    assert.equal(await make(cacheLookup as PolicyFactory<never>, lookupYaml, a).run(first), CONTINUE);
    assert.equal(first.cacheResult, 'miss');
    const body = Buffer.from([1, 2, 3, 0, 255, 10]);
    await passResponse(first, a, body);
    await eventually(async () => {
      const again = newContext({ path });
      const outcome = await make(cacheLookup as PolicyFactory<never>, lookupYaml, b).run(again);
      if (outcome !== RESPOND) return false;
      assert.equal(again.cacheResult, 'hit');
      assert.equal(again.response!.status, 200);
      assert.deepEqual(again.response!.body, body);
      assert.deepEqual(again.response!.headers.slice(0, 2), ['content-type', 'text/plain']);
      assert.equal(again.response!.headers[2], 'age');
      return true;
    });
    await one.client.del(first.cacheStore?.key ?? '');
  });

  test('cache-store-value through one connection, cache-lookup-value through another', async () => {
    const key = `unit-${suffix}`;
    await make(cacheStoreValue as PolicyFactory<never>, { key, value: 'shared', duration: 30, 'caching-type': 'external' }, servicesWith(one)).run(newContext());
    await eventually(async () => {
      const ctx = newContext();
      await make(cacheLookupValue as PolicyFactory<never>, { key, 'variable-name': 'v', 'caching-type': 'prefer-external' }, servicesWith(two)).run(ctx);
      return ctx.variable('v') === 'shared';
    });
  });
});

describe('external cache with Redis unreachable', () => {
  let closed: Server;
  let link: TestRedisLink;
  before(async () => {
    // A port that accepts and says nothing: commands time out (the budget), like a hung Redis.
    closed = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    link = testRedisLink((closed.address() as AddressInfo).port, 50);
  });
  after(async () => { await link.close(); await new Promise<void>((r) => closed.close(() => r())); });

  test('lookups miss and stores are skipped, without an error', async () => {
    const services = servicesWith(link);
    const ctx = newContext({ path: '/down' });
    assert.equal(await make(cacheLookup as PolicyFactory<never>, { 'caching-type': 'external' }, services).run(ctx), CONTINUE);
    assert.equal(ctx.cacheResult, 'miss');
    assert.equal(ctx.lastError, null);
    const v = newContext();
    assert.equal(await make(cacheLookupValue as PolicyFactory<never>, { key: 'k', 'variable-name': 'v', 'default-value': 'd', 'caching-type': 'external' }, services).run(v), CONTINUE);
    assert.equal(v.variable('v'), 'd');
  });
});
