/**
 * OpenAPI import fills each operation's contract (what the validation policies check): typed
 * parameters with `$ref`s resolved, request and response content types with their schemas
 * inlined (a reference cycle becomes `{}`), response headers; the result passes the config schema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOpenApi } from '../../src/control-plane/openapi-import.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';

const SPEC = {
  openapi: '3.0.3', info: { title: 'Shop', version: '1' }, servers: [{ url: 'https://shop.example' }],
  components: {
    parameters: { Tenant: { name: 'X-Tenant', in: 'header', required: true, schema: { type: 'string' } } },
    schemas: {
      Item: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parts: { type: 'array', items: { $ref: '#/components/schemas/Item' } } } },
    },
  },
  paths: {
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
      put: {
        operationId: 'putItem',
        parameters: [{ $ref: '#/components/parameters/Tenant' }, { name: 'dryRun', in: 'query', schema: { type: 'boolean' } }, { name: 'c', in: 'cookie' }],
        requestBody: { content: { 'application/json; charset=utf-8': { schema: { $ref: '#/components/schemas/Item' } }, 'application/xml': {} } },
        responses: {
          200: { description: 'ok', headers: { 'X-Rate': { required: true, schema: { type: 'integer' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
          default: { description: 'error' },
        },
      },
    },
  },
};

test('an OpenAPI 3 operation becomes a contract the config accepts', () => {
  const r = importOpenApi('shop', JSON.stringify(SPEC), undefined, {});
  assert.ok(r.ok, r.ok ? '' : r.message);
  const op = (r.doc.operations as Array<Record<string, unknown>>)[0];
  assert.deepEqual(op.parameters, [
    { name: 'id', in: 'path', required: true, type: 'integer' },
    { name: 'X-Tenant', in: 'header', required: true, type: 'string' },
    { name: 'dryRun', in: 'query', required: false, type: 'boolean' },
  ]);
  const request = op.request as { representations: Array<{ contentType: string; schema?: Record<string, unknown> }> };
  assert.deepEqual(request.representations.map((x) => x.contentType), ['application/json', 'application/xml']);
  const item = request.representations[0].schema!;
  assert.deepEqual(item.required, ['name']);
  // Item refers to itself: the cycle is cut, the inner reference accepts anything.
  assert.deepEqual((item.properties as Record<string, Record<string, unknown>>).parts, { type: 'array', items: {} });
  assert.deepEqual((op.responses as Array<Record<string, unknown>>).map((x) => x.statusCode), [200]);
  assert.deepEqual((op.responses as Array<{ headers: unknown }>)[0].headers, [{ name: 'X-Rate', required: true, type: 'integer' }]);
  const config = validateGatewayConfig({ apis: [{ ...r.doc, subscriptionRequired: false }] });
  assert.ok(config.ok, config.ok ? '' : JSON.stringify(config.problems));
});

test('Swagger 2.0: body parameter and produces give the content types', () => {
  const swagger = {
    swagger: '2.0', info: { title: 'L', version: '1' }, host: 'l.example', consumes: ['application/json'], produces: ['application/json'],
    paths: { '/orders': { post: { parameters: [{ name: 'body', in: 'body', schema: { type: 'object' } }, { name: 'n', in: 'query', type: 'integer' }], responses: { 201: { description: 'made', schema: { type: 'object' } } } } } },
  };
  const r = importOpenApi('l', JSON.stringify(swagger), undefined, {});
  assert.ok(r.ok);
  const op = (r.doc.operations as Array<Record<string, unknown>>)[0];
  assert.deepEqual(op.parameters, [{ name: 'n', in: 'query', required: false, type: 'integer' }]);
  assert.deepEqual(op.request, { representations: [{ contentType: 'application/json', schema: { type: 'object' } }] });
  assert.deepEqual(op.responses, [{ statusCode: 201, headers: [], representations: [{ contentType: 'application/json', schema: { type: 'object' } }] }]);
});
