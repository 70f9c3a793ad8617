/**
 * validate-client-certificate: compile errors name the attribute; distinguished names compare as
 * APIM writes them (quoted values, any order, case-insensitive); without a TLS certificate the
 * policy fails with OUTPOST_ERR_CLIENT_CERTIFICATE_INVALID, or goes on with ignore-error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { validateClientCertificate } from '../../src/gateway/policies/validate-client-certificate.js';
import { dnsNames, nodeDistinguishedName, normalHex, parseDistinguishedName, sameDistinguishedName } from '../../src/gateway/policies/client-certificate-claims.js';
import { CONTINUE, FAIL } from '../../src/gateway/pipeline/phases.js';

const factory = validateClientCertificate as unknown as PolicyFactory<unknown>;
const ids = (identity: string) => `<validate-client-certificate><identities>${identity}</identities></validate-client-certificate>`;

describe('validate-client-certificate', () => {
  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(factory, '<validate-client-certificate validate-trust="yes" />'), 'validate-trust');
    assert.equal(compileErrorAttribute(factory, ids('<identity thumbprint="XYZ" />')), 'thumbprint');
    assert.equal(compileErrorAttribute(factory, ids('<identity serial-number="not hex!" />')), 'serial-number');
    assert.equal(compileErrorAttribute(factory, ids('<identity subject="just words" />')), 'subject');
    assert.equal(compileErrorAttribute(factory, ids('<identity issuer-certificate-id="ca" />')), 'issuer-certificate-id');
    assert.equal(compileErrorAttribute(factory, ids('<identity />')), null);
    assert.equal(compileErrorAttribute(factory, ids('<identity bogus="1" />')), 'bogus');
  });

  test('the corpus shape compiles, defaults as APIM (every check on, ignore-error off)', () => {
    const config = compileOne(factory, ids('<identity thumbprint="a1:b2:c3:d4:e5:f6:a1:b2:c3:d4:e5:f6:a1:b2:c3:d4:e5:f6:a1:b2" subject="CN=example.com" />')) as Record<string, unknown>;
    assert.deepEqual([config.revocation, config.trust, config.notBefore, config.notAfter, config.ignoreError], [true, true, true, true, false]);
    assert.equal((config.identities as Array<{ thumbprint: string }>)[0].thumbprint, 'A1B2C3D4E5F6A1B2C3D4E5F6A1B2C3D4E5F6A1B2');
  });

  test('no client certificate: 401 code to on-error, or on with ignore-error', () => {
    const ctx = newContext();
    assert.equal(instanceOf(factory, '<validate-client-certificate />').run(ctx), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_CLIENT_CERTIFICATE_INVALID');
    assert.equal(instanceOf(factory, '<validate-client-certificate ignore-error="true" />').run(newContext()), CONTINUE);
  });

  test('distinguished names, hex and SAN names compare as APIM writes them', () => {
    const written = parseDistinguishedName('CN=*.contoso.com, O="Contoso, Inc.", L=Chicago, ST=Illinois, C=US')!;
    const node = nodeDistinguishedName('C=US\nST=Illinois\nL=Chicago\nO=Contoso, Inc.\nCN=*.Contoso.com');
    assert.ok(sameDistinguishedName(written, node));
    assert.ok(!sameDistinguishedName(parseDistinguishedName('CN=a, O=b')!, nodeDistinguishedName('CN=a')));
    assert.equal(parseDistinguishedName('no equals sign'), null);
    assert.equal(normalHex('00:0a:BC', true), 'ABC');
    assert.deepEqual(dnsNames('DNS:A.example, IP Address:127.0.0.1, DNS:b.example'), ['a.example', 'b.example']);
  });
});
