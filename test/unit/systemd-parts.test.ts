/** The pure parts of systemd notify and CPU placement: watchdog settings, STATUS lines, CPU lists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchdogInterval } from '../../src/gateway/primary/sd-notify.js';
import { statusLine } from '../../src/gateway/primary/systemd-service.js';
import { cpuForWorker, parseCpuList } from '../../src/gateway/primary/cpu-placement.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';

test('watchdog interval: half WATCHDOG_USEC, only for this pid', () => {
  assert.equal(watchdogInterval({}), null);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42), null);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '0' }, 42), null);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '-5' }, 42), null);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '1e9' }, 42), null);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '1000' }, 42), 1);
});

test('STATUS line: readiness, workers, and where the config comes from', () => {
  const workers = [{ phase: 'accepting' }, { phase: 'starting' }];
  assert.equal(statusLine({ ready: true, generation: 3, workers: [workers[0]], configFile: '/etc/outpost/gateway.yaml', lastReload: null }),
    'serving generation 3; 1/1 workers accepting; config /etc/outpost/gateway.yaml');
  assert.equal(statusLine({ ready: false, generation: 1, reason: 'no config yet: waiting for the control plane', workers,
    managed: { servingFrom: null, configRevision: null, controlPlane: { connected: false } } }),
  'not ready: no config yet: waiting for the control plane; 1/2 workers accepting; control plane unreachable, revision none, serving from nothing yet');
  assert.equal(statusLine({ ready: true, generation: 4, managed: { servingFrom: 'backup', configRevision: 12, controlPlane: { connected: true } },
    lastReload: { ok: false, problems: [{}, {}] } }),
  'serving generation 4; control plane connected, revision 12, serving from backup; last config rejected (2 problem(s)), generation 4 stays');
  const long = statusLine({ ready: true, generation: 1, configFile: `/x\n${'y'.repeat(1000)}` });
  assert.equal(long.length, 400);
  assert.ok(!long.includes('\n'));
});

test('CPU lists and placement', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.equal(parseCpuList('0-a'), null);
  assert.equal(parseCpuList('3-1'), null);
  assert.equal(parseCpuList('0-5000'), null);
  assert.equal(cpuForWorker(undefined, 0, [0, 1]), null);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => cpuForWorker('auto', i, [2, 3, 6])), [2, 3, 6, 2, 3]);
  assert.deepEqual([0, 1, 2].map((i) => cpuForWorker([5, 4], i, [0, 1])), [5, 4, 5]);
});

test('gateway.cpuAffinity: "auto" or CPU numbers, problems named by field', () => {
  const check = (cpuAffinity: unknown) => {
    const r = validateGatewayConfig({ gateway: { cpuAffinity } });
    return r.ok ? r.config.gateway.cpuAffinity : r.problems.map((p) => p.path);
  };
  assert.equal(check('auto'), 'auto');
  assert.deepEqual(check([1, 0]), [1, 0]);
  assert.equal(validateGatewayConfig({}).ok && validateGatewayConfig({ gateway: {} }).ok, true);
  assert.deepEqual(check('all'), ['gateway.cpuAffinity']);
  assert.deepEqual(check([]), ['gateway.cpuAffinity']);
  assert.deepEqual(check([0, 2.5]), ['gateway.cpuAffinity[1]']);
  assert.deepEqual(check([1024]), ['gateway.cpuAffinity[0]']);
});
