/**
 * Process lifecycle: SIGTERM drains (a slow in-flight request finishes, new requests get 503 with
 * Connection: close, exit 0), a crashed worker is replaced while the port keeps answering, a busy port is a
 * clear startup error, and `outpost validate` prints field paths.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { CLI, opsGet, startGateway, oneApiConfig } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

describe('lifecycle', () => {
  test('SIGTERM: in-flight requests finish, new requests get 503 with Connection: close, exit 0', async () => {
    const backend = await startBackend((req, res) => {
      if (req.url === '/slow') { setTimeout(() => { res.writeHead(200, { 'content-length': 4 }); res.end('done'); }, 1_500); return; }
      echoHandler(req, res);
    });
    const gw = await startGateway(oneApiConfig(backend.url, { drainTimeoutSeconds: 10 }), { workers: 2 });
    try {
      const slow = request(gw.url('/echo/slow'));
      await new Promise((r) => setTimeout(r, 300));
      gw.proc.kill('SIGTERM');
      await gw.waitForLog((l) => l.msg === 'draining');
      await new Promise((r) => setTimeout(r, 200));
      const ready = await opsGet(gw, '/health/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.shuttingDown, true);
      const refused = await request(gw.url('/echo/new'), { reset: true });
      assert.equal(refused.statusCode, 503);
      assert.equal(refused.headers['x-outpost-error'], 'OUTPOST_ERR_SHUTTING_DOWN');
      assert.equal(refused.headers.connection, 'close');
      await refused.body.dump();
      const res = await slow;
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers.connection, 'close');
      assert.equal(await res.body.text(), 'done');
      assert.equal(await gw.exited, 0);
      const stopped = gw.logs.find((l) => l.msg === 'stopped');
      assert.equal(stopped?.cutOffRequests, 0);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('SIGTERM: a request still running when the grace period ends is cut off, exit 0', async () => {
    const backend = await startBackend(() => { /* never answers */ });
    const gw = await startGateway(oneApiConfig(backend.url, { drainTimeoutSeconds: 0.5 }), { workers: 1 });
    try {
      const hung = request(gw.url('/echo/hang'));
      await new Promise((r) => setTimeout(r, 200));
      gw.proc.kill('SIGTERM');
      const res = await hung;
      assert.equal(res.statusCode, 503);
      assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_SHUTTING_DOWN');
      await res.body.dump();
      assert.equal(await gw.exited, 0);
      assert.equal(gw.logs.find((l) => l.msg === 'stopped')?.cutOffRequests, 1);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a crashed worker is logged and replaced; the port keeps answering', async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url), { workers: 2, env: { OUTPOST_FAULT_INJECTION: '1' } });
    try {
      const crash = await fetch(`http://127.0.0.1:${gw.opsPort}/debug/workers/0/crash`, { method: 'POST' });
      assert.equal(crash.status, 202);
      const exited = await gw.waitForLog((l) => l.errorCode === 'OUTPOST_ERR_WORKER_CRASHED');
      assert.equal(exited.worker, 0);
      assert.equal(exited.exitCode, 70);
      // New connections land on the surviving worker, or on the replacement once it listens.
      for (let i = 0; i < 30; i++) {
        const res = await request(gw.url(`/echo/after-crash/${i}`), { reset: true });
        assert.equal(res.statusCode, 200);
        await res.body.dump();
      }
      const deadline = Date.now() + 10_000;
      let ready = await opsGet(gw, '/health/ready');
      while (ready.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        ready = await opsGet(gw, '/health/ready');
      }
      assert.equal(ready.status, 200);
      const workers = ready.body.workers as Array<{ index: number; phase: string }>;
      assert.deepEqual(workers.map((w) => w.phase), ['accepting', 'accepting']);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.opsPort}/metrics`)).text();
      assert.match(metrics, /^outpost_worker_restarts_total 1$/m);
      assert.deepEqual(gw.badLines, []);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('fault injection is off unless enabled', async () => {
    const backend = await startBackend(echoHandler);
    const gw = await startGateway(oneApiConfig(backend.url), { workers: 1 });
    try {
      const crash = await fetch(`http://127.0.0.1:${gw.opsPort}/debug/workers/0/crash`, { method: 'POST' });
      assert.equal(crash.status, 404);
    } finally {
      await gw.stop();
      await backend.close();
    }
  });

  test('a port already in use stops startup with OUTPOST_ERR_PORT_IN_USE', async () => {
    const backend = await startBackend(echoHandler);
    const first = await startGateway(oneApiConfig(backend.url), { workers: 1 });
    try {
      const second = await startGateway(oneApiConfig(backend.url), { workers: 1, port: first.port, expectFailure: true });
      assert.equal(await second.exited, 3); // runtime failure (cli/exit-codes.ts)
      assert.ok(second.logs.some((l) => l.errorCode === 'OUTPOST_ERR_PORT_IN_USE'), JSON.stringify(second.logs));
      const res = await request(first.url('/echo/still-mine'));
      assert.equal(res.statusCode, 200);
      await res.body.dump();
    } finally {
      await first.stop();
      await backend.close();
    }
  });

  test('outpost validate prints each problem with its field path and exits 1', async () => {
    const dir = testTempDir('outpost-validate-');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'gateway:\n  port: 99999\napis:\n  - id: a\n    name: A\n    path: a\n    serviceUrl: ftp://x\n    operations:\n      - { id: o, method: FETCH, urlTemplate: nope }\n');
    const run = promisify(execFile);
    const failed = await run(process.execPath, [CLI, 'validate', file]).then(() => null, (e: { code: number; stdout: string }) => e);
    assert.ok(failed, 'expected exit 1');
    assert.equal(failed.code, 1);
    const lines = failed.stdout.trim().split('\n').map((l) => l.slice(file.length + 2));
    assert.deepEqual(lines.map((l) => l.split(':')[0]).sort(), [
      'apis[0].operations[0].method', 'apis[0].operations[0].urlTemplate', 'apis[0].serviceUrl', 'gateway.port',
    ]);
    const good = await run(process.execPath, [CLI, 'validate', 'config/gateway.yaml']);
    assert.match(good.stdout, /valid \(1 APIs\)/);
  });
});
