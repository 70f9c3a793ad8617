/**
 * The systemd notify protocol against a real unix datagram receiver, with the real gateway:
 * READY=1 once it serves, WATCHDOG=1 every half WATCHDOG_USEC while every worker answers its
 * liveness ping (not while one is stuck in a busy loop), RELOADING=1 with MONOTONIC_USEC then
 * READY=1 on SIGHUP, STOPPING=1 on SIGTERM, in that order. And without the addon: one log line,
 * no notifications, the gateway still serves.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { field, startNotifyReceiver, type NotifyReceiver } from '../support/notify-receiver.js';
import { BUSY_WORKER_PRELOAD } from '../support/busy-worker-preload.js';
import { testTempDir } from '../support/temp-dir.js';

const WATCHDOG_USEC = 200_000; // the gateway feeds it every 100 ms
const BUSY_MS = 2_000;
const nowUsec = () => Number(process.hrtime.bigint() / 1_000n);
const isWatchdog = (m: { text: string }) => m.text === 'WATCHDOG=1';

describe('systemd notify', () => {
  const dir = testTempDir('outpost-notify-');
  const trigger = join(dir, 'busy-now');
  let backend: TestBackend;
  let receiver: NotifyReceiver;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    receiver = await startNotifyReceiver(join(dir, 'notify.sock'));
    gw = await startGateway(oneApiConfig(backend.url), {
      workers: 2,
      env: {
        NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC),
        OUTPOST_TEST_WORKER_PRELOAD: BUSY_WORKER_PRELOAD, OUTPOST_TEST_BUSY_TRIGGER: trigger, OUTPOST_TEST_BUSY_MS: String(BUSY_MS),
      },
    });
  });

  after(async () => {
    await gw?.stop('SIGKILL');
    receiver?.close();
    await backend?.close();
  });

  test('READY=1 with a STATUS line once the gateway serves', async () => {
    const ready = await receiver.waitFor((m) => field(m, 'READY') === '1');
    assert.match(field(ready, 'STATUS') ?? '', /^serving generation 1; 2\/2 workers accepting; config /);
    const res = await fetch(gw.url('/echo/x'));
    assert.equal(res.status, 200);
    assert.equal(receiver.messages.filter((m) => m.t < ready.t && isWatchdog(m)).length, 0, 'no WATCHDOG=1 before READY=1');
  });

  test('WATCHDOG=1 periodically while every worker answers', async () => {
    await receiver.waitFor(() => receiver.messages.filter(isWatchdog).length >= 5);
  });

  test('a worker stuck in a busy loop stops WATCHDOG=1 until it answers again', async () => {
    writeFileSync(trigger, '');
    const busy = await gw.waitForLog((l) => l.msg === 'test: worker was busy', BUSY_MS + 10_000);
    const from = busy.from as number;
    const to = busy.to as number;
    // The round after the loop began may still count the answer to the ping before it; from the
    // one after that, nothing, until the worker answers again. (Arrival times: a margin of five
    // rounds for a receiver that reads late on a busy machine.)
    const slack = (WATCHDOG_USEC / 2) * 5;
    const during = receiver.messages.filter((m) => isWatchdog(m) && m.t > from + slack && m.t < to);
    assert.deepEqual(during.map((m) => m.t - from), []);
    assert.ok(receiver.messages.some((m) => isWatchdog(m) && m.t < from), 'fed before the loop');
    await receiver.waitFor((m) => isWatchdog(m) && m.t > to);
    const silentLog = gw.logs.find((l) => l.msg === 'workers do not answer the liveness ping: the systemd watchdog is not fed');
    assert.deepEqual(silentLog?.workers, [1]);
    await gw.waitForLog((l) => l.msg === 'every worker answers the liveness ping again: the systemd watchdog is fed');
  });

  test('SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 once the reload is applied', async () => {
    const from = receiver.messages.length;
    const sentAt = nowUsec();
    gw.proc.kill('SIGHUP');
    const reloading = await receiver.waitFor((m) => field(m, 'RELOADING') === '1', from);
    const stamp = Number(field(reloading, 'MONOTONIC_USEC'));
    assert.ok(stamp >= sentAt && stamp <= reloading.t, `MONOTONIC_USEC ${stamp} within [${sentAt}, ${reloading.t}]`);
    const ready = await receiver.waitFor((m) => field(m, 'READY') === '1', receiver.messages.indexOf(reloading));
    assert.ok(ready.t >= reloading.t);
    assert.match(field(ready, 'STATUS') ?? '', /^serving generation 2;/);
  });

  test('SIGTERM: STOPPING=1, then no more watchdog; the events came in order', async () => {
    const code = await gw.stop('SIGTERM');
    assert.equal(code, 0);
    const stopping = await receiver.waitFor((m) => field(m, 'STOPPING') === '1');
    assert.match(field(stopping, 'STATUS') ?? '', /^draining \(SIGTERM\)$/);
    const events = receiver.messages.flatMap((m) => m.fields.filter(([k]) => ['READY', 'RELOADING', 'STOPPING'].includes(k)).map(([k, v]) => `${k}=${v}`));
    assert.deepEqual(events, ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
    const stopIndex = receiver.messages.indexOf(stopping);
    assert.equal(receiver.messages.slice(stopIndex).filter(isWatchdog).length, 0);
  });
});

test('without the addon: one log line, no notifications, and the gateway serves', async () => {
  const dir = testTempDir('outpost-notify-off-');
  const backend = await startBackend(echoHandler);
  const receiver = await startNotifyReceiver(join(dir, 'notify.sock'));
  const gw = await startGateway(oneApiConfig(backend.url, { cpuAffinity: 'auto' }), {
    workers: 2, env: { OUTPOST_NATIVE: 'off', NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC) },
  });
  try {
    assert.equal((await fetch(gw.url('/echo/x'))).status, 200);
    const off = gw.logs.filter((l) => l.msg === 'native addon not loaded: systemd notify and CPU pinning are off');
    assert.equal(off.length, 1);
    assert.equal(off[0].reason, 'OUTPOST_NATIVE=off');
    assert.equal(gw.logs.filter((l) => String(l.msg).startsWith('worker thread')).length, 0);
    assert.equal(await gw.stop('SIGTERM'), 0);
    assert.deepEqual(receiver.messages, []);
  } finally {
    await gw.stop('SIGKILL');
    receiver.close();
    await backend.close();
  }
});

test('managed mode with no config yet: no READY=1, STATUS tells the sync state; STOPPING=1 at SIGTERM', async () => {
  const dir = testTempDir('outpost-notify-managed-');
  const unreachable = await new Promise<number>((resolvePort) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolvePort(port)); });
  });
  const envFile = join(dir, 'env.conf');
  writeFileSync(envFile, [`config.service.endpoint=http://127.0.0.1:${unreachable}`, 'config.service.auth=GatewayKey dc1&209901010000&c2lnbmF0dXJl',
    'OUTPOST_STARTUP_TIMEOUT_MS=500', 'OUTPOST_RETRY_MAX_MS=500', ''].join('\n'));
  const receiver = await startNotifyReceiver(join(dir, 'notify.sock'));
  const gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile], env: { NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: String(WATCHDOG_USEC) } });
  try {
    // Earlier lines follow startup (`0/1 workers accepting`); this one is where it settles.
    const status = await receiver.waitFor((m) => /1\/1 workers accepting; control plane unreachable/.test(field(m, 'STATUS') ?? ''));
    assert.match(field(status, 'STATUS')!, /^not ready: no config yet: waiting for the control plane; 1\/1 workers accepting; control plane unreachable, revision none, serving from nothing yet$/);
    gw.proc.kill('SIGHUP'); // nothing to reload in systemd's eyes before READY=1
    await gw.waitForLog((l) => l.msg === 'managed settings reloaded');
    assert.equal(await gw.stop('SIGTERM'), 0);
    await receiver.waitFor((m) => field(m, 'STOPPING') === '1');
    const events = receiver.messages.flatMap((m) => m.fields.filter(([k]) => ['READY', 'RELOADING', 'STOPPING', 'WATCHDOG'].includes(k)).map(([k, v]) => `${k}=${v}`));
    assert.deepEqual(events, ['STOPPING=1']);
  } finally {
    await gw.stop('SIGKILL');
    receiver.close();
  }
});
