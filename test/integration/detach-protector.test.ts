/**
 * Every thread of the gateway detaches a buffer before any of its code is optimized
 * (src/shared/detach-protector.ts), so the first request-log batch or telemetry report a worker
 * transfers to the primary under load does not throw away the optimized request path. A real
 * gateway runs with V8's protector trace: each "Invalidating protector cell ArrayBufferDetaching"
 * line must come before the worker's "worker warmed up" line, and none after, once requests have
 * been served and their log lines and telemetry transferred.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/primary/memory-reducer.js';
import { CLI, oneApiConfig } from '../support/gateway-process.js';
import { startBackend, echoHandler } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const INVALIDATED = 'Invalidating protector cell ArrayBufferDetaching';

test('the ArrayBufferDetaching protector is invalidated at thread start, never once requests flow', async (t) => {
  const backend = await startBackend(echoHandler);
  const configFile = join(testTempDir('outpost-protector-'), 'gateway.yaml');
  writeFileSync(configFile, stringify(oneApiConfig(backend.url, { warmupRequests: 300 })));
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--trace-protector-invalidation', CLI, 'gateway', '--config', configFile, '--port', '0', '--ops-port', '0', '--workers', '1'], {
    env: { ...process.env, OUTPOST_WARMUP_REQUESTS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(async () => {
    proc.kill('SIGKILL');
    await backend.close();
  });
  // stdout in order: V8's trace lines (printed by each thread) and the JSON log lines (the primary's).
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => { lines.push(line); for (const w of waiters) w(); });
  const waitFor = (pred: (line: string) => boolean, what: string): Promise<string> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${what} in 20 s; last lines: ${lines.slice(-5).join(' | ')}`)); }, 20_000);
    const check = (): void => {
      const found = lines.find(pred);
      if (found === undefined) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(found);
    };
    waiters.add(check);
    check();
  });
  const started = JSON.parse(await waitFor((l) => l.includes('"gateway started"'), 'gateway started line')) as { port: number };

  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${started.port}/echo/items/${i}`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  // The request lines reach stdout only through a transferred batch; a telemetry report (also
  // transferred) follows within a second.
  await waitFor((l) => l.includes('"type":"request"') && l.includes('/echo/items/19'), 'request line of the last request');
  await new Promise((r) => setTimeout(r, 1_500));

  const warmedAt = lines.findIndex((l) => l.includes('"worker warmed up"'));
  assert.ok(warmedAt > 0, 'the worker warmed up');
  const invalidations = lines.flatMap((l, i) => (l.includes(INVALIDATED) ? [i] : []));
  assert.deepEqual(invalidations.filter((i) => i > warmedAt), [], 'no invalidation after the warm-up');
  // The primary's and the worker's (the compiler thread may add its own, also before).
  assert.ok(invalidations.length >= 2, `each thread invalidated it (${invalidations.length} lines)`);
  assert.equal(lines.filter((l) => l.includes('"type":"request"')).length, 20);
});
