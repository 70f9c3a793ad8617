/**
 * authentication-certificate thumbprint: APIM's SHA-1 thumbprint of a certificate declared under
 * `certificates` (computed from its file; any case) resolves to that certificate; one that matches
 * none is a compile error listing what is declared. The corpus documents that name a certificate
 * by thumbprint (206, 226, 228, 234: a `{{named value}}` holding it) compile once a certificate
 * with that thumbprint is declared (a generated one), with their other named values as a user's
 * would hold them; 226 also computes its base-url with an expression.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { authenticationCertificate } from '../../src/gateway/policies/authentication-certificate.js';
import { setBackendService } from '../../src/gateway/policies/set-backend-service.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import { OutpostError } from '../../src/shared/errors.js';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import { hasOpenssl, TestPki, type Leaf } from '../support/test-pki.js';

const cert = authenticationCertificate as PolicyFactory<unknown>;
const backendService = setBackendService as PolicyFactory<unknown>;
const CORPUS = new URL('../../../test/corpus/apim-policies/docs/', import.meta.url);

/** The thumbprint as openssl prints it (an independent computation): SHA-1 of the leaf's DER, uppercase hex. */
function opensslThumbprint(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' });
  return out.trim().replace(/^.*=/, '').replace(/:/g, '').toUpperCase();
}

/** One API whose operation holds `policies`, with these certificates and named values. */
function compile(policies: string, certificates: Array<{ id: string; certFile: string; keyFile: string }>, namedValues: Array<{ name: string; value: string }> = []) {
  const result = validateGatewayConfig({
    certificates, namedValues,
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'https://backend.example', subscriptionRequired: false, operations: [{ id: 'o', method: '*', urlTemplate: '/*', policies }] }],
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return compilePolicies(result.config);
}

const doc = (inbound: string) => `<policies><inbound>${inbound}</inbound></policies>`;

describe('authentication-certificate thumbprint', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  let pki: TestPki;
  let client: Leaf;
  let other: Leaf;
  let thumbprint = '';

  before(() => {
    pki = new TestPki('thumbprint');
    client = pki.issue('client', 'gateway client', []);
    other = pki.issue('other', 'other client', []);
    thumbprint = opensslThumbprint(client.certFile);
  });
  after(() => rmSync(pki.dir, { recursive: true, force: true }));

  const declared = () => [{ id: 'client', certFile: client.certFile, keyFile: client.keyFile }, { id: 'other', certFile: other.certFile, keyFile: other.keyFile }];

  test('a thumbprint in any case resolves to the declared certificate that has it', () => {
    for (const t of [thumbprint, thumbprint.toLowerCase()]) {
      const { chains, problems } = compile(doc(`<authentication-certificate thumbprint="${t}" />`), declared());
      assert.deepEqual(problems, []);
      assert.deepEqual(chains[0]?.['']?.inbound.map((p) => p.config), [{ id: 'client' }]);
    }
  });

  test('a thumbprint no declared certificate has: a compile error naming it and listing what is declared', () => {
    const unknown = 'AB'.repeat(20);
    const { problems } = compile(doc(`<authentication-certificate thumbprint="${unknown}" />`), declared());
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, new RegExp(`@thumbprint: no declared certificate has thumbprint ${unknown}`));
    assert.match(problems[0].message, new RegExp(`client \\(${thumbprint}\\)`));
    assert.match(problems[0].message, /other \([0-9A-F]{40}\)/);
    assert.match(compile(doc(`<authentication-certificate thumbprint="${unknown}" />`), []).problems[0].message, /declared: none/);
  });

  test('not 40 hex digits, or with certificate-id too: compile errors naming thumbprint', () => {
    assert.equal(compileErrorAttribute(cert, { thumbprint: 'AB:CD' }), 'thumbprint');
    assert.equal(compileErrorAttribute(cert, { thumbprint: 'Z'.repeat(40) }), 'thumbprint');
    assert.equal(compileErrorAttribute(cert, { thumbprint: thumbprint, 'certificate-id': 'client' }), 'thumbprint');
    assert.equal(compileErrorAttribute(cert, { thumbprint: '@(context.Variables["t"])' }), 'thumbprint');
  });

  test('compiled alone (no config to read certificates from): the thumbprint itself names the certificate', () => {
    assert.deepEqual(compileOne(cert, { thumbprint: thumbprint.toLowerCase() }), { id: `sha1:${thumbprint}` });
  });

  test('corpus documents 206, 226, 228 and 234 compile with a certificate of that thumbprint declared', () => {
    const values = (name: string): string => {
      if (/thumbprint|cert/i.test(name)) return thumbprint;
      if (/url/i.test(name)) return 'https://backend.example';
      if (/count|calls/i.test(name)) return '3';
      if (/period/i.test(name)) return '60';
      if (/enabled/i.test(name)) return 'true';
      return 'value';
    };
    for (const file of ['206-testdata-cors-auth-cert.xml', '226-testdata-named-value-backend-service.xml', '228-testdata-named-value-scenarios.xml', '234-testdata-rate-limit-cache-rewrite.xml']) {
      const xml = readFileSync(new URL(file, CORPUS), 'utf8');
      const names = [...new Set([...xml.matchAll(/\{\{([A-Za-z0-9._-]+)\}\}/g)].map((m) => m[1]))];
      const { problems } = compile(xml, declared(), names.map((name) => ({ name, value: values(name) })));
      assert.deepEqual(problems.map((p) => p.message), [], file);
    }
  });
});

describe('set-backend-service base-url expression', () => {
  test('the URL is computed per request (226\'s expression)', () => {
    const run = instanceOf(backendService, `<set-backend-service base-url="@(context.Variables.GetValueOrDefault&lt;string&gt;(&quot;endpoint&quot;, &quot;&quot;) + &quot;/instance/&quot; + (Math.Abs(context.RequestId.GetHashCode()) % 3 + 1))" />`);
    const ctx = newContext();
    ctx.setVariable('endpoint', 'https://pool.example:8443/api');
    assert.equal(run.run(ctx), CONTINUE);
    assert.equal(ctx.backendOrigin, 'https://pool.example:8443');
    assert.match(ctx.backendBasePath ?? '', /^\/api\/instance\/[123]$/);
    assert.equal(ctx.header('host'), 'pool.example:8443');
    assert.equal(ctx.backendEntity, null);
  });

  test('a result that is not an absolute http(s) URL without query or credentials fails coded, and sets nothing', () => {
    const run = instanceOf(backendService, { 'base-url': '@((string)context.Variables["u"])' });
    for (const bad of ['/relative', 'ftp://x', 'http://x/?a=1', 'http://u:p@x/']) {
      const ctx = newContext();
      ctx.setVariable('u', bad);
      assert.throws(() => run.run(ctx), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_POLICY_FAILED', bad);
      assert.equal(ctx.backendOrigin, null);
    }
    const ok = newContext();
    ok.setVariable('u', 'http://10.0.0.9:81/');
    run.run(ok);
    assert.equal(ok.backendOrigin, 'http://10.0.0.9:81');
    assert.equal(ok.backendBasePath, '');
  });
});
