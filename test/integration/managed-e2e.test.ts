/**
 * The real pair: the control plane process and a managed gateway process (with a backend written
 * for the test). An API created and assigned through the management API is served within 2 s; a
 * policy change arrives; unassigning gives 404; two gateway nodes show as two nodes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

/** Polls `probe` every 50 ms until it returns true; fails after `ms`. */
async function within(ms: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Nodes the control plane counts as connected (seen within three heartbeat intervals). */
function connected(nodes: unknown): number {
  return (nodes as Array<{ connected: boolean }>).filter((n) => n.connected).length;
}

async function status(gw: GatewayProcess, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  const res = await request(gw.url(path));
  await res.body.dump();
  return { status: res.statusCode, headers: res.headers };
}

describe('control plane + managed gateway', () => {
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  const gateways: GatewayProcess[] = [];
  const env = { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' };

  before(async () => {
    backend = await startBackend(echoHandler);
    cp = await startControlPlane({ env });
    const created = await cp.admin('PUT', '/gateways/dc1', { name: 'Data centre 1' });
    assert.equal(created.status < 300, true, JSON.stringify(created.body));
    const token = await cp.admin('POST', '/gateways/dc1/token', { keyType: 'primary', expiry: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    const dir = testTempDir('outpost-e2e-');
    const envFile = join(dir, 'env.conf');
    writeFileSync(envFile, [
      `config.service.endpoint=${cp.url('')}`,
      `config.service.auth=${token.body.value as string}`,
      `OUTPOST_BACKUP_DIR=${join(dir, 'backup')}`,
      'OUTPOST_HEARTBEAT_INTERVAL_MS=300',
      '',
    ].join('\n'));
    for (let i = 0; i < 2; i++) gateways.push(await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile], env }));
  });
  after(async () => {
    for (const gw of gateways) await gw.stop();
    await cp?.stop();
    await backend?.close();
  });

  test('an API created and assigned through the management API is served within 2 s', async () => {
    const api = await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
    });
    assert.equal(api.status < 300, true, JSON.stringify(api.body));
    assert.equal((await cp.admin('PUT', '/gateways/dc1/apis/orders')).status < 300, true);
    for (const gw of gateways) await within(2_000, 'orders served', async () => (await status(gw, '/orders/x')).status === 200);
  });

  test('a policy change arrives; unassigning gives 404', async () => {
    const api = await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
      policies: { outbound: [{ 'set-header': { name: 'x-policy', value: 'v2' } }] },
    });
    assert.equal(api.status < 300, true, JSON.stringify(api.body));
    for (const gw of gateways) await within(2_000, 'policy applied', async () => (await status(gw, '/orders/x')).headers['x-policy'] === 'v2');
    assert.equal((await cp.admin('DELETE', '/gateways/dc1/apis/orders')).status < 300, true);
    for (const gw of gateways) await within(2_000, 'orders gone', async () => (await status(gw, '/orders/x')).status === 404);
  });

  test('two gateway nodes show as two connected nodes; a stopped one drops out after three missed heartbeats', async () => {
    await within(3_000, 'two nodes', async () => {
      const nodes = await cp.admin('GET', '/gateways/dc1/nodes');
      return nodes.status === 200 && connected(nodes.body) === 2;
    });
    await gateways.pop()!.stop();
    await within(5_000, 'one node', async () => connected((await cp.admin('GET', '/gateways/dc1/nodes')).body) === 1);
  });
});
