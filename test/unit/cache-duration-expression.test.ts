/**
 * Cache durations as policy expressions (APIM allows one in cache-store's and cache-store-value's
 * `duration`; real policies cache a token for the seconds its endpoint gave): evaluated per
 * request, the entry expires then; a value that is not 1 s to 2147483647 s (APIM's Int32) fails the request to
 * on-error (OUTPOST_ERR_EXPRESSION_FAILED); a constant is still checked at compile time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { cacheLookupValue, cacheStoreValue } from '../../src/gateway/cache/cache-value.js';
import { cacheLookup } from '../../src/gateway/cache/cache-lookup.js';
import { cacheStore } from '../../src/gateway/cache/cache-store.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileOne, newContext } from '../support/policy-harness.js';

function servicesAt(clock: { now: number }): WorkerServices {
  return { counters: new SharedCounters(SharedCounters.allocate(16)), now: () => clock.now };
}
const make = (factory: PolicyFactory<unknown>, policy: unknown, services: WorkerServices, section?: 'outbound') =>
  factory.create(unpack(pack(compileOne(factory, policy, section))), services);

test('cache-store-value: the duration an expression gives is the entry\'s lifetime', async () => {
  const clock = { now: 1_000_000 };
  const services = servicesAt(clock);
  const store = make(cacheStoreValue as PolicyFactory<unknown>,
    '<cache-store-value key="token" value="@((string)context.Variables[&quot;token&quot;])" duration="@((int)context.Variables[&quot;expires_in&quot;] - 5)" caching-type="internal" />', services);
  const lookup = make(cacheLookupValue as PolicyFactory<unknown>, { key: 'token', 'variable-name': 'cached', 'caching-type': 'internal' }, services);
  const ctx = newContext();
  ctx.setVariable('token', 'abc');
  ctx.setVariable('expires_in', 15);
  await store.run(ctx);
  clock.now += 9_000;
  await lookup.run(ctx);
  assert.equal(ctx.variable('cached'), 'abc', 'alive before 10 s');
  clock.now += 2_000;
  await lookup.run(ctx);
  assert.equal(ctx.variable('cached'), null, 'gone after 10 s');
});

test('a duration outside 1 s to 2147483647 s, or not a number, fails the request to on-error', () => {
  const services = servicesAt({ now: 0 });
  for (const expr of ['@(0)', '@(-5)', '@(2147483648)', '@("soon")', '@(1.5)']) {
    const store = make(cacheStoreValue as PolicyFactory<unknown>, { key: 'k', value: 'v', duration: expr, 'caching-type': 'internal' }, services);
    assert.throws(() => store.run(newContext()), (err: unknown) => (err as { code?: string }).code === 'OUTPOST_ERR_EXPRESSION_FAILED', expr);
  }
  const digits = make(cacheStoreValue as PolicyFactory<unknown>, { key: 'k', value: 'v', duration: '@("30")', 'caching-type': 'internal' }, services);
  assert.equal(digits.run(newContext()), CONTINUE, 'the digits of a whole number are a number of seconds');
});

test('cache-store: an expression duration (per status, as the corpus does) sets the downstream max-age', async () => {
  const services = servicesAt({ now: 5_000_000 });
  const lookup = make(cacheLookup as PolicyFactory<unknown>, { 'caching-type': 'internal', 'downstream-caching-type': 'public' }, services);
  const store = make(cacheStore as PolicyFactory<unknown>, { duration: '@(context.Response.StatusCode == 200 ? 1800 : 60)' }, services, 'outbound');
  const ctx = newContext({ path: '/expr' });
  assert.equal(await lookup.run(ctx), CONTINUE);
  ctx.response = { status: 200, reason: 'OK', headers: [], body: null };
  store.run(ctx);
  assert.deepEqual(ctx.response.headers, ['cache-control', 'public, max-age=1800, must-revalidate']);
});

test('a constant duration is still checked at compile time', () => {
  assert.throws(() => compileOne(cacheStoreValue as PolicyFactory<unknown>, { key: 'k', value: 'v', duration: 0 }), /between 1 and 2147483647/);
  assert.throws(() => compileOne(cacheStoreValue as PolicyFactory<unknown>, { key: 'k', value: 'v', duration: '2147483648' }), /between 1 and 2147483647/);
  assert.throws(() => compileOne(cacheStore as PolicyFactory<unknown>, { duration: 'soon' }, 'outbound'), /whole number of seconds/);
});

test('a constant duration up to APIM\'s Int32 maximum (2147483647 s, "forever") is accepted and the entry stays', async () => {
  const clock = { now: 1_000_000 };
  const services = servicesAt(clock);
  const store = make(cacheStoreValue as PolicyFactory<unknown>, { key: 'forever', value: 'kept', duration: 2147483647, 'caching-type': 'internal' }, services);
  const lookup = make(cacheLookupValue as PolicyFactory<unknown>, { key: 'forever', 'variable-name': 'found', 'caching-type': 'internal' }, services);
  const ctx = newContext();
  assert.equal(store.run(ctx), CONTINUE);
  clock.now += 10 * 365 * 86_400_000; // ten years later
  await lookup.run(ctx);
  assert.equal(ctx.variable('found'), 'kept');
});
