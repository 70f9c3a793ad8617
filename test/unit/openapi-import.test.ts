/**
 * OpenAPI import as APIM imports: Swagger 2.0 (JSON and YAML), server variables, the first https
 * server, required query parameters in URL templates, webhooks-only documents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOpenApi } from '../../src/control-plane/openapi-import.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';

type Op = { id: string; method: string; urlTemplate: string };

function imported(text: string): { serviceUrl?: string; name: string; operations: Op[] } {
  const r = importOpenApi('api', text, undefined, {});
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.doc as unknown as { serviceUrl?: string; name: string; operations: Op[] };
}
const refused = (text: string): string => {
  const r = importOpenApi('api', text, undefined, {});
  assert.ok(!r.ok, 'expected a refusal');
  return r.message;
};
const templates = (ops: Op[]): string[] => ops.map((o) => `${o.method} ${o.urlTemplate}`);

const SWAGGER = {
  swagger: '2.0', info: { title: 'Legacy', version: '1' }, host: 'legacy.example:8443', basePath: '/api/', schemes: ['http', 'https'],
  parameters: { Page: { name: 'page', in: 'query', required: true, type: 'integer' } },
  paths: {
    '/orders': {
      parameters: [{ name: 'tenant-id', in: 'query', required: true, type: 'string' }],
      get: { operationId: 'listOrders', parameters: [{ $ref: '#/parameters/Page' }, { name: 'sort', in: 'query', type: 'string' }] },
      post: { parameters: [{ name: 'tenant-id', in: 'query', required: false, type: 'string' }] },
    },
  },
};

test('Swagger 2.0, JSON and YAML: https preferred, host and basePath, required query parameters in the template', () => {
  for (const text of [JSON.stringify(SWAGGER), `swagger: "2.0"\ninfo: { title: Legacy }\nhost: legacy.example:8443\nbasePath: /api/\nschemes: [http, https]\nparameters:\n  Page: { name: page, in: query, required: true }\npaths:\n  /orders:\n    parameters: [ { name: tenant-id, in: query, required: true } ]\n    get: { operationId: listOrders, parameters: [ { $ref: "#/parameters/Page" }, { name: sort, in: query } ] }\n    post: { parameters: [ { name: tenant-id, in: query, required: false } ] }\n`]) {
    const doc = imported(text);
    assert.equal(doc.name, 'Legacy');
    assert.equal(doc.serviceUrl, 'https://legacy.example:8443/api');
    // The operation's own declaration overrides the path item's (POST: tenant-id optional).
    assert.deepEqual(templates(doc.operations), ['GET /orders?tenant-id={tenant-id}&page={page}', 'POST /orders']);
  }
  assert.equal(imported(JSON.stringify({ ...SWAGGER, schemes: ['http'] })).serviceUrl, 'http://legacy.example:8443/api');
  assert.equal(imported(JSON.stringify({ ...SWAGGER, host: undefined })).serviceUrl, undefined);
});

test('the imported templates are valid gateway templates (odd query names get valid parameter names)', () => {
  const doc = imported(JSON.stringify({
    openapi: '3.0.0', info: { title: 'T' }, servers: [{ url: 'http://127.0.0.1:9' }],
    paths: { '/search/{q}': { get: { parameters: [{ name: '$filter', in: 'query', required: true }, { name: 'q', in: 'query', required: true }] } } },
  }));
  assert.deepEqual(templates(doc.operations), ['GET /search/{q}?%24filter={_filter}&q={q_2}']);
  const result = validateGatewayConfig({ apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:9', operations: doc.operations }] });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
});

test('OpenAPI 3 servers: variables substituted by their defaults, the first https server preferred, relative ones skipped', () => {
  const servers = [
    { url: '/relative' },
    { url: 'http://{region}.plain.example/v1', variables: { region: { default: 'eu' } } },
    { url: 'https://{region}.api.example:{port}/{version}', variables: { region: { default: 'west', enum: ['west', 'east'] }, port: { default: '8443' }, version: { default: 'v2' } } },
  ];
  const doc = (s: unknown) => JSON.stringify({ openapi: '3.1.0', info: { title: 'S' }, servers: s, paths: { '/x': { get: {} } } });
  assert.equal(imported(doc(servers)).serviceUrl, 'https://west.api.example:8443/v2');
  assert.equal(imported(doc(servers.slice(0, 2))).serviceUrl, 'http://eu.plain.example/v1');
  assert.equal(imported(doc([{ url: '/only-relative' }])).serviceUrl, undefined);
  assert.match(refused(doc([{ url: 'https://{tenant}.example' }])), /servers\[0\]: server variable \{tenant\} has no default/);
});

test('a webhooks-only document is answered with a message saying so; other non-documents as before', () => {
  assert.match(refused(JSON.stringify({ openapi: '3.1.0', info: { title: 'W' }, webhooks: { newPet: { post: {} } } })), /only webhooks.*no operation to import/);
  assert.match(refused('openapi: 3.1.0\ninfo: { title: E }\npaths: {}\n'), /no paths/);
  assert.match(refused('swagger: "1.2"'), /OpenAPI 3\.x .* Swagger 2\.0/);
  assert.match(refused('{not json'), /not JSON or YAML/);
});

test('a parameter inside a segment (/{Sid}.json) is imported as it stands, and the gateway accepts it', () => {
  const doc = imported(JSON.stringify({
    openapi: '3.0.0', info: { title: 'Calls' }, servers: [{ url: 'https://api.example/2010-04-01' }],
    paths: { '/Accounts/{AccountSid}/Calls/{Sid}.json': { get: { operationId: 'FetchCall' } }, '/Accounts/{AccountSid}/Calls.json': { get: {} } },
  }));
  assert.deepEqual(templates(doc.operations), ['GET /Accounts/{AccountSid}/Calls/{Sid}.json', 'GET /Accounts/{AccountSid}/Calls.json']);
  const result = validateGatewayConfig({ apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: doc.serviceUrl, operations: doc.operations }] });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
});

test('a $ref loop in parameters is not followed forever', () => {
  const doc = imported(JSON.stringify({
    openapi: '3.0.0', info: { title: 'L' }, components: { parameters: { A: { $ref: '#/components/parameters/B' }, B: { $ref: '#/components/parameters/A' } } },
    paths: { '/x': { get: { parameters: [{ $ref: '#/components/parameters/A' }] } } },
  }));
  assert.deepEqual(templates(doc.operations), ['GET /x']);
});
