/** check-header: compile errors name the attribute; presence, any-of values, ignore-case; the failure response. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHeader } from '../../src/gateway/policies/check-header.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';

/** These policies use no worker services. */
const services = {} as WorkerServices;

function compile(policy: string | object) {
  const doc = parsePolicyDocument(typeof policy === 'string' ? `<policies><inbound>${policy}</inbound></policies>` : { inbound: [policy] }, 'api "t"');
  const el = doc.inbound![0];
  return checkHeader.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}
const instance = (policy: string | object) => checkHeader.create(compile(policy), services);
const ctx = (...headers: string[]) => new RequestContext('GET', '/x', '', headers, '127.0.0.1', 'a', 'o', {});

function attributeOf(policy: string): string | null {
  try { compile(policy); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err.attribute; }
  assert.fail('expected a compile error');
}

const OK = 'failed-check-httpcode="401" failed-check-error-message="Missing or bad X-Key"';

describe('check-header: compile', () => {
  test('errors name the attribute', () => {
    assert.equal(attributeOf(`<check-header ${OK} />`), 'name');
    assert.equal(attributeOf(`<check-header name="bad header" ${OK} />`), 'name');
    assert.equal(attributeOf('<check-header name="x-key" failed-check-error-message="m" />'), 'failed-check-httpcode');
    assert.equal(attributeOf('<check-header name="x-key" failed-check-httpcode="abc" failed-check-error-message="m" />'), 'failed-check-httpcode');
    assert.equal(attributeOf('<check-header name="x-key" failed-check-httpcode="200" failed-check-error-message="m" />'), 'failed-check-httpcode');
    assert.equal(attributeOf('<check-header name="x-key" failed-check-httpcode="401" />'), 'failed-check-error-message');
    assert.equal(attributeOf(`<check-header name="x-key" ${OK} ignore-case="yes" />`), 'ignore-case');
    assert.equal(attributeOf(`<check-header name="x-key" ${OK} other="1" />`), 'other');
  });

  test('YAML and XML give the same config', () => {
    assert.deepEqual(
      compile({ 'check-header': { name: 'X-Key', 'failed-check-httpcode': 403, 'failed-check-error-message': 'no', 'ignore-case': true, value: ['A', 'b'] } }),
      compile('<check-header name="X-Key" failed-check-httpcode="403" failed-check-error-message="no" ignore-case="true"><value>A</value><value>b</value></check-header>'),
    );
  });
});

describe('check-header: per request', () => {
  test('without <value>, presence is enough', () => {
    const p = instance(`<check-header name="X-Key" ${OK} />`);
    assert.equal(p.run(ctx('x-key', '')), CONTINUE);
    const c = ctx('x-other', '1');
    assert.equal(p.run(c), RESPOND);
    assert.equal(c.response!.status, 401);
    assert.deepEqual(JSON.parse(c.response!.body as string), { statusCode: 401, message: 'Missing or bad X-Key' });
    assert.deepEqual(c.response!.headers, ['content-type', 'application/json', 'x-outpost-error', 'OUTPOST_ERR_HEADER_CHECK_FAILED']);
  });

  test('any <value> matches, case-sensitively by default; any occurrence of the header counts', () => {
    const p = instance(`<check-header name="x-key" ${OK}><value>alpha</value><value>beta</value></check-header>`);
    assert.equal(p.run(ctx('x-key', 'beta')), CONTINUE);
    assert.equal(p.run(ctx('x-key', 'gamma', 'x-key', 'alpha')), CONTINUE);
    assert.equal(p.run(ctx('x-key', 'Alpha')), RESPOND);
    assert.equal(p.run(ctx('x-key', 'gamma')), RESPOND);
    assert.equal(p.run(ctx()), RESPOND);
  });

  test('ignore-case="true" compares case-insensitively', () => {
    const p = instance(`<check-header name="x-key" ${OK} ignore-case="true"><value>Alpha</value></check-header>`);
    assert.equal(p.run(ctx('x-key', 'ALPHA')), CONTINUE);
    assert.equal(p.run(ctx('x-key', 'alphabet')), RESPOND);
  });

  test('the configured status and message shape the answer', () => {
    const p = instance('<check-header name="x-key" failed-check-httpcode="403" failed-check-error-message="Go away"><value>v</value></check-header>');
    const c = ctx('x-key', 'w');
    assert.equal(p.run(c), RESPOND);
    assert.equal(c.response!.status, 403);
    assert.equal(c.response!.body, '{"statusCode":403,"message":"Go away"}');
  });
});
