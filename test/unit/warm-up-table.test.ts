/** The workers' warm-up table: the gateway's own settings (no HTTPS listener), one API, no policies, a backend that cannot resolve. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { warmUpConfig } from '../../src/gateway/primary/warm-up-table.js';
import { compileTable } from '../../src/gateway/router/compile-table.js';
import { WARM_UP_PREFIX } from '../../src/shared/protocol.js';

test('the warm-up config keeps the settings but the HTTPS listener, and routes one policy-free API to an .invalid host', () => {
  const real = validateGatewayConfig({
    gateway: { maxHeaderBytes: 4096, clientIdleTimeoutMs: 700, requestLog: { enabled: false }, tls: { certificates: [{ certFile: '/etc/c.pem', keyFile: '/etc/k.pem' }] } },
    policies: { inbound: [{ 'set-header': { name: 'x-global', value: '1' } }] },
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://10.0.0.5', operations: [{ id: 'g', method: 'GET', urlTemplate: '/' }] }],
  });
  assert.ok(real.ok, JSON.stringify(real.ok ? null : real.problems));
  const warm = warmUpConfig(real.config.gateway);
  const { tls, ...withoutListener } = real.config.gateway;
  assert.ok(tls);
  assert.deepEqual(warm.gateway, withoutListener);
  assert.ok(real.config.policies, 'the real config has a global policy');
  assert.equal(warm.policies, undefined, 'no global policy');
  assert.deepEqual(warm.apis.map((a) => [a.id, `/${a.path}`, new URL(a.serviceUrl).hostname, a.subscriptionRequired, a.policies]),
    [['outpost-warm-up', WARM_UP_PREFIX, 'outpost-warm-up.invalid', false, undefined]]);
  assert.deepEqual(warm.apis[0]!.operations.map((o) => [o.method, o.urlTemplate, o.policies]), [['GET', '/items/{id}', undefined]]);
  assert.ok(compileTable(warm).length > 0);
});

test('gateway.warmupRequests is a whole number in 0..100000, named by its path when it is not', () => {
  for (const bad of [-1, 100_001, 1.5, '10']) {
    const r = validateGatewayConfig({ gateway: { warmupRequests: bad } });
    assert.ok(!r.ok, String(bad));
    assert.deepEqual(r.problems.map((p) => p.path), ['gateway.warmupRequests'], String(bad));
  }
  for (const good of [0, 100_000]) {
    const r = validateGatewayConfig({ gateway: { warmupRequests: good } });
    assert.ok(r.ok && r.config.gateway.warmupRequests === good, String(good));
  }
});
