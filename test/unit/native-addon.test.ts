/**
 * The addon's sdNotify and pinThread, for real: datagrams reach a unix socket bound at a path and
 * at an @abstract name; a send nobody receives is false, not an exception; bad arguments throw;
 * pinThread narrows the calling thread's affinity, as /proc shows.
 * stopLoopIdleMetrics turns off the idle-time metrics of its thread's loop only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { nativeAddon } from '../../src/gateway/native.js';
import { startNotifyReceiver } from '../support/notify-receiver.js';
import { testTempDir } from '../support/temp-dir.js';

const addon = nativeAddon();
const ADDON_FILE = join(import.meta.dirname, '../../../native/build/Release/outpost_native.node');

test('sdNotify reaches a socket bound at a path and at an abstract name', { skip: addon === null && 'native addon not built' }, async () => {
  const path = join(testTempDir('outpost-sd-'), 'notify.sock');
  const abstract = `@outpost-test-${process.pid}-${Date.now()}`;
  for (const name of [path, abstract]) {
    const receiver = await startNotifyReceiver(name, 30);
    try {
      assert.equal(addon!.sdNotify(name, 'READY=1\nSTATUS=hello é'), true);
      const m = await receiver.waitFor(() => true);
      assert.deepEqual(m.fields, [['READY', '1'], ['STATUS', 'hello é']]);
    } finally {
      receiver.close();
    }
  }
});

test('sdNotify: false when nobody listens; bad arguments throw', { skip: addon === null && 'native addon not built' }, () => {
  assert.equal(addon!.sdNotify(join(tmpdir(), `no-such-${process.pid}.sock`), 'READY=1'), false);
  assert.equal(addon!.sdNotify('@outpost-nobody-listens-here', 'READY=1'), false);
  assert.throws(() => addon!.sdNotify('relative.sock', 'READY=1'), /absolute path or @abstract/);
  assert.throws(() => addon!.sdNotify('/' + 'x'.repeat(200), 'READY=1'), /absolute path or @abstract/);
  assert.throws(() => addon!.sdNotify('/tmp/x.sock', ''), /1 to 4096 bytes/);
  assert.throws(() => addon!.sdNotify('/tmp/x.sock', 'x'.repeat(4097)), /1 to 4096 bytes/);
  assert.throws(() => (addon!.sdNotify as (a: unknown, b: unknown) => boolean)(1, 'READY=1'), TypeError);
});

test('a receiver that does not read: sdNotify returns false once its queue is full, never blocks', { skip: addon === null && 'native addon not built' }, async () => {
  const name = `@outpost-test-full-${process.pid}`;
  // Binds, says so, then never reads (until killed; at most 30 s).
  const sleeper = spawn('python3', ['-c', `import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind('\\0'+sys.argv[1][1:])\nprint('bound',flush=True)\ntime.sleep(30)`, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(sleeper.stdout!, 'data');
    // The flood runs on a thread of its own: were a send to block, this thread still sees the deadline.
    const flood = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const addon = require(${JSON.stringify(ADDON_FILE)});
      let sent = 0, refused = 0;
      for (let i = 0; i < 5000; i++) addon.sdNotify(${JSON.stringify(name)}, 'WATCHDOG=1') ? sent++ : refused++;
      parentPort.postMessage({ sent, refused });`, { eval: true });
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      once(flood, 'message').then(([m]) => m as { sent: number; refused: number }),
      new Promise<null>((r) => { timer = setTimeout(() => r(null), 10_000); }),
    ]);
    clearTimeout(timer);
    assert.ok(result !== null, 'sdNotify blocked on a receiver that does not read');
    assert.ok(result.sent > 0, 'the first datagrams are queued');
    assert.ok(result.refused > 0, 'a full queue refuses (MSG_DONTWAIT) instead of blocking');
    await flood.terminate();
  } finally {
    sleeper.kill('SIGKILL');
  }
});

test('pinThread pins only the calling thread', { skip: addon === null && 'native addon not built' }, async () => {
  assert.throws(() => addon!.pinThread(-1), RangeError);
  assert.throws(() => addon!.pinThread(1024), RangeError);
  assert.equal(addon!.currentThreadId(), process.pid, 'the main thread\'s tid is the pid');
  // A thread of its own, so the test runner's thread keeps its affinity.
  const code = `
    const { parentPort } = require('node:worker_threads');
    const addon = require(${JSON.stringify(ADDON_FILE)});
    const tid = addon.currentThreadId();
    const pinned = addon.pinThread(0);
    const status = require('node:fs').readFileSync('/proc/self/task/' + tid + '/status', 'utf8');
    parentPort.postMessage({ tid, pinned, cpus: /Cpus_allowed_list:\\s*(\\S+)/.exec(status)[1] });`;
  const worker = new Worker(code, { eval: true });
  const result = await new Promise<{ tid: number; pinned: boolean; cpus: string }>((r) => worker.once('message', r));
  await worker.terminate();
  assert.notEqual(result.tid, process.pid);
  assert.equal(result.pinned, true);
  assert.equal(result.cpus, '0');
  const own = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8'))![1];
  assert.notEqual(own, '0', 'the main thread was not pinned');
});

/** Field 19 of /proc/<pid>/task/<tid>/stat is the nice value (after the parenthesised name). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('niceThread lowers only the calling thread\'s priority (the config compiler thread uses it)', { skip: addon === null && 'native addon not built' }, async () => {
  assert.throws(() => addon!.niceThread(20), RangeError);
  assert.throws(() => addon!.niceThread(-21), RangeError);
  const code = `
    const { parentPort } = require('node:worker_threads');
    const addon = require(${JSON.stringify(ADDON_FILE)});
    const tid = addon.currentThreadId();
    const ok = addon.niceThread(10);
    const stat = require('node:fs').readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
    parentPort.postMessage({ tid, ok, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });`;
  const before = niceOf(process.pid);
  const worker = new Worker(code, { eval: true });
  const result = await new Promise<{ tid: number; ok: boolean; nice: number }>((r) => worker.once('message', r));
  await worker.terminate();
  assert.equal(result.ok, true);
  assert.equal(result.nice, 10);
  assert.equal(niceOf(process.pid), before, 'the main thread kept its priority');
});

test('stopLoopIdleMetrics turns off only the calling thread\'s loop idle-time metrics (a gateway worker calls it)', { skip: addon === null && 'native addon not built' }, async () => {
  // In a worker thread, as the gateway calls it: its loop's idle time (what eventLoopUtilization
  // reads, and what made libuv poll epoll twice before each sleep) grows while it sleeps in a
  // timer before the call, and not at all after it; the second call finds them off already.
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { performance } = require('node:perf_hooks');
    const addon = require(${JSON.stringify(ADDON_FILE)});
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      let from = performance.eventLoopUtilization();
      await sleep(80);
      const idleBefore = performance.eventLoopUtilization(from).idle;
      const first = addon.stopLoopIdleMetrics();
      const second = addon.stopLoopIdleMetrics();
      from = performance.eventLoopUtilization();
      await sleep(80);
      parentPort.postMessage({ idleBefore, first, second, idleAfter: performance.eventLoopUtilization(from).idle });
    })();`;
  const worker = new Worker(code, { eval: true });
  const r = await new Promise<{ idleBefore: number; first: boolean; second: boolean; idleAfter: number }>((resolve) => worker.once('message', resolve));
  await worker.terminate();
  assert.ok(r.idleBefore >= 40, `the worker's loop counted its sleep as idle before the call (${r.idleBefore} ms)`);
  assert.equal(r.first, true, 'the metrics were on (Node turns them on for every loop) and are now off');
  assert.equal(r.second, false);
  assert.equal(r.idleAfter, 0, 'no idle time measured after the call');
  // The main thread's loop still measures its own.
  const from = performance.eventLoopUtilization();
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(performance.eventLoopUtilization(from).idle >= 40, 'this thread\'s loop kept its metrics');
});
