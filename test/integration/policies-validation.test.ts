/**
 * The validation policies in the real gateway (worker threads, real sockets, a real backend):
 * validate-parameters and validate-content refuse a request that breaks the operation's contract
 * with 400 and APIM's public words before the backend sees it; validate-status-code and
 * validate-headers turn a response the contract does not declare into 502; validate-odata-request
 * refuses an OData version out of bounds; validate-client-certificate on the HTTPS listener
 * (clientCertificate: request, a client CA bundle) accepts a trusted certificate with the right
 * identity and answers 401 to none, an untrusted one, or another identity.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { hasOpenssl, TestPki, type Leaf } from '../support/test-pki.js';

let backend: TestBackend;
let gw: GatewayProcess;
let pki: TestPki;
let stranger: TestPki;
let server: Leaf;
let client: Leaf;
let otherClient: Leaf;
let untrusted: Leaf;
let revoked: Leaf;

/**
 * CRLs for the test PKI (the root's, covering the intermediate, and the intermediate's, listing
 * `toRevoke`), in one PEM file: OpenSSL checks a CRL for every CA of the chain once one is given.
 */
function writeCrls(p: TestPki, toRevoke: Leaf): string {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: p.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  for (const ca of ['root', 'int']) {
    writeFileSync(join(p.dir, `${ca}-index.txt`), '');
    writeFileSync(join(p.dir, `${ca}-crlnumber`), '1000\n');
    writeFileSync(join(p.dir, `${ca}-ca.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${ca}-index.txt\ncrlnumber=${ca}-crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n`);
  }
  const leafOnly = join(p.dir, 'revoked-leaf.pem');
  writeFileSync(leafOnly, readFileSync(toRevoke.certFile, 'utf8').split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n');
  ssl('ca', '-config', 'int-ca.cnf', '-revoke', leafOnly, '-keyfile', 'int.key', '-cert', 'int.pem');
  ssl('ca', '-config', 'int-ca.cnf', '-gencrl', '-keyfile', 'int.key', '-cert', 'int.pem', '-out', 'int.crl');
  ssl('ca', '-config', 'root-ca.cnf', '-gencrl', '-keyfile', 'root.key', '-cert', 'root.pem', '-out', 'root.crl');
  const file = join(p.dir, 'crls.pem');
  writeFileSync(file, readFileSync(join(p.dir, 'root.crl'), 'utf8') + readFileSync(join(p.dir, 'int.crl'), 'utf8'));
  return file;
}
/** Requests the backend received, by path: a refused request must never reach it. */
const seen: string[] = [];

function backendHandler(req: IncomingMessage, res: ServerResponse): void {
  seen.push(req.url ?? '');
  req.resume();
  req.on('end', () => {
    const status = /\/status\/(\d{3})/.exec(req.url ?? '')?.[1];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers['x-backend-leak'] !== undefined) headers['x-powered-by'] = 'LeakyFramework 1.0';
    res.writeHead(status === undefined ? 200 : Number(status), headers);
    res.end(JSON.stringify({ name: 'widget', qty: 1 }));
  });
}

const ITEM = { type: 'object', properties: { name: { type: 'string', maxLength: 20 }, qty: { type: 'integer', minimum: 1 } }, required: ['name'], additionalProperties: false };

const SHOP_POLICY = `<policies><inbound>
  <validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="paramErrors">
    <headers specified-parameter-action="ignore" unspecified-parameter-action="ignore" />
  </validate-parameters>
  <validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent" errors-variable-name="bodyErrors">
    <content type="application/json" validate-as="json" action="prevent" />
  </validate-content>
</inbound><backend><forward-request /></backend><outbound>
  <validate-status-code unspecified-status-code-action="prevent" />
  <validate-headers specified-header-action="ignore" unspecified-header-action="prevent" />
</outbound><on-error /></policies>`;

before(async () => {
  backend = await startBackend(backendHandler);
  const tls = hasOpenssl ? (() => {
    pki = new TestPki('validation');
    stranger = new TestPki('stranger');
    server = pki.issue('server', 'gateway.example.test', ['gateway.example.test']);
    client = pki.issue('client', 'client.example.test', ['client.example.test']);
    otherClient = pki.issue('other', 'other.example.test', ['other.example.test']);
    untrusted = stranger.issue('client', 'client.example.test', ['client.example.test']);
    revoked = pki.issue('revoked', 'client.example.test', ['client.example.test']);
    const clientCrlFile = writeCrls(pki, revoked);
    return { port: 0, certificates: [{ certFile: server.certFile, keyFile: server.keyFile }], clientCertificate: 'request', clientCaFile: pki.rootFile, clientCrlFile };
  })() : undefined;
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5, ...(tls === undefined ? {} : { tls }) },
    schemas: [{ id: 'item', document: ITEM }],
    apis: [
      {
        id: 'shop', name: 'Shop', path: 'shop', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          {
            id: 'put-item', method: 'PUT', urlTemplate: '/items/{id}', policies: SHOP_POLICY,
            parameters: [{ name: 'id', in: 'path', required: true, type: 'integer' }, { name: 'dryRun', in: 'query', type: 'boolean' }],
            request: { representations: [{ contentType: 'application/json', schemaId: 'item' }] },
            responses: [{ statusCode: 200, representations: [{ contentType: 'application/json' }] }],
          },
          {
            id: 'status', method: 'GET', urlTemplate: '/status/{code}', policies: SHOP_POLICY,
            responses: [{ statusCode: 200 }],
          },
        ],
      },
      {
        id: 'lenient', name: 'Lenient', path: 'lenient', serviceUrl: backend.url, subscriptionRequired: false,
        policies: '<policies><inbound><validate-client-certificate validate-revocation="false"><identities><identity common-name="client.example.test" /></identities></validate-client-certificate></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>',
        operations: [{ id: 'any', method: 'GET', urlTemplate: '/*' }],
      },
      {
        id: 'odata', name: 'OData', path: 'odata', serviceUrl: backend.url, subscriptionRequired: false,
        policies: '<policies><inbound><validate-odata-request error-variable-name="odata-errors" default-odata-version="4.0" min-odata-version="4.0" max-odata-version="4.01" max-size="100" /></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>',
        operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
      },
      {
        id: 'secure', name: 'Secure', path: 'secure', serviceUrl: backend.url, subscriptionRequired: false,
        policies: `<policies><inbound><validate-client-certificate validate-revocation="true" validate-trust="true" validate-not-before="true" validate-not-after="true">
          <identities><identity common-name="client.example.test" dns-name="client.example.test" issuer-subject="CN=validation Intermediate CA" /></identities>
        </validate-client-certificate></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`,
        operations: [{ id: 'any', method: 'GET', urlTemplate: '/*' }],
      },
    ],
  }, { workers: 1 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

async function call(method: 'GET' | 'PUT', path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await request(gw.url(path), { method, body, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, code: res.headers['x-outpost-error'], text, json: () => JSON.parse(text) as { statusCode: number; message: string } };
}

describe('request and response validation', () => {
  test('a request that keeps the contract goes through', async () => {
    const res = await call('PUT', '/shop/items/7?dryRun=true', JSON.stringify({ name: 'widget', qty: 2 }));
    assert.equal(res.status, 200, res.text);
    assert.ok(seen.includes('/items/7?dryRun=true'));
  });

  test('an unspecified query parameter: 400 with APIM\'s words, the backend never called', async () => {
    const res = await call('PUT', '/shop/items/7?debug=1', JSON.stringify({ name: 'widget' }));
    assert.equal(res.status, 400);
    assert.equal(res.code, 'OUTPOST_ERR_REQUEST_VALIDATION_FAILED');
    assert.deepEqual(res.json(), { statusCode: 400, message: 'Unspecified query parameter debug is not allowed.' });
    assert.ok(!seen.some((p) => p.includes('debug')));
  });

  test('a path parameter of the wrong type: 400', async () => {
    const res = await call('PUT', '/shop/items/seven', JSON.stringify({ name: 'widget' }));
    assert.equal(res.status, 400);
    assert.match(res.json().message, /^Value of the path parameter id does not conform to the definition/);
  });

  test('a body against the schemas entity: wrong type, extra property, not JSON, unspecified type, over max-size', async () => {
    for (const body of [JSON.stringify({ name: 'w', qty: 0 }), JSON.stringify({ name: 'w', colour: 'red' }), '{"name":']) {
      const res = await call('PUT', '/shop/items/7', body);
      assert.equal(res.status, 400, body);
      assert.match(res.json().message, /^Body of the request does not conform to the definition item, which is associated with the content type application\/json\./);
    }
    const text = await call('PUT', '/shop/items/7', 'name=w', { 'content-type': 'text/plain' });
    assert.equal(text.status, 400);
    assert.equal(text.json().message, 'Unspecified content type text/plain is not allowed.');
    const big = await call('PUT', '/shop/items/7', JSON.stringify({ name: 'x'.repeat(2000) }));
    assert.equal(big.status, 400);
    assert.match(big.json().message, /^Request's body is \d+ bytes long and it exceeds the limit of 1024 bytes\.$/);
  });

  test('an undeclared status or header from the backend becomes 502 without the backend\'s words', async () => {
    assert.equal((await call('GET', '/shop/status/200')).status, 200);
    const status = await call('GET', '/shop/status/500');
    assert.equal(status.status, 502);
    assert.equal(status.code, 'OUTPOST_ERR_RESPONSE_VALIDATION_FAILED');
    assert.deepEqual(status.json(), { statusCode: 502, message: 'The request could not be processed due to an internal error. Contact the API owner.' });
    const leak = await call('GET', '/shop/status/200', undefined, { 'x-backend-leak': '1' });
    assert.equal(leak.status, 502);
    assert.ok(!leak.text.includes('LeakyFramework'));
  });
});

describe('validate-odata-request', () => {
  test('versions within bounds pass; outside them, 400', async () => {
    assert.equal((await call('GET', '/odata/People(1)?$top=2', undefined, { 'odata-version': '4.0' })).status, 200);
    const old = await call('GET', '/odata/People(1)', undefined, { 'odata-version': '3.0' });
    assert.equal(old.status, 400);
    assert.equal(old.json().message, 'OData version 3.0 is below the minimum version 4.0.');
    const top = await call('GET', '/odata/People?$top=many');
    assert.equal(top.status, 400);
  });
});

describe('validate-client-certificate on the HTTPS listener', { skip: !hasOpenssl && 'openssl CLI not available' }, () => {
  function httpsGet(cert?: Leaf, path = '/secure/thing'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: gw.httpsPort!, path, servername: 'gateway.example.test', ca: pki.rootPem, agent: false, timeout: 5_000,
        ...(cert === undefined ? {} : { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) }),
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('request timeout')));
      req.end();
    });
  }

  test('a trusted certificate with the identity passes', async () => {
    const res = await httpsGet(client);
    assert.equal(res.status, 200, res.body);
  });

  test('no certificate, an untrusted one, or another identity: 401', async () => {
    for (const cert of [undefined, untrusted, otherClient]) {
      const res = await httpsGet(cert);
      assert.equal(res.status, 401, `${cert?.certFile ?? 'no certificate'}: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body), { statusCode: 401, message: 'Invalid client certificate.' });
    }
  });

  test('a revoked certificate (clientCrlFile): 401; with validate-revocation="false" it passes', async () => {
    const res = await httpsGet(revoked);
    assert.equal(res.status, 401, res.body);
    assert.equal((await httpsGet(revoked, '/lenient/thing')).status, 200);
    assert.equal((await httpsGet(client, '/lenient/thing')).status, 200);
  });

  test('plain HTTP carries no certificate: 401', async () => {
    assert.equal((await call('GET', '/secure/thing')).status, 401);
  });
});
