/**
 * validate-azure-ad-token end to end: a real gateway (2 workers) whose OUTPOST_ENTRA_AUTHORITY
 * points at a local stand-in for Entra ID (test/support/entra-idp.ts), with APIM's documented
 * pattern: the tenant and client application as named values, the validated token in a variable
 * that a later expression reads. A token of the tenant's client passes and the backend sees the
 * claim the expression took from the variable; another client's token and a missing one get 401
 * and never reach the backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { startEntraIdp, TENANT_DOMAIN, type EntraIdp } from '../support/entra-idp.js';

const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('validate-azure-ad-token through real workers', () => {
  let idp: EntraIdp;
  let backend: TestBackend;
  let gw: GatewayProcess;

  const get = async (auth?: string) => {
    const res = await request(gw.url('/orders/list'), { headers: auth ? { authorization: auth } : {} });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  before(async () => {
    idp = await startEntraIdp();
    backend = await startBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ oid: req.headers['x-caller-oid'] ?? null }));
    });
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      namedValues: [{ name: 'aad-tenant-id', value: TENANT_DOMAIN }, { name: 'aad-client-application-id', value: CLIENT }],
      apis: [{
        id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
        policies: `<policies><inbound><base />
          <validate-azure-ad-token tenant-id="{{aad-tenant-id}}" output-token-variable-name="jwt">
            <client-application-ids><application-id>{{aad-client-application-id}}</application-id></client-application-ids>
          </validate-azure-ad-token>
          <set-header name="X-Caller-Oid" exists-action="override">
            <value>@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("oid", "none"))</value>
          </set-header>
        </inbound></policies>`,
        operations: [{ id: 'list', method: 'GET', urlTemplate: '/list' }],
      }],
    }, { workers: 2, env: { OUTPOST_ENTRA_AUTHORITY: idp.url } });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
    await idp?.close();
  });

  test('a token of the tenant\'s client application passes; a later expression reads the validated token', async () => {
    const token = await idp.token({ azp: CLIENT, aud: 'api://orders', oid: 'oid-123' });
    const r = await get(`Bearer ${token}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { oid: 'oid-123' });
  });

  test('another client\'s token and a missing token get 401 and never reach the backend', async () => {
    const before = backend.seen.length;
    const r = await get(`Bearer ${await idp.token({ azp: 'another-client', oid: 'x' })}`);
    assert.equal(r.status, 401);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_JWT_INVALID');
    assert.deepEqual(JSON.parse(r.text), { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' });
    const missing = await get();
    assert.equal(missing.status, 401);
    assert.deepEqual(JSON.parse(missing.text), { statusCode: 401, message: 'JWT not present.' });
    assert.equal(backend.seen.length, before);
  });
});
