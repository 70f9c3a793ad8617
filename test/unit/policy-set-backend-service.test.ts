/** set-backend-service: base-url sets origin, base path and Host (backend-id: test/unit/backends.test.ts). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setBackendService } from '../../src/gateway/policies/set-backend-service.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, instanceOf, newContext } from '../support/policy-harness.js';

const f = setBackendService as PolicyFactory<unknown>;

describe('set-backend-service', () => {
  test('base-url becomes the backend origin, its path the base path, its host the Host header', () => {
    const ctx = newContext();
    assert.equal(instanceOf(f, { 'base-url': 'https://api.example.com:8443/v2/' }).run(ctx), CONTINUE);
    assert.equal(ctx.backendOrigin, 'https://api.example.com:8443');
    assert.equal(ctx.backendBasePath, '/v2');
    assert.deepEqual(ctx.headers, ['host', 'api.example.com:8443']);
  });

  test('a bare origin has an empty base path; works in backend too (XML)', () => {
    const ctx = newContext({ headers: [] });
    instanceOf(f, '<set-backend-service base-url="http://10.0.0.5" />', 'backend').run(ctx);
    assert.equal(ctx.backendOrigin, 'http://10.0.0.5');
    assert.equal(ctx.backendBasePath, '');
    assert.equal(ctx.header('host'), '10.0.0.5');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f, { 'backend-id': 'orders', 'base-url': 'http://x' }), 'base-url');
    assert.equal(compileErrorAttribute(f, {}), 'base-url');
    assert.equal(compileErrorAttribute(f, { 'base-url': '/relative' }), 'base-url');
    assert.equal(compileErrorAttribute(f, { 'base-url': 'ftp://x' }), 'base-url');
    assert.equal(compileErrorAttribute(f, { 'base-url': 'http://x/?a=1' }), 'base-url');
    assert.equal(compileErrorAttribute(f, { 'base-url': 'http://u:p@x/' }), 'base-url');
    assert.equal(compileErrorAttribute(f, { 'base-url': 'http://x', 'sf-service-instance-name': 'y' }), 'sf-service-instance-name');
  });
});
