/**
 * Secrets per gateway, with real processes: two gateways with different APIs, each API's policy
 * using its own secret named value, a product policy using a shared one, and one secret nobody
 * uses. Each gateway's config response and backup file hold only the named values its own
 * policies use, and subscription keys only as hashes; the real keys still pass through a managed
 * gateway, and the secrets still reach the backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { decodeBackup, BACKUP_FILE } from '../../src/gateway/managed/config-backup.js';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { echoHandler, startBackend, type TestBackend } from '../support/backends.js';
import { testTempDir } from '../support/temp-dir.js';

const SECRETS = { 'secret-a': 'value-of-secret-a-111', 'secret-b': 'value-of-secret-b-222', shared: 'value-of-shared-333', unused: 'value-of-unused-444' };
const KEYS = { 'sub-a': 'plain-key-of-sub-a-0123456789', 'sub-b': 'plain-key-of-sub-b-0123456789', 'sub-gold': 'plain-key-of-sub-gold-01234567', 'sub-all': 'plain-key-of-sub-all-012345678' };
const SECONDARY = 'plain-secondary-key-of-sub-a-012';

const setHeader = (name: string, value: string) => ({ 'set-header': { name, 'exists-action': 'override', value } });

function apiDoc(id: string, backendUrl: string, secretName: string): object {
  return {
    name: id, path: id, serviceUrl: backendUrl,
    operations: [{ id: 'get', method: 'GET', urlTemplate: '/*', policies: { inbound: ['base', setHeader('x-op', `{{${secretName}}}`)] } }],
    policies: { inbound: ['base', setHeader('x-api', `{{${secretName}}}`)] },
  };
}

/** Every string in a JSON-able value, flattened into one text to search. */
const textOf = (value: unknown) => JSON.stringify(value);

