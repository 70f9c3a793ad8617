/**
 * The TLS parts of the config: schema rules with field paths, the checks the primary runs on the
 * files (chain order, key match, PEM at all), the names a certificate serves (SAN, CN only
 * without SAN), and SNI lookup (exact, one-label wildcard, fallback to the first certificate).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { certificateNames, readKeyPair, TlsFileProblem } from '../../src/gateway/tls/pem-files.js';
import { loadHttpsMaterial } from '../../src/gateway/tls/https-material.js';
import { SniContexts } from '../../src/gateway/worker/https-listener.js';
import { hasOpenssl, TestPki } from '../support/test-pki.js';

function problems(gateway: Record<string, unknown>, api: Record<string, unknown> = {}): string[] {
  const r = validateGatewayConfig({ gateway, apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'https://b.test', operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }], ...api }] });
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('TLS config schema', () => {
  const cert = { certFile: '/c.pem', keyFile: '/k.pem' };

  test('gateway.tls: defaults, and what is refused with its path', () => {
    const r = validateGatewayConfig({ gateway: { tls: { certificates: [cert] } } });
    assert.ok(r.ok);
    assert.deepEqual(r.config.gateway.tls, { port: 8081, certificates: [cert], minVersion: 'TLSv1.2' });
    assert.match(problems({ tls: { certificates: [cert], minVersion: 'TLSv1.1' } })[0], /^gateway\.tls\.minVersion: .*TLS 1\.1/);
    assert.match(problems({ tls: { certificates: [cert], minVersion: 'TLSv1' } })[0], /^gateway\.tls\.minVersion/);
    assert.match(problems({ tls: { certificates: [] } })[0], /^gateway\.tls\.certificates: at least one/);
    assert.match(problems({ tls: { certificates: [{ certFile: '/c.pem' }] } })[0], /^gateway\.tls\.certificates\[0\]\.keyFile/);
    assert.match(problems({ tls: { certificates: [cert], ciphers: 'NOT-A-CIPHER' } })[0], /^gateway\.tls\.ciphers: not a cipher list/);
    assert.deepEqual(problems({ tls: { certificates: [cert], ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } }), []);
    assert.match(problems({ port: 8443, tls: { port: 8443, certificates: [cert] } })[0], /^gateway\.tls\.port: must differ from gateway\.port/);
  });

  test('backend TLS: a client certificate is a pair; unknown fields are refused', () => {
    assert.deepEqual(problems({ upstream: { tls: { caFile: '/ca.pem' } } }, { backendTls: { insecureSkipVerify: true } }), []);
    assert.deepEqual(problems({}, { backendTls: { certFile: '/c.pem' } }), ['apis[0].backendTls.keyFile: required with certFile']);
    assert.deepEqual(problems({ upstream: { tls: { keyFile: '/k.pem' } } }), ['gateway.upstream.tls.certFile: required with keyFile']);
    assert.deepEqual(problems({}, { backendTls: { insecure: true } }), ['apis[0].backendTls.insecure: unknown field']);
  });
});

describe('TLS files', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  const pki = hasOpenssl ? new TestPki('unit') : (null as unknown as TestPki);

  test('a chain in order with its key is read; the leaf comes first', async () => {
    const leaf = pki.issue('ok', 'ok.test', ['ok.test', '*.ok.test']);
    const pair = await readKeyPair('x', leaf.certFile, leaf.keyFile);
    assert.equal(pair.leaf.fingerprint256, leaf.fingerprint);
    assert.equal((pair.certPem.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    assert.deepEqual(certificateNames(pair.leaf), ['ok.test', '*.ok.test']);
  });

  test('the CN names a certificate only when it has no SAN DNS name', async () => {
    const cnOnly = pki.issue('cn', 'Legacy.Example.Test', []);
    assert.deepEqual(certificateNames(new X509Certificate(readFileSync(cnOnly.certFile))), ['legacy.example.test']);
    const ipOnly = pki.issue('ip', 'ip-only', [], ['127.0.0.1']);
    assert.deepEqual(certificateNames(new X509Certificate(readFileSync(ipOnly.certFile))), ['ip-only']);
  });

  test('each bad file is a problem naming the field and the file', async () => {
    const a = pki.issue('a', 'a.test', ['a.test']);
    const b = pki.issue('b', 'b.test', ['b.test']);
    const expectProblem = async (p: Promise<unknown>, field: string, file: string, why: RegExp) => {
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof TlsFileProblem);
        assert.equal(err.path, field);
        assert.equal(err.file, file);
        assert.match(err.message, why);
        assert.equal(err.toProblem().code, 'OUTPOST_ERR_TLS_FILE_INVALID');
        return true;
      });
    };
    await expectProblem(readKeyPair('c', a.certFile, b.keyFile), 'c.keyFile', b.keyFile, /does not match the certificate/);
    await expectProblem(readKeyPair('c', join(pki.dir, 'none.pem'), a.keyFile), 'c.certFile', join(pki.dir, 'none.pem'), /no such file/);
    await expectProblem(readKeyPair('c', a.keyFile, a.keyFile), 'c.certFile', a.keyFile, /no PEM certificate/);
    await expectProblem(readKeyPair('c', a.certFile, a.certFile), 'c.keyFile', a.certFile, /not a PEM private key/);
    // Intermediate first, then the leaf: the wrong order.
    const blocks = readFileSync(a.certFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    const reversed = join(pki.dir, 'reversed.pem');
    writeFileSync(reversed, `${blocks[1]}\n${blocks[0]}\n`);
    await expectProblem(readKeyPair('c', reversed, a.keyFile), 'c.certFile', reversed, /leaf first/);
  });

  test('SNI: exact names, then one-label wildcards, then the first certificate', async () => {
    const first = pki.issue('first', 'first', ['first.test', 'shared.test']);
    const wild = pki.issue('wild', 'wild', ['*.wild.test', 'shared.test']);
    const { material } = await loadHttpsMaterial({ port: 0, minVersion: 'TLSv1.2', certificates: [first, wild].map(({ certFile, keyFile }) => ({ certFile, keyFile })) });
    const sni = SniContexts.build(material);
    const contextOf = (name: string) => sni.lookup(name);
    const firstCtx = sni.fallback;
    const wildCtx = contextOf('a.wild.test');
    assert.notEqual(wildCtx, firstCtx);
    assert.equal(contextOf('first.test'), firstCtx);
    assert.equal(contextOf('A.WILD.TEST'), wildCtx);
    assert.equal(contextOf('shared.test'), firstCtx, 'a name two certificates share goes to the earlier one');
    assert.equal(contextOf('wild.test'), firstCtx, 'a wildcard does not cover its own parent');
    assert.equal(contextOf('a.b.wild.test'), firstCtx, 'a wildcard covers one label only');
    assert.equal(contextOf('nothing.test'), firstCtx);
  });
});
