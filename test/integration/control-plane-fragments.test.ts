/**
 * Policy fragments as control-plane resources (/policy-fragments/{id}): checked on write as the
 * gateway checks them, refused while a policy still includes them, and sent in every gateway's
 * config view with the named values they use.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';

const FRAGMENT = '<fragment><set-header name="x-tenant" exists-action="override"><value>{{tenant}}</value></set-header></fragment>';
const api = (policies?: string) => ({
  name: 'Orders', path: 'orders', serviceUrl: 'http://127.0.0.1:9', operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
  ...(policies === undefined ? {} : { policies }),
});
const including = (id: string) => `<policies><inbound><include-fragment fragment-id="${id}" /></inbound></policies>`;

describe('control plane: policy fragments', () => {
  let cp: ControlPlaneProcess;
  before(async () => { cp = await startControlPlane(); });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  test('a fragment is stored, an API includes it, the gateway view carries it and its named value', async () => {
    assert.equal((await cp.admin('PUT', '/named-values/tenant', { value: 'acme' })).status, 201);
    assert.equal((await cp.admin('PUT', '/named-values/unused', { value: 'x' })).status, 201);
    const put = await cp.admin('PUT', '/policy-fragments/tenant-header', { policy: FRAGMENT, description: 'adds the tenant' });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal((await cp.admin('GET', '/policy-fragments/tenant-header')).body.policy, FRAGMENT);
    assert.equal((await cp.admin('PUT', '/apis/orders', api(including('tenant-header')))).status, 201);
    assert.equal((await cp.admin('PUT', '/gateways/gw', { name: 'On-prem' })).status, 201);
    assert.equal((await cp.admin('PUT', '/gateways/gw/apis/orders')).status, 201);
    const token = await cp.admin('POST', '/gateways/gw/token', { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
    const view = await cp.call('GET', '/gateway/config', { authorization: token.body.value as string });
    assert.equal(view.status, 200);
    const config = view.body.config as Record<string, Array<Record<string, unknown>>>;
    assert.deepEqual(config.fragments.map((f) => f.id), ['tenant-header']);
    assert.deepEqual(config.namedValues.map((v) => v.name), ['tenant'], 'the fragment\'s named value is sent, the unused one is not');
    const valid = validateGatewayConfig(config);
    assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.problems));
    const compiled = compilePolicies(valid.config);
    assert.deepEqual(compiled.problems, []);
    assert.match(JSON.stringify(compiled.chains[0]), /x-tenant/);
    assert.match(JSON.stringify(compiled.chains[0]), /acme/);
  });

  test('bad fragments and includes of a missing fragment are refused with the field and resource', async () => {
    const bad = await cp.admin('PUT', '/policy-fragments/bad', { policy: '<fragment><base /></fragment>' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.problems), /may not hold <base>/);
    const noPolicy = await cp.admin('PUT', '/policy-fragments/empty', { description: 'no policy' });
    assert.equal(noPolicy.status, 400);
    assert.equal(noPolicy.body.problems[0].path, 'policy');
    const missing = await cp.admin('PUT', '/apis/other', { ...api(including('nope')), path: 'other' });
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body.problems), /no fragment with id \\"nope\\"/);
  });

  test('a fragment still included cannot be deleted (409 naming the API); once unused it can', async () => {
    const refused = await cp.admin('DELETE', '/policy-fragments/tenant-header');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.problems[0].resource, '/apis/orders');
    assert.equal((await cp.admin('PUT', '/apis/orders', api())).status, 200);
    assert.equal((await cp.admin('DELETE', '/policy-fragments/tenant-header')).status, 204);
    assert.equal((await cp.admin('GET', '/policy-fragments/tenant-header')).status, 404);
  });
});
