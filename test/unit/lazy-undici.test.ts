/**
 * undici is loaded on first use by the policies that fetch, not when the compiler thread or a
 * request worker loads the policy registry (about 100 ms of every start), and the lazy request
 * still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { undiciRequest } from '../../src/shared/lazy-undici.js';

const dist = resolve(import.meta.dirname, '../../src');

test('loading the compiler task and the policy registry loads no undici module', () => {
  const script = `
    await import(${JSON.stringify(resolve(dist, 'gateway/primary/compile-task.js'))});
    await import(${JSON.stringify(resolve(dist, 'gateway/policies/registry.js'))});
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    process.stdout.write(String(Object.keys(cache).filter((k) => k.includes('/node_modules/undici/')).length));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(out, '0');
});

test('the lazy request reaches a server and returns its status and body', async () => {
  const server = createServer((req, res) => { res.setHeader('x-seen', req.method ?? ''); res.end('hello'); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const res = await undiciRequest(`http://127.0.0.1:${port}/x`, { method: 'POST', body: 'a=1' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-seen'], 'POST');
    assert.equal(await res.body.text(), 'hello');
  } finally {
    server.close();
  }
});
