/**
 * gateway.redis: schema problems with field paths (never echoing a password), the resolved
 * settings, OUTPOST_REDIS_URL, and scope="fleet" refused at compile time without Redis.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateGatewayConfig, type GatewayConfig } from '../../src/shared/config-schema.js';
import { checkRedisUrlVariable, describeRedis, resolveRedisSettings, withRedisUrlOverride } from '../../src/gateway/redis/redis-settings.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { OutpostError } from '../../src/shared/errors.js';
import { resolveGatewayOptions } from '../../src/cli/gateway-options.js';
import { testTempDir } from '../support/temp-dir.js';

function problems(redis: unknown) {
  const result = validateGatewayConfig({ gateway: { redis } });
  assert.equal(result.ok, false);
  return result.ok ? [] : result.problems;
}

function valid(input: object): GatewayConfig {
  const result = validateGatewayConfig(input);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.config;
}

describe('gateway.redis schema', () => {
  test('defaults, and no Redis at all without the section', () => {
    assert.equal(valid({}).gateway.redis, undefined);
    const redis = valid({ gateway: { redis: { url: 'redis://127.0.0.1:6379/2' } } }).gateway.redis!;
    assert.equal(redis.commandTimeoutMs, 50);
    assert.equal(redis.keyPrefix, 'outpost:');
  });

  test('bad URLs are named by path and the password is never repeated', () => {
    for (const url of ['http://h:1', 'redis://', 'redis://:s3cret@h:1/db', 'redis://u:s3cret@h:1/0?x=1', 'not a url s3cret']) {
      const [p] = problems({ url });
      assert.equal(p.path, 'gateway.redis.url', url);
      assert.ok(!p.message.includes('s3cret'), p.message);
    }
    assert.equal(problems({ cluster: ['redis://a:1', 'tcp://b:2'] })[0].path, 'gateway.redis.cluster[1]');
    assert.equal(problems({ url: 'redis://h:1', keyPrefix: 'a{b}' })[0].path, 'gateway.redis.keyPrefix');
    assert.equal(problems({ url: 'redis://h:1', commandTimeoutMs: 0 })[0].path, 'gateway.redis.commandTimeoutMs');
    assert.equal(problems({ url: 'redis://h:1', sentinel: { name: 'm', nodes: ['h'] } })[0].path, 'gateway.redis.sentinel.nodes[0]');
    assert.equal(problems({ url: 'redis://h:1', passwrd: 'x' })[0].path, 'gateway.redis.passwrd');
  });

  test('resolved settings: mode, credentials kept out of descriptions, CA file read at startup', () => {
    const single = resolveRedisSettings(valid({ gateway: { redis: { url: 'rediss://app:s3cret@cache.example:6380/1' } } }).gateway.redis)!;
    assert.equal(single.mode, 'single');
    assert.equal(describeRedis(single), 'rediss://cache.example:6380/1');
    const cluster = resolveRedisSettings(valid({ gateway: { redis: { cluster: ['redis://a:7000', 'redis://b:7001'] } } }).gateway.redis)!;
    assert.equal(cluster.mode, 'cluster');
    const sentinel = resolveRedisSettings(valid({ gateway: { redis: { sentinel: { name: 'main', nodes: ['s1:26379', '[::1]:26380'] } } } }).gateway.redis)!;
    assert.deepEqual(sentinel.sentinel!.nodes, [{ host: 's1', port: 26379 }, { host: '::1', port: 26380 }]);

    const fails = (redis: object, field: string) => assert.throws(() => resolveRedisSettings(valid({ gateway: { redis } }).gateway.redis),
      (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_CONFIG_INVALID' && err.message.startsWith(`gateway.redis.${field}:`));
    fails({}, 'url');
    fails({ url: 'rediss://h:1', caFile: '/nonexistent/ca.pem' }, 'caFile');
    const dir = testTempDir('outpost-redis-');
    writeFileSync(join(dir, 'not.pem'), 'hello');
    fails({ url: 'rediss://h:1', caFile: join(dir, 'not.pem') }, 'caFile');
    fails({ cluster: ['redis://a:1'], sentinel: { name: 'm', nodes: ['h:1'] } }, 'cluster');
  });

  test('OUTPOST_REDIS_URL replaces the url, or turns Redis on with the defaults; a bad one is named, not shown', () => {
    const base = valid({ gateway: { redis: { url: 'redis://old:1/0', commandTimeoutMs: 20 } } });
    const over = withRedisUrlOverride(base, 'redis://new:2/0').gateway.redis!;
    assert.equal(over.url, 'redis://new:2/0');
    assert.equal(over.commandTimeoutMs, 20);
    assert.equal(withRedisUrlOverride(valid({}), 'redis://new:2/0').gateway.redis!.keyPrefix, 'outpost:');
    assert.equal(withRedisUrlOverride(base, undefined), base);
    assert.throws(() => checkRedisUrlVariable('http://u:s3cret@h:1'), (err: unknown) => err instanceof OutpostError && /^OUTPOST_REDIS_URL /.test(err.message) && !err.message.includes('s3cret'));
    assert.equal(resolveGatewayOptions([], { OUTPOST_REDIS_URL: 'redis://h:1' }).redisUrl, 'redis://h:1');
    assert.equal(resolveGatewayOptions([], { OUTPOST_REDIS_URL: '' }).redisUrl, undefined);
  });
});

describe('scope="fleet" needs Redis', () => {
  const config = (gateway: object, scope = 'fleet') => valid({
    gateway,
    apis: [{
      id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1',
      operations: [{ id: 'x', method: 'GET', urlTemplate: '/x', policies: { inbound: [{ quota: { calls: 5, 'renewal-period': 60, scope } }] } }],
      policies: { inbound: [{ choose: { when: [{ condition: "request.method == 'GET'", policies: [{ 'rate-limit': { calls: 2, 'renewal-period': 60, scope } }] }] } }, { base: {} }] },
    }],
  });

  test('without gateway.redis: a compile error at each fleet policy, naming the attribute', () => {
    const { problems } = compilePolicies(config({}));
    assert.deepEqual(problems.map((p) => p.path).sort(), ['apis[0].operations[0].policies', 'apis[0].policies']);
    for (const p of problems) {
      assert.equal(p.code, 'OUTPOST_ERR_POLICY_INVALID');
      assert.match(p.message, /@scope: scope="fleet" counts in Redis, but gateway.redis is not configured/);
    }
  });

  test('with gateway.redis, or OUTPOST_REDIS_URL applied, or scope="node": no problem', () => {
    assert.deepEqual(compilePolicies(config({ redis: { url: 'redis://h:1' } })).problems, []);
    assert.deepEqual(compilePolicies(withRedisUrlOverride(config({}), 'redis://h:1')).problems, []);
    assert.deepEqual(compilePolicies(config({}, 'node')).problems, []);
  });
});
