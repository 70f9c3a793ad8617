/**
 * Backend entities through the control plane, with real processes: a backend and an API whose
 * policy says `<set-backend-service backend-id="b1"/>` are PUT on the control plane; a managed
 * gateway proxies to the backend written in the test, with the backend's credentials (a literal
 * header and a secret named value in the query). The backend's url changes (GET → edit → PUT, the
 * literal credential coming back as null and kept) and the gateway follows after its sync. A
 * backend still named cannot be deleted (409 naming the API); no log line holds a credential.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { testTempDir } from '../support/temp-dir.js';

const LITERAL_KEY = 'literal-backend-key-5f1c';
const SECRET_CODE = 'secret-query-code-9a7e';

/** A backend that says who it is, and what path, query and x-key header reached it. */
const named = (name: string) => (req: IncomingMessage, res: ServerResponse): void => {
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ backend: name, url: req.url, key: req.headers['x-key'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

/** Polls `probe` every 50 ms until it returns true; fails after `ms`. */
async function within(ms: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Answer { status: number; body: { backend?: string; url?: string; key?: string | null } }

describe('managed mode: backend entities from the control plane', () => {
  let cp: ControlPlaneProcess;
  let first: TestBackend;
  let second: TestBackend;
  let gw: GatewayProcess | undefined;

  const call = async (path: string): Promise<Answer> => {
    const res = await request(gw!.url(path));
    const text = await res.body.text();
    return { status: res.statusCode, body: res.statusCode === 200 ? JSON.parse(text) as Answer['body'] : {} };
  };

  before(async () => {
    first = await startBackend(named('first'));
    second = await startBackend(named('second'));
    cp = await startControlPlane({ env: { OUTPOST_HEARTBEAT_INTERVAL_MS: '300' } });
  });
  after(async () => {
    await gw?.stop();
    await cp?.stop();
    await first?.close();
    await second?.close();
  });

  test('PUT a backend and an API that names it: the managed gateway proxies to it with its credentials', async () => {
    assert.equal((await cp.admin('PUT', '/named-values/code', { value: SECRET_CODE, secret: true })).status, 201);
    const backend = await cp.admin('PUT', '/backends/b1', {
      url: `${first.url}/base`, description: 'orders',
      credentials: { header: { 'x-key': [LITERAL_KEY] }, query: { code: ['{{code}}'] } },
    });
    assert.equal(backend.status, 201, JSON.stringify(backend.body));
    assert.deepEqual(backend.body.credentials, { header: { 'x-key': [null] }, query: { code: ['{{code}}'] } }, 'the literal key is write-only');
    // The API's own serviceUrl goes nowhere: only the backend entity can answer.
    const api = await cp.admin('PUT', '/apis/orders', {
      name: 'Orders', path: 'orders', serviceUrl: 'http://127.0.0.1:9', subscriptionRequired: false,
      operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
      policies: '<policies><inbound><base /><set-backend-service backend-id="b1" /></inbound><backend><base /></backend><outbound><base /></outbound></policies>',
    });
    assert.equal(api.status, 201, JSON.stringify(api.body));
    assert.deepEqual((await cp.admin('GET', '/backends')).body.map((b: { id: string }) => b.id), ['b1']);

    assert.equal((await cp.admin('PUT', '/gateways/dc1', { name: 'DC 1' })).status, 201);
    assert.equal((await cp.admin('PUT', '/gateways/dc1/apis/orders')).status, 201);
    const token = await cp.admin('POST', '/gateways/dc1/token', { keyType: 'primary', expiry: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    assert.equal(token.status, 200);
    const view = await cp.call('GET', '/gateway/config', { authorization: token.body.value as string });
    assert.deepEqual(view.body.config.backends.map((b: { id: string }) => b.id), ['b1']);
    assert.equal(view.body.config.backends[0].credentials.header['x-key'][0], LITERAL_KEY, 'the gateway gets the real value');
    assert.deepEqual(view.body.config.namedValues.map((v: { name: string }) => v.name), ['code']);

    const dir = testTempDir('outpost-managed-backends-');
    const envFile = join(dir, 'env.conf');
    writeFileSync(envFile, [`config.service.endpoint=${cp.url('')}`, `config.service.auth=${token.body.value as string}`,
      `OUTPOST_BACKUP_DIR=${join(dir, 'backup')}`, 'OUTPOST_HEARTBEAT_INTERVAL_MS=300', ''].join('\n'));
    gw = await startGateway({}, { workers: 1, sourceArgs: ['--env-file', envFile] });
    await within(10_000, 'orders served', async () => (await call('/orders/items?x=1')).status === 200);
    const r = await call('/orders/items?x=1');
    assert.equal(r.body.backend, 'first');
    assert.equal(r.body.url, `/base/items?x=1&code=${SECRET_CODE}`);
    assert.equal(r.body.key, LITERAL_KEY);
  });

  test('the backend\'s url changes (GET → edit → PUT): the gateway follows after sync, credentials kept', async () => {
    const got = await cp.admin('GET', '/backends/b1');
    assert.equal(got.status, 200);
    const updated = await cp.admin('PUT', '/backends/b1', { ...got.body, url: `${second.url}/v2` });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    await within(10_000, 'the new url served', async () => (await call('/orders/items')).body.backend === 'second');
    const r = await call('/orders/items');
    assert.equal(r.body.url, `/v2/items?code=${SECRET_CODE}`);
    assert.equal(r.body.key, LITERAL_KEY, 'the literal credential PUT back as null was kept');
  });

  test('a backend the API names cannot be deleted (409 naming the API); bad ones are refused at their fields', async () => {
    const refused = await cp.admin('DELETE', '/backends/b1');
    assert.equal(refused.status, 409);
    assert.equal(refused.headers.get('x-outpost-error'), 'OUTPOST_ERR_RESOURCE_CONFLICT');
    assert.equal(refused.body.problems[0].resource, '/apis/orders');
    const bad = await cp.admin('PUT', '/backends/b2', { url: 'http://127.0.0.1:9/?q=1' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.problems, [{ path: 'url', message: 'may not have a query or a fragment (use credentials.query)' }]);
    const pool = await cp.admin('PUT', '/backends/b2', { type: 'pool', pool: { services: [{ id: 'b1' }, { id: 'nope' }] } });
    assert.equal(pool.status, 400);
    assert.deepEqual(pool.body.problems, [{ path: 'pool.services[1].id', message: 'no backend with id "nope"' }]);
    assert.equal((await cp.admin('GET', '/backends/b2')).status, 404);
  });

  test('no log line of the control plane or the gateway holds a credential', () => {
    for (const lines of [cp.logs, gw!.logs]) {
      const text = JSON.stringify(lines);
      assert.ok(!text.includes(LITERAL_KEY), 'the literal key was logged');
      assert.ok(!text.includes(SECRET_CODE), 'the secret code was logged');
    }
    assert.deepEqual(cp.badLines, []);
    assert.deepEqual(gw!.badLines, []);
  });
});
