/**
 * The control plane as a real process: admin auth, CRUD with the gateway's field paths,
 * revisions, secrets, gateway tokens and their refusals, the per-gateway config view with ETag,
 * 304 and long poll, and heartbeats (interval shortened through OUTPOST_HEARTBEAT_INTERVAL_MS).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { signGatewayToken } from '../../src/control-plane/gateway-token.js';
import { CLI } from '../support/gateway-process.js';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';

const HEARTBEAT_MS = 150;
const ops = [{ id: 'any', method: '*', urlTemplate: '/*' }];
const api = (id: string, extra: object = {}) => ({ name: id, path: id, serviceUrl: 'http://127.0.0.1:9', operations: ops, ...extra });
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

describe('control plane', () => {
  let cp: ControlPlaneProcess;
  const gwKeys: Record<string, { primaryKey: string; secondaryKey: string }> = {};

  before(async () => {
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) } });
  });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  const token = async (gatewayId: string, keyType = 'primary', expiry = inDays(7)) => {
    const r = await cp.admin('POST', `/gateways/${gatewayId}/token`, { keyType, expiry });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.value as string;
  };
  const getConfig = (auth: string, headers: Record<string, string> = {}, query = '', signal?: AbortSignal) =>
    cp.call('GET', `/gateway/config${query}`, { authorization: auth, ...headers }, undefined, signal);

  test('refuses to start without an admin token', () => {
    const env = { ...process.env };
    delete env.OUTPOST_ADMIN_TOKEN;
    delete env.OUTPOST_ADMIN_TOKEN_FILE;
    const r = spawnSync(process.execPath, [CLI, 'control-plane', '--port', '0', '--data', cp.dataDir + '-none'], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1);
    const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { errorCode: string };
    assert.equal(line.errorCode, 'OUTPOST_ERR_ADMIN_TOKEN_MISSING');
  });

  test('admin auth: 401 without or with a wrong token, 200 with it', async () => {
    for (const t of [null, 'wrong-token-0123456789abcdef', ADMIN_TOKEN + 'x']) {
      const r = await cp.admin('GET', '/apis', undefined, t);
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('x-outpost-error'), 'OUTPOST_ERR_ADMIN_UNAUTHORIZED');
      assert.equal(r.body.statusCode, 401);
      assert.equal(typeof r.body.message, 'string');
    }
    const wrongScheme = await cp.call('GET', '/apis', { authorization: `Basic ${ADMIN_TOKEN}` });
    assert.equal(wrongScheme.status, 401);
    assert.equal((await cp.admin('GET', '/apis')).status, 200);
  });

  test('CRUD with validation problems at the gateway config field paths', async () => {
    const bad = await cp.admin('PUT', '/apis/orders', { ...api('orders'), serviceURL: 'x', operations: [{ id: 'a', method: 'GET', urlTemplate: 'no-slash' }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('x-outpost-error'), 'OUTPOST_ERR_RESOURCE_INVALID');
    const paths = (bad.body.problems as Array<{ path: string }>).map((p) => p.path).sort();
    assert.deepEqual(paths, ['operations[0].urlTemplate', 'serviceURL']);

    const mismatch = await cp.admin('PUT', '/apis/orders', { ...api('orders'), id: 'other' });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.problems[0].path, 'id');

    const created = await cp.admin('PUT', '/apis/orders', api('orders'));
    assert.equal(created.status, 201);
    assert.equal(created.body.id, 'orders');
    assert.equal(created.body.revision, 1);
    const got = await cp.admin('GET', '/apis/orders');
    assert.equal(got.status, 200);
    assert.equal(got.body.path, 'orders');

    // A GET body can be PUT back (server fields are dropped); the resource's revision moves.
    const updated = await cp.admin('PUT', '/apis/orders', { ...got.body, name: 'Orders' });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.revision, 2);

    // Cross-resource rules: a product naming a missing API; a path another API already uses.
    const product = await cp.admin('PUT', '/products/gold', { name: 'Gold', apis: ['orders', 'nope'] });
    assert.equal(product.status, 400);
    assert.deepEqual(product.body.problems, [{ path: 'apis[1]', message: 'no API with id "nope"' }]);
    const clash = await cp.admin('PUT', '/apis/zz-orders-too', api('zz-orders-too', { path: 'orders' }));
    assert.equal(clash.status, 400);
    assert.equal(clash.body.problems[0].path, 'path');

    assert.equal((await cp.admin('PUT', '/products/gold', { name: 'Gold', apis: ['orders'] })).status, 201);
    // Deleting what another resource names is a conflict that says which.
    const conflict = await cp.admin('DELETE', '/apis/orders');
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.problems[0].resource, '/products/gold');

    const list = await cp.admin('GET', '/products');
    assert.deepEqual(list.body.map((p: { id: string }) => p.id), ['gold']);
    assert.equal((await cp.admin('DELETE', '/products/gold')).status, 204);
    assert.equal((await cp.admin('GET', '/products/gold')).status, 404);
    assert.equal((await cp.admin('DELETE', '/products/gold')).status, 404);
  });

  test('OpenAPI 3 import (YAML or JSON): operations from paths, validated like any PUT', async () => {
    const yaml = [
      'openapi: 3.0.3',
      'info: { title: Pet Store, version: "1" }',
      'servers: [ { url: "http://127.0.0.1:9/v1" } ]',
      'paths:',
      '  /pets: { get: { operationId: listPets }, post: { operationId: createPet } }',
      '  /pets/{petId}: { get: { operationId: showPet }, delete: {} }',
    ].join('\n');
    const put = (path: string, body: string) => fetch(cp.url(path), { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/yaml' }, body })
      .then(async (r) => ({ status: r.status, body: await r.json() as any }));
    const r = await put('/apis/pets/openapi?path=petstore', yaml);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.name, 'Pet Store');
    assert.equal(r.body.path, 'petstore');
    assert.equal(r.body.serviceUrl, 'http://127.0.0.1:9/v1');
    assert.deepEqual(r.body.operations.map((o: { id: string; method: string; urlTemplate: string }) => `${o.id} ${o.method} ${o.urlTemplate}`),
      ['listPets GET /pets', 'createPet POST /pets', 'showPet GET /pets/{petId}', 'delete-pets-petId DELETE /pets/{petId}']);
    const json = JSON.stringify({ openapi: '3.1.0', info: { title: 'Pets 2' }, paths: { '/dogs': { get: {} } } });
    const again = await put('/apis/pets/openapi', json);
    assert.equal(again.status, 200);
    assert.equal(again.body.path, 'petstore', 'the suffix is kept on re-import');
    assert.equal((await put('/apis/bad/openapi', 'swagger: "2.0"')).status, 400);
    const badServer = await put('/apis/bad/openapi', json);
    assert.equal(badServer.status, 400);
    assert.equal(badServer.body.problems[0].path, 'serviceUrl');
    assert.equal((await cp.admin('DELETE', '/apis/pets')).status, 204);
  });

  test('every change bumps the global revision', async () => {
    const before = (await cp.admin('GET', '/')).body.revision as number;
    await cp.admin('PUT', '/named-values/plain', { value: 'v1' });
    await cp.admin('PUT', '/named-values/plain', { value: 'v2' });
    const after = (await cp.admin('GET', '/')).body.revision as number;
    assert.equal(after, before + 2);
    assert.equal((await cp.admin('GET', '/named-values/plain')).body.revision, 2);
    // A refused change does not.
    await cp.admin('PUT', '/named-values/plain', { value: 3 });
    assert.equal((await cp.admin('GET', '/')).body.revision, after);
  });

  test('a secret named value is never returned in plain text', async () => {
    const put = await cp.admin('PUT', '/named-values/backend-token', { value: 's3cr3t-value', secret: true });
    assert.equal(put.status, 201);
    assert.equal(put.body.value, null);
    const got = await cp.admin('GET', '/named-values/backend-token');
    assert.equal(got.body.value, null);
    assert.equal(got.body.secret, true);
    const list = await cp.admin('GET', '/named-values');
    assert.ok(!JSON.stringify(list.body).includes('s3cr3t-value'));
    assert.ok(!cp.logs.some((l) => JSON.stringify(l).includes('s3cr3t-value')));
  });

  test('subscriptions: server-generated keys, regenerate primary and secondary', async () => {
    await cp.admin('PUT', '/apis/billing', api('billing'));
    const created = await cp.admin('PUT', '/subscriptions/acme', { scope: '/apis/billing' });
    assert.equal(created.status, 201);
    const { primaryKey, secondaryKey } = created.body as { primaryKey: string; secondaryKey: string };
    assert.match(primaryKey, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(primaryKey, secondaryKey);
    // An update without keys keeps them.
    const suspended = await cp.admin('PUT', '/subscriptions/acme', { scope: '/apis/billing', state: 'suspended' });
    assert.equal(suspended.body.primaryKey, primaryKey);
    const regen = await cp.admin('POST', '/subscriptions/acme/regenerate-primary-key');
    assert.equal(regen.status, 200);
    assert.notEqual(regen.body.primaryKey, primaryKey);
    assert.equal(regen.body.secondaryKey, secondaryKey);
    const regen2 = await cp.admin('POST', '/subscriptions/acme/regenerate-secondary-key');
    assert.notEqual(regen2.body.secondaryKey, secondaryKey);
    const badScope = await cp.admin('PUT', '/subscriptions/bad', { scope: '/products/none' });
    assert.equal(badScope.status, 400);
    assert.equal(badScope.body.problems[0].path, 'scope');
  });

  test('gateways: keys shown once at creation, never by GET', async () => {
    for (const id of ['gw-a', 'gw-b']) {
      const created = await cp.admin('PUT', `/gateways/${id}`, { name: id });
      assert.equal(created.status, 201);
      assert.ok(created.body.primaryKey && created.body.secondaryKey);
      gwKeys[id] = { primaryKey: created.body.primaryKey, secondaryKey: created.body.secondaryKey };
    }
    const got = await cp.admin('GET', '/gateways/gw-a');
    assert.equal(got.body.primaryKey, undefined);
    assert.equal(got.body.secondaryKey, undefined);
    const renamed = await cp.admin('PUT', '/gateways/gw-a', { name: 'Gateway A' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.primaryKey, undefined);
    const list = await cp.admin('GET', '/gateways');
    assert.ok(!JSON.stringify(list.body).includes(gwKeys['gw-a'].primaryKey));
  });

  test('token issue: expiry at most 30 days ahead and in the future', async () => {
    const value = await token('gw-a');
    assert.match(value, /^GatewayKey gw-a&\d{12}&[A-Za-z0-9+/]+=*$/);
    for (const expiry of [inDays(31), inDays(-1), 'tomorrow']) {
      const r = await cp.admin('POST', '/gateways/gw-a/token', { keyType: 'primary', expiry });
      assert.equal(r.status, 400, expiry);
      assert.equal(r.body.problems[0].path, 'expiry');
    }
    assert.equal((await cp.admin('POST', '/gateways/gw-a/token', { keyType: 'tertiary', expiry: inDays(1) })).status, 400);
    assert.equal((await cp.admin('POST', '/gateways/nope/token', { keyType: 'primary', expiry: inDays(1) })).status, 404);
  });

  test('token refusals: missing, malformed, unknown gateway, expired, wrong signature, rotated key', async () => {
    const expect = async (auth: string | undefined, code: string) => {
      const r = await cp.call('GET', '/gateway/config', auth === undefined ? {} : { authorization: auth });
      assert.equal(r.status, 401, code);
      assert.equal(r.headers.get('x-outpost-error'), code);
      assert.equal(r.body.statusCode, 401);
      assert.ok(r.body.message.length > 0);
    };
    await expect(undefined, 'OUTPOST_ERR_GATEWAY_TOKEN_MISSING');
    await expect('GatewayKey gw-a&nonsense', 'OUTPOST_ERR_GATEWAY_TOKEN_MALFORMED');
    await expect(`Bearer ${ADMIN_TOKEN}`, 'OUTPOST_ERR_GATEWAY_TOKEN_MALFORMED');
    await expect(signGatewayToken('gw-zz', new Date(Date.now() + 86_400_000), gwKeys['gw-a'].primaryKey), 'OUTPOST_ERR_GATEWAY_TOKEN_UNKNOWN_GATEWAY');
    await expect(signGatewayToken('gw-a', new Date(Date.now() - 120_000), gwKeys['gw-a'].primaryKey), 'OUTPOST_ERR_GATEWAY_TOKEN_EXPIRED');
    // Wrong gateway: gw-b's token with gw-a's name in it.
    await expect(signGatewayToken('gw-a', new Date(Date.now() + 86_400_000), gwKeys['gw-b'].primaryKey), 'OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE');
    const b = await token('gw-b');
    await expect(b.replace('gw-b&', 'gw-a&'), 'OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE');

    // Rotation: regenerating the primary key kills its tokens; the secondary's keep working.
    const primaryToken = await token('gw-b', 'primary');
    const secondaryToken = await token('gw-b', 'secondary');
    assert.equal((await getConfig(primaryToken)).status, 200);
    const regen = await cp.admin('POST', '/gateways/gw-b/regenerate-key', { keyType: 'primary' });
    assert.equal(regen.status, 200);
    assert.ok(regen.body.primaryKey && regen.body.primaryKey !== gwKeys['gw-b'].primaryKey);
    assert.equal(regen.body.secondaryKey, undefined);
    await expect(primaryToken, 'OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE');
    assert.equal((await getConfig(secondaryToken)).status, 200);
    assert.equal((await getConfig(await token('gw-b', 'primary'))).status, 200);
  });

  test('config view: only assigned APIs and what reaches them; valid for the gateway', async () => {
    await cp.admin('PUT', '/apis/inventory', api('inventory'));
    await cp.admin('PUT', '/apis/secret-api', api('secret-api'));
    await cp.admin('PUT', '/products/both', { name: 'Both', apis: ['inventory', 'secret-api'] });
    await cp.admin('PUT', '/products/hidden', { name: 'Hidden', apis: ['secret-api'] });
    await cp.admin('PUT', '/subscriptions/s-both', { scope: '/products/both' });
    await cp.admin('PUT', '/subscriptions/s-hidden', { scope: '/products/hidden' });
    await cp.admin('PUT', '/subscriptions/s-inv', { scope: '/apis/inventory' });
    await cp.admin('PUT', '/subscriptions/s-secret', { scope: '/apis/secret-api' });
    await cp.admin('PUT', '/subscriptions/s-all', { scope: '/apis' });
    assert.equal((await cp.admin('PUT', '/gateways/gw-a/apis/inventory')).status, 201);
    assert.equal((await cp.admin('PUT', '/gateways/gw-a/apis/inventory')).status, 200);
    assert.equal((await cp.admin('PUT', '/gateways/gw-a/apis/nope')).status, 404);
    assert.deepEqual((await cp.admin('GET', '/gateways/gw-a/apis')).body, ['inventory']);

    const r = await getConfig(await token('gw-a'));
    assert.equal(r.status, 200);
    const { config } = r.body as { revision: number; config: Record<string, Array<Record<string, unknown>>> };
    assert.equal(typeof r.body.revision, 'number');
    assert.deepEqual(config.apis.map((a) => a.id), ['inventory']);
    assert.deepEqual(config.products.map((p) => [p.id, p.apis]), [['both', ['inventory']]]);
    assert.deepEqual(config.subscriptions.map((s) => s.id).sort(), ['s-all', 's-both', 's-inv']);
    // Named values go only where a policy refers to them (none here), keys only as hashes.
    assert.deepEqual(config.namedValues, []);
    assert.ok(config.subscriptions.every((s) => s.primaryKey === undefined && /^sha256:[0-9a-f]{64}$/.test(String(s.primaryKeyHash))));
    const valid = validateGatewayConfig(config);
    assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.problems));
    const detail = await cp.admin('GET', '/gateways/gw-a');
    assert.deepEqual(detail.body.assignedApis, ['inventory']);
  });

  test('ETag and If-None-Match → 304; a change elsewhere keeps the ETag; a change here moves it', async () => {
    const auth = await token('gw-a');
    const first = await getConfig(auth);
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[^"]+"$/);
    const again = await getConfig(auth, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);
    await cp.admin('PUT', '/apis/secret-api', api('secret-api', { name: 'Renamed' }));
    assert.equal((await getConfig(auth, { 'if-none-match': etag })).status, 304);
    await cp.admin('PUT', '/apis/inventory', api('inventory', { name: 'Renamed' }));
    const changed = await getConfig(auth, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.ok(changed.body.revision > first.body.revision);
  });

  test('long poll: a change made while waiting answers 200 before the wait ends', async () => {
    const auth = await token('gw-a');
    const etag = (await getConfig(auth)).headers.get('etag')!;
    const polled = getConfig(auth, { 'if-none-match': etag }, '?wait=30');
    await new Promise((r) => setTimeout(r, 200));
    await cp.admin('PUT', '/gateways/gw-a/apis/billing');
    const r = await polled;
    // A wait that ran out answers 304; a 200 can only come from the change, well before 30 s.
    assert.equal(r.status, 200);
    assert.ok((r.body.config.apis as Array<{ id: string }>).some((a) => a.id === 'billing'));

    // Unassigning wakes it too; and with no change the poll ends in 304 after `wait`.
    const etag2 = r.headers.get('etag')!;
    const polled2 = getConfig(auth, { 'if-none-match': etag2 }, '?wait=30');
    await new Promise((r2) => setTimeout(r2, 100));
    assert.equal((await cp.admin('DELETE', '/gateways/gw-a/apis/billing')).status, 204);
    const r2 = await polled2;
    assert.equal(r2.status, 200);
    assert.ok(!(r2.body.config.apis as Array<{ id: string }>).some((a) => a.id === 'billing'));
    const idle = await getConfig(auth, { 'if-none-match': r2.headers.get('etag')! }, '?wait=1');
    assert.equal(idle.status, 304);
  });

  test('heartbeats: two nodes → 2 connected; one stops → 1 after three missed intervals', async () => {
    const auth = await token('gw-a');
    const beat = (nodeId: string) => cp.call('POST', '/gateway/heartbeat', { authorization: auth }, {
      nodeId, hostname: `host-${nodeId}`, version: '0.1.0', configRevision: 3, uptimeSeconds: 10,
    });
    assert.equal((await beat('n1')).status, 204);
    assert.equal((await beat('n2')).status, 204);
    const count = async () => ((await cp.admin('GET', '/gateways')).body as Array<{ id: string; connectedNodes: number }>).find((g) => g.id === 'gw-a')!.connectedNodes;
    assert.equal(await count(), 2);
    const nodes = (await cp.admin('GET', '/gateways/gw-a/nodes')).body as Array<{ nodeId: string; hostname: string; lastSeen: string }>;
    assert.deepEqual(nodes.map((n) => [n.nodeId, n.hostname]), [['n1', 'host-n1'], ['n2', 'host-n2']]);
    assert.ok(nodes.every((n) => !Number.isNaN(Date.parse(n.lastSeen))));

    // n1 keeps beating, n2 stops: after 3 intervals (plus margin) only n1 counts.
    const deadline = Date.now() + HEARTBEAT_MS * 5;
    while (Date.now() < deadline) {
      await beat('n1');
      await new Promise((r) => setTimeout(r, HEARTBEAT_MS / 2));
    }
    assert.equal(await count(), 1);
    const after = (await cp.admin('GET', '/gateways/gw-a/nodes')).body as Array<{ nodeId: string; connected: boolean }>;
    assert.deepEqual(after.map((n) => [n.nodeId, n.connected]), [['n1', true], ['n2', false]]);

    assert.equal((await cp.call('POST', '/gateway/heartbeat', { authorization: auth }, { nodeId: 'n3' })).status, 400);
    assert.equal((await cp.call('POST', '/gateway/heartbeat', {}, { nodeId: 'n3' })).status, 401);
  });

  test('config-status reports show on the gateway', async () => {
    const auth = await token('gw-a');
    const r = await cp.call('POST', '/gateway/config-status', { authorization: auth }, { nodeId: 'n1', revision: 7, ok: false, problems: [{ path: 'apis[0].policies', message: 'bad' }] });
    assert.equal(r.status, 204);
    const gw = await cp.admin('GET', '/gateways/gw-a');
    assert.equal(gw.body.configStatus.length, 1);
    assert.equal(gw.body.configStatus[0].ok, false);
    assert.equal(gw.body.configStatus[0].revision, 7);
  });

  test('data survives a restart', async () => {
    const revision = (await cp.admin('GET', '/')).body.revision as number;
    await cp.stop();
    cp = await startControlPlane({ dataDir: cp.dataDir, env: { OUTPOST_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) } });
    assert.equal((await cp.admin('GET', '/')).body.revision, revision);
    assert.equal((await cp.admin('GET', '/apis/inventory')).body.name, 'Renamed');
  });
});
