/**
 * BackendPools.forPolicy: the pools of origins a policy picks per request (a computed
 * set-backend-service base-url) are bounded per worker, least recently used out, while the
 * config's own pools are shared and never evicted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendPools, MAX_POLICY_BACKEND_POOLS } from '../../src/gateway/upstream/backend-pools.js';

const SETTINGS = { connections: 4, connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyTimeoutMs: 1000, keepAliveTimeoutMs: 1000, queueLimit: 16, connectBackoffMs: 250 };

test('origins chosen by policies: at most MAX_POLICY_BACKEND_POOLS pools, least recently used out; config pools untouched', async () => {
  const pools = new BackendPools();
  const configPool = pools.get('http://config.example', SETTINGS);
  pools.retainOnly(new Set([configPool]));
  assert.equal(pools.forPolicy('http://config.example', SETTINGS), configPool, 'a config origin is shared');

  const first = pools.forPolicy('http://computed-0.example', SETTINGS);
  const kept = pools.forPolicy('http://computed-1.example', SETTINGS);
  for (let i = 2; i < MAX_POLICY_BACKEND_POOLS; i++) pools.forPolicy(`http://computed-${i}.example`, SETTINGS);
  assert.equal(pools.forPolicy('http://computed-0.example', SETTINGS), first, 'still there at the bound');
  // computed-0 was just used: one more origin evicts computed-1, the least recently used.
  pools.forPolicy('http://one-more.example', SETTINGS);
  assert.equal(pools.forPolicy('http://computed-0.example', SETTINGS), first);
  assert.notEqual(pools.forPolicy('http://computed-1.example', SETTINGS), kept, 'evicted, so made again');
  for (let i = 0; i < 3 * MAX_POLICY_BACKEND_POOLS; i++) pools.forPolicy(`http://flood-${i}.example`, SETTINGS);
  assert.equal(pools.forPolicy('http://config.example', SETTINGS), configPool, 'a flood of computed origins never evicts a config pool');
  await pools.destroyAll();
});
