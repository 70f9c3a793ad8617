/**
 * gateway.cpuAffinity on the real gateway: each worker thread pins itself, and the kernel agrees
 * (/proc/<pid>/task/<tid>/status, Cpus_allowed_list); the primary's own thread is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startGateway, oneApiConfig } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { allowedCpus } from '../../src/gateway/primary/cpu-placement.js';
import { nativeAddon } from '../../src/gateway/native.js';

const cpusOf = (pid: number, tid: number) => /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1];

const allowed = allowedCpus();
const skip = nativeAddon() === null ? 'native addon not built' : allowed.length < 2 ? 'needs two usable CPUs' : false;

test('each worker thread runs on the CPU gateway.cpuAffinity names', { skip }, async () => {
  const backend = await startBackend(echoHandler);
  // Reversed, so worker i on CPU i by chance does not pass.
  const asked = [allowed[1], allowed[0]];
  const gw = await startGateway(oneApiConfig(backend.url, { cpuAffinity: asked }), { workers: 2 });
  try {
    assert.equal((await fetch(gw.url('/echo/x'))).status, 200);
    const plan = gw.logs.find((l) => l.msg === 'worker CPU placement');
    assert.deepEqual(plan?.workerCpus, asked);
    const pinned = gw.logs.filter((l) => l.msg === 'worker thread pinned to a CPU').sort((a, b) => Number(a.worker) - Number(b.worker));
    assert.deepEqual(pinned.map((l) => [l.worker, l.cpu]), [[0, asked[0]], [1, asked[1]]]);
    const pid = gw.proc.pid!;
    for (const l of pinned) assert.equal(cpusOf(pid, l.tid as number), String(l.cpu), `worker ${String(l.worker)}`);
    assert.notEqual(cpusOf(pid, pid), String(asked[0]), 'the primary thread is not pinned');
  } finally {
    await gw.stop();
    await backend.close();
  }
});