describe('managed mode: each gateway gets only its own secrets, and keys only as hashes', () => {
  let cp: ControlPlaneProcess;
  let backend: TestBackend;
  const gateways: Record<string, { gw?: GatewayProcess; backupDir: string; token: string }> = {};

  before(async () => {
    backend = await startBackend(echoHandler);
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' } });
    for (const [name, value] of Object.entries(SECRETS)) assert.equal((await cp.admin('PUT', `/named-values/${name}`, { value, secret: true })).status, 201);
    assert.equal((await cp.admin('PUT', '/apis/api-a', apiDoc('api-a', backend.url, 'secret-a'))).status, 201);
    assert.equal((await cp.admin('PUT', '/apis/api-b', apiDoc('api-b', backend.url, 'secret-b'))).status, 201);
    const gold = { name: 'Gold', apis: ['api-a', 'api-b'], policies: { inbound: ['base', setHeader('x-product', '{{shared}}')] } };
    assert.equal((await cp.admin('PUT', '/products/gold', gold)).status, 201);
    const subs: Record<string, object> = {
      'sub-a': { scope: '/apis/api-a', primaryKey: KEYS['sub-a'], secondaryKey: SECONDARY },
      'sub-b': { scope: '/apis/api-b', primaryKey: KEYS['sub-b'] },
      'sub-gold': { scope: '/products/gold', primaryKey: KEYS['sub-gold'] },
      'sub-all': { scope: '/apis', primaryKey: KEYS['sub-all'] },
    };
    for (const [id, doc] of Object.entries(subs)) assert.equal((await cp.admin('PUT', `/subscriptions/${id}`, doc)).status, 201);
    for (const [gw, api] of [['gw-a', 'api-a'], ['gw-b', 'api-b']]) {
      assert.equal((await cp.admin('PUT', `/gateways/${gw}`, { name: gw })).status, 201);
      assert.equal((await cp.admin('PUT', `/gateways/${gw}/apis/${api}`)).status, 201);
      const t = await cp.admin('POST', `/gateways/${gw}/token`, { keyType: 'primary', expiry: new Date(Date.now() + 7 * 86_400_000).toISOString() });
      assert.equal(t.status, 200);
      gateways[gw] = { backupDir: join(testTempDir(`outpost-secrets-${gw}-`), 'backup'), token: t.body.value as string };
    }
  });
  after(async () => {
    for (const g of Object.values(gateways)) await g.gw?.stop();
    await cp?.stop();
    await backend?.close();
  });

  const expected = { 'gw-a': { own: ['secret-a', 'shared'], others: ['secret-b', 'unused'] }, 'gw-b': { own: ['secret-b', 'shared'], others: ['secret-a', 'unused'] } } as const;

  test('GET /gateway/config: only the named values its policies use; keys as sha256 hashes, never plain', async () => {
    for (const [gw, { own, others }] of Object.entries(expected)) {
      const r = await cp.call('GET', '/gateway/config', { authorization: gateways[gw].token });
      assert.equal(r.status, 200);
      const config = r.body.config as { namedValues: Array<{ name: string; value: string }>; subscriptions: Array<Record<string, unknown>> };
      assert.deepEqual(config.namedValues.map((v) => v.name).sort(), [...own]);
      const text = textOf(r.body);
      for (const name of own) assert.ok(text.includes(SECRETS[name]), `${gw} gets ${name}`);
      for (const name of others) assert.ok(!text.includes(SECRETS[name]), `${gw} must not get ${name}`);
      for (const key of [...Object.values(KEYS), SECONDARY]) assert.ok(!text.includes(key), `${gw}: a plain key in the config`);
      for (const s of config.subscriptions) {
        assert.equal(s.primaryKey, undefined);
        assert.equal(s.secondaryKey, undefined);
        assert.match(String(s.primaryKeyHash), /^sha256:[0-9a-f]{64}$/);
      }
    }
  });

  test('managed gateways serve with the real keys; their backups hold only their own secrets and no plain key', async () => {
    for (const gw of Object.keys(expected)) {
      const dir = testTempDir(`outpost-secrets-env-${gw}-`);
      const envFile = join(dir, 'env.conf');
      writeFileSync(envFile, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${gateways[gw].token}`,
        `OUTPOST_BACKUP_DIR=${gateways[gw].backupDir}`, 'OUTPOST_HEARTBEAT_INTERVAL_MS=300', 'OUTPOST_RETRY_MAX_MS=1000', ''].join('\n'));
      gateways[gw].gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile] });
    }
    const gwA = gateways['gw-a'].gw!;
    const call = async (gw: GatewayProcess, path: string, key?: string) => {
      const res = await request(gw.url(path), { headers: key ? { 'ocp-apim-subscription-key': key } : {} });
      const text = await res.body.text();
      return { status: res.statusCode, body: res.statusCode === 200 ? JSON.parse(text) as { headers: Record<string, string> } : text };
    };
    // Wait until gw-a serves its API (the config arrives asynchronously after start).
    const deadline = Date.now() + 10_000;
    while ((await call(gwA, '/api-a/x', KEYS['sub-a'])).status !== 200) {
      assert.ok(Date.now() < deadline, 'gw-a never served api-a');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const key of [KEYS['sub-a'], SECONDARY, KEYS['sub-all']]) {
      const r = await call(gwA, '/api-a/x', key);
      assert.equal(r.status, 200, key);
      const headers = (r.body as { headers: Record<string, string> }).headers;
      assert.equal(headers['x-api'], SECRETS['secret-a']);
      assert.equal(headers['x-op'], SECRETS['secret-a']);
    }
    const gold = await call(gwA, '/api-a/x', KEYS['sub-gold']);
    assert.equal(gold.status, 200);
    assert.equal((gold.body as { headers: Record<string, string> }).headers['x-product'], SECRETS.shared);
    assert.equal((await call(gwA, '/api-a/x', KEYS['sub-b'])).status, 401);
    assert.equal((await call(gwA, '/api-a/x', 'sha256:' + 'a'.repeat(64))).status, 401);
    assert.equal((await call(gwA, '/api-a/x')).status, 401);

    for (const [gw, { own, others }] of Object.entries(expected)) {
      const file = join(gateways[gw].backupDir, BACKUP_FILE);
      const deadlineBackup = Date.now() + 10_000;
      let bytes: Buffer | undefined;
      while (bytes === undefined) {
        try { bytes = readFileSync(file); } catch { assert.ok(Date.now() < deadlineBackup, `${gw}: no backup`); await new Promise((r) => setTimeout(r, 50)); }
      }
      const decoded = decodeBackup(bytes);
      assert.ok(decoded.ok, !decoded.ok ? decoded.reason : '');
      const text = textOf(decoded.payload.config);
      for (const name of own) assert.ok(text.includes(SECRETS[name]), `${gw} backup has ${name}`);
      for (const name of others) assert.ok(!text.includes(SECRETS[name]) && !bytes.includes(SECRETS[name]), `${gw} backup must not hold ${name}`);
      for (const key of [...Object.values(KEYS), SECONDARY]) assert.ok(!bytes.includes(key), `${gw} backup holds a plain key`);
    }
    for (const g of Object.values(gateways)) assert.deepEqual(g.gw!.badLines, []);
  });

  test('a local config: plain keys and hashed keys both work, exactly one per key, format checked', async () => {
    const { validateGatewayConfig } = await import('../../src/shared/config-schema.js');
    const base = { apis: [{ id: 'a', name: 'a', path: 'a', serviceUrl: 'http://127.0.0.1:9', operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }] }] };
    const check = (sub: object) => validateGatewayConfig({ ...base, subscriptions: [{ id: 's', scope: '/apis/a', ...sub }] });
    assert.ok(check({ primaryKey: KEYS['sub-a'] }).ok);
    assert.ok(check({ primaryKeyHash: 'sha256:' + 'b'.repeat(64), secondaryKey: SECONDARY }).ok);
    const paths = (r: ReturnType<typeof check>) => (r.ok ? [] : r.problems.map((p) => p.path));
    assert.deepEqual(paths(check({})), ['subscriptions[0].primaryKey']);
    assert.deepEqual(paths(check({ primaryKey: KEYS['sub-a'], primaryKeyHash: 'sha256:' + 'b'.repeat(64) })), ['subscriptions[0].primaryKeyHash']);
    assert.deepEqual(paths(check({ primaryKey: KEYS['sub-a'], secondaryKey: SECONDARY, secondaryKeyHash: 'sha256:' + 'c'.repeat(64) })), ['subscriptions[0].secondaryKeyHash']);
    assert.deepEqual(paths(check({ primaryKeyHash: 'B'.repeat(64) })), ['subscriptions[0].primaryKeyHash']);
    assert.deepEqual(paths(check({ primaryKeyHash: 'sha256:' + 'B'.repeat(64) })), ['subscriptions[0].primaryKeyHash']);
  });
});
