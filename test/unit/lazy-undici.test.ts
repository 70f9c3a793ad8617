/**
 * undici is loaded on first use by the policies that fetch, jose by the JWT policies, yaml by the
 * config loader when a file is YAML, ajv by the first JSON schema, liquidjs by the first Liquid
 * template and fast-xml-parser by the first XML (a policy document, a body, an expression), not
 * when the compiler thread or a request worker loads the policy registry (about 100, 80, 40, 80,
 * 50 and 60 ms of every start), and the lazy request still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { undiciRequest } from '../../src/shared/lazy-undici.js';
import { warmJose } from '../../src/shared/lazy-jose.js';

const dist = resolve(import.meta.dirname, '../../src');

/**
 * The packages whose scripts V8 has compiled in a fresh process after `imports`: the debugger
 * reports every script already parsed when it is enabled, ES modules and CommonJS alike.
 */
function packagesLoadedBy(imports: string[]): string[] {
  const script = `
    ${imports.map((file) => `await import(${JSON.stringify(resolve(dist, file))});`).join('\n')}
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    const urls = [];
    session.on('Debugger.scriptParsed', ({ params }) => urls.push(params.url));
    await session.post('Debugger.enable');
    const packageOf = (url) => { const rest = url.slice(url.lastIndexOf('/node_modules/') + 14).split('/'); return rest[0].startsWith('@') ? rest[0] + '/' + rest[1] : rest[0]; };
    const names = new Set(urls.filter((u) => u.includes('/node_modules/')).map(packageOf));
    process.stdout.write(JSON.stringify([...names].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })) as string[];
}

test('loading the compiler task and the policy registry loads none of undici, jose, yaml, ajv, liquidjs and fast-xml-parser', () => {
  const loaded = packagesLoadedBy(['gateway/primary/compile-task.js', 'gateway/policies/registry.js']);
  // The check itself sees packages: zod is imported by the config schema, always.
  assert.ok(loaded.includes('zod'), JSON.stringify(loaded));
  for (const lazy of ['undici', 'jose', 'yaml', 'ajv', 'ajv-formats', 'liquidjs', 'fast-xml-parser']) assert.ok(!loaded.includes(lazy), `${lazy} loaded: ${JSON.stringify(loaded)}`);
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

test('warmJose: jose starts loading for a generation that checks tokens, not for others', async () => {
  assert.equal(warmJose([{ name: 'set-header' }, { name: 'rate-limit' }]), null);
  const loading = warmJose([{ name: 'set-header' }, { name: 'validate-azure-ad-token' }]);
  assert.notEqual(loading, null);
  const jose = await loading!;
  assert.equal(typeof jose.jwtVerify, 'function');
  assert.equal(warmJose([{ name: 'validate-jwt' }]), loading, 'one import per process');
});
