/**
 * validate-jwt: tokens signed here with jose (HS256, RS256, ES256) accepted with keys given every
 * way the policy takes them; each rejection (signature, exp, nbf, clock skew, iss, aud, required
 * claims, alg none and other algorithms, missing token) with its code; compile errors naming the
 * attribute. Configs go through msgpack, as they do in the table.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { SignJWT, exportJWK, exportSPKI, exportPKCS8, generateKeyPair, type KeyLike, type JWTPayload } from 'jose';
import { validateJwt } from '../../src/gateway/policies/validate-jwt.js';
import { checkToken } from '../../src/gateway/policies/validate-jwt-verify.js';
import { importKeys } from '../../src/gateway/policies/validate-jwt-keys.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import { testTempDir } from '../support/temp-dir.js';

const NOW = 1_700_000_000_000;
const services = { counters: { hit: () => 1 }, gauges: { acquire: () => 0, release: () => undefined }, now: () => NOW } as unknown as WorkerServices;
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef-secret');
const SECRET_B64 = SECRET.toString('base64');
const nowSec = NOW / 1000;

function compile(policy: string | object) {
  const doc = parsePolicyDocument(typeof policy === 'string' ? `<policies><inbound>${policy}</inbound></policies>` : { inbound: [policy] }, 'api "t"');
  const el = doc.inbound![0];
  return validateJwt.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}

function compileError(policy: string | object): PolicyCompileError {
  try { compile(policy); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err; }
  assert.fail('expected a compile error');
}

async function run(policy: string | object, headers: string[], query = '') {
  const instance = validateJwt.create(unpack(pack(compile(policy))) as ReturnType<typeof compile>, services);
  const ctx = new RequestContext('GET', '/x', query, ['host', 'b', ...headers], '10.0.0.1', 'a', 'o', {});
  const outcome = await instance.run(ctx);
  return { outcome, ctx, code: ctx.response ? ctx.response.headers[ctx.response.headers.indexOf('x-outpost-error') + 1] : null };
}

const bearer = (token: string) => ['authorization', `Bearer ${token}`];

function sign(key: KeyLike | Uint8Array, alg: string, claims: JWTPayload = {}, kid?: string): Promise<string> {
  const jwt = new SignJWT({ sub: 'user-1', ...claims }).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).setIssuedAt(nowSec - 10);
  if (claims.exp === undefined) jwt.setExpirationTime(nowSec + 300);
  return jwt.sign(key);
}

const hsPolicy = (extra = '', children = '') => `<validate-jwt ${extra}><issuer-signing-keys><key>${SECRET_B64}</key></issuer-signing-keys>${children}</validate-jwt>`;

describe('validate-jwt: accepts', () => {
  let rsa: { publicKey: KeyLike; privateKey: KeyLike };
  let ec: { publicKey: KeyLike; privateKey: KeyLike };
  before(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
  });

  test('HS256 with APIM\'s base64 key: continues, claims in ctx.claims', async () => {
    const r = await run(hsPolicy(), bearer(await sign(SECRET, 'HS256', { role: 'admin' })));
    assert.equal(r.outcome, CONTINUE);
    assert.equal(r.ctx.claim('sub'), 'user-1');
    assert.equal(r.ctx.claim('role'), 'admin');
    assert.equal(r.ctx.response, null);
  });

  test('RS256 with a PEM public key (YAML form)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const r = await run({ 'validate-jwt': { 'issuer-signing-keys': { key: [pem] } } }, bearer(await sign(rsa.privateKey, 'RS256')));
    assert.equal(r.outcome, CONTINUE);
  });

  test('ES256 with a JWK, and from a jwks-file; kid picks the key', async () => {
    const jwk = { ...await exportJWK(ec.publicKey), kid: 'ec-1' };
    assert.equal((await run(hsPolicy('', '').replace(`<key>${SECRET_B64}</key>`, `<key>${JSON.stringify(jwk)}</key>`), bearer(await sign(ec.privateKey, 'ES256', {}, 'ec-1')))).outcome, CONTINUE);
    const other = await generateKeyPair('ES256', { extractable: true });
    const file = join(testTempDir('outpost-jwt-'), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...await exportJWK(other.publicKey), kid: 'ec-0', use: 'sig' }, jwk, { kty: 'RSA', use: 'enc', n: 'x', e: 'AQAB' }] }));
    const r = await run(`<validate-jwt jwks-file="${file}" />`, bearer(await sign(ec.privateKey, 'ES256', {}, 'ec-1')));
    assert.equal(r.outcome, CONTINUE);
    assert.equal(compile(`<validate-jwt jwks-file="${file}" />`).keys.length, 2, 'the encryption key is skipped');
  });

  test('token in a query parameter; custom header without scheme', async () => {
    const token = await sign(SECRET, 'HS256');
    assert.equal((await run(hsPolicy('query-parameter-name="access_token"'), [], `a=1&access_token=${token}`)).outcome, CONTINUE);
    assert.equal((await run(hsPolicy('header-name="X-Token"'), ['x-token', token])).outcome, CONTINUE);
  });

  test('clock-skew lets a just-expired and a not-yet-valid token through', async () => {
    const expired = await sign(SECRET, 'HS256', { exp: nowSec - 30 });
    const early = await sign(SECRET, 'HS256', { nbf: nowSec + 30 });
    assert.equal((await run(hsPolicy('clock-skew="60"'), bearer(expired))).outcome, CONTINUE);
    assert.equal((await run(hsPolicy('clock-skew="60"'), bearer(early))).outcome, CONTINUE);
  });

  test('issuer, audience and required claims that match', async () => {
    const policy = hsPolicy('', `<audiences><audience>api://a</audience><audience>api://b</audience></audiences><issuers><issuer>https://idp/</issuer></issuers>
      <required-claims><claim name="roles" match="any"><value>admin</value><value>ops</value></claim><claim name="scp" match="all" separator=","><value>read</value><value>write</value></claim><claim name="tid" /></required-claims>`);
    const token = await sign(SECRET, 'HS256', { iss: 'https://idp/', aud: 'api://b', roles: ['user', 'ops'], scp: 'read,write', tid: 't1' });
    assert.equal((await run(policy, bearer(token))).outcome, CONTINUE);
  });

  test('require-expiration-time="false" accepts a token without exp', async () => {
    const token = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    assert.equal((await run(hsPolicy('require-expiration-time="false"'), bearer(token))).outcome, CONTINUE);
    assert.equal((await run(hsPolicy(), bearer(token))).code, 'OUTPOST_ERR_JWT_INVALID');
  });
});

describe('validate-jwt: rejects', () => {
  const verifier = (policy: string) => {
    const config = unpack(pack(compile(policy))) as ReturnType<typeof compile>;
    return { config, inline: importKeys(config.keys), sources: [] };
  };
  const reason = async (policy: string, token: string) => {
    const r = await checkToken(token, verifier(policy), NOW);
    return r.ok ? 'ok' : r.reason;
  };

  test('missing token: 401, APIM JSON body, WWW-Authenticate, code', async () => {
    const r = await run(hsPolicy(), []);
    assert.equal(r.outcome, RESPOND);
    assert.equal(r.ctx.response!.status, 401);
    assert.deepEqual(JSON.parse(r.ctx.response!.body as string), { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' });
    assert.equal(r.code, 'OUTPOST_ERR_JWT_MISSING');
    const h = r.ctx.response!.headers;
    assert.equal(h[h.indexOf('www-authenticate') + 1], 'Bearer');
  });

  test('wrong scheme, garbage, wrong signature: invalid_token', async () => {
    const token = await sign(SECRET, 'HS256');
    assert.equal((await run(hsPolicy(), ['authorization', `Basic ${token}`])).code, 'OUTPOST_ERR_JWT_INVALID');
    assert.equal((await run(hsPolicy(), bearer('not.a.jwt'))).code, 'OUTPOST_ERR_JWT_INVALID');
    const forged = await sign(Buffer.from('another-secret-another-secret-another'), 'HS256');
    const r = await run(hsPolicy(), bearer(forged));
    assert.equal(r.code, 'OUTPOST_ERR_JWT_INVALID');
    assert.equal(r.ctx.claims, null);
    const h = r.ctx.response!.headers;
    assert.equal(h[h.indexOf('www-authenticate') + 1], 'Bearer error="invalid_token"');
    assert.equal(await reason(hsPolicy(), forged), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('expired and not yet valid (no skew)', async () => {
    assert.equal(await reason(hsPolicy(), await sign(SECRET, 'HS256', { exp: nowSec - 1 })), 'ERR_JWT_EXPIRED');
    assert.equal(await reason(hsPolicy(), await sign(SECRET, 'HS256', { nbf: nowSec + 5 })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(await reason(hsPolicy('clock-skew="10"'), await sign(SECRET, 'HS256', { exp: nowSec - 11 })), 'ERR_JWT_EXPIRED');
  });

  test('wrong issuer, wrong audience', async () => {
    const policy = hsPolicy('', '<audiences><audience>api://a</audience></audiences><issuers><issuer>https://idp/</issuer></issuers>');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { iss: 'https://evil/', aud: 'api://a' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { iss: 'https://idp/', aud: 'api://b' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { aud: 'api://a' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { iss: 'https://idp/', aud: 'api://a' })), 'ok');
  });

  test('required claims: missing claim, any with no match, all with one missing', async () => {
    const policy = hsPolicy('', '<required-claims><claim name="roles" match="any"><value>admin</value></claim><claim name="scp" separator=","><value>read</value><value>write</value></claim></required-claims>');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { scp: 'read,write' })), 'ERR_REQUIRED_CLAIM');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { roles: ['user'], scp: 'read,write' })), 'ERR_REQUIRED_CLAIM');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { roles: 'admin', scp: 'read' })), 'ERR_REQUIRED_CLAIM');
    assert.equal(await reason(policy, await sign(SECRET, 'HS256', { roles: 'admin', scp: 'read, write' })), 'ok');
  });

  test('alg none, other algorithms, and an RSA public key used as an HMAC secret', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', exp: nowSec + 60 })}.`;
    assert.equal(await reason(hsPolicy(), none), 'ERR_JOSE_ALG_NOT_ALLOWED');
    assert.equal((await run(hsPolicy(), bearer(none))).code, 'OUTPOST_ERR_JWT_INVALID');
    assert.equal(await reason(hsPolicy(), await sign(SECRET, 'HS512')), 'ERR_JOSE_ALG_NOT_ALLOWED');
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(rsa.publicKey);
    const rsPolicy = `<validate-jwt><issuer-signing-keys><key>${pem}</key></issuer-signing-keys></validate-jwt>`;
    assert.equal(await reason(rsPolicy, await sign(rsa.privateKey, 'PS256')), 'ERR_JOSE_ALG_NOT_ALLOWED');
    // The classic confusion: an HS256 token "signed" with the public key's PEM text.
    assert.equal(await reason(rsPolicy, await sign(Buffer.from(pem), 'HS256')), 'ERR_JWKS_NO_MATCHING_KEY');
  });
});

describe('validate-jwt: compile errors name the attribute', () => {
  const cases: Array<[string, string | object, string | null, RegExp?]> = [
    ['token-value', hsPolicy('token-value="x"'), 'token-value'],
    ['output-token-variable-name not a variable name', hsPolicy(`output-token-variable-name="${'x'.repeat(129)}"`), 'output-token-variable-name'],
    ['require-signed-tokens false', hsPolicy('require-signed-tokens="false"'), 'require-signed-tokens'],
    ['header and query both', hsPolicy('header-name="X" query-parameter-name="t"'), 'query-parameter-name'],
    ['bad status', hsPolicy('failed-validation-httpcode="200"'), 'failed-validation-httpcode'],
    ['bad clock-skew', hsPolicy('clock-skew="-1"'), 'clock-skew'],
    ['bad require-expiration-time', hsPolicy('require-expiration-time="yes"'), 'require-expiration-time'],
    ['unknown attribute', hsPolicy('colour="red"'), 'colour'],
    ['bad openid url', '<validate-jwt><openid-config url="ftp://x" /></validate-jwt>', 'url'],
    ['missing jwks file', '<validate-jwt jwks-file="/nonexistent/jwks.json" />', 'jwks-file'],
    ['bad claim match', hsPolicy('', '<required-claims><claim name="r" match="some" /></required-claims>'), 'match'],
    ['certificate-id', '<validate-jwt><issuer-signing-keys><key certificate-id="c" /></issuer-signing-keys></validate-jwt>', 'certificate-id'],
    ['no keys', '<validate-jwt />', null, /needs signing keys/],
    ['short HS256 key', `<validate-jwt><issuer-signing-keys><key>${Buffer.from('short').toString('base64')}</key></issuer-signing-keys></validate-jwt>`, null, /at least 32 bytes/],
    ['not a key', '<validate-jwt><issuer-signing-keys><key>not a key!</key></issuer-signing-keys></validate-jwt>', null, /not a PEM key/],
    ['decryption-keys without keys', hsPolicy('', '<decryption-keys />'), null, /at least one <key>/],
  ];
  for (const [title, policy, attribute, message] of cases) {
    test(title, () => {
      const err = compileError(policy);
      assert.equal(err.attribute, attribute, err.message);
      assert.equal(err.code, 'OUTPOST_ERR_POLICY_INVALID');
      if (message) assert.match(err.message, message);
    });
  }

  test('a private key is refused (PEM and JWK)', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    assert.match(compileError(`<validate-jwt><issuer-signing-keys><key>${await exportPKCS8(rsa.privateKey)}</key></issuer-signing-keys></validate-jwt>`).message, /private key/);
    assert.match(compileError(`<validate-jwt><issuer-signing-keys><key>${JSON.stringify(await exportJWK(rsa.privateKey))}</key></issuer-signing-keys></validate-jwt>`).message, /private key/);
  });

  test('an RSA key under 2048 bits and an EC key off P-256 are refused', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(compileError(`<validate-jwt><issuer-signing-keys><key>${small}</key></issuer-signing-keys></validate-jwt>`).message, /2048/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.match(compileError(`<validate-jwt><issuer-signing-keys><key>${p384}</key></issuer-signing-keys></validate-jwt>`).message, /unsupported key type/);
  });
});

describe('validate-jwt: OpenID key source', () => {
  test('loads via jwks_uri; unknown kid refetches once per cooldown; a failed fetch keeps the last good keys', async () => {
    const { createServer } = await import('node:http');
    const { OpenIdKeySource, UNKNOWN_KID_COOLDOWN_MS } = await import('../../src/gateway/policies/validate-jwt-openid.js');
    const rsa = await generateKeyPair('RS256', { extractable: true });
    let failing = false;
    let jwksFetches = 0;
    const server = createServer((req, res) => {
      if (req.url === '/oidc') { res.end(JSON.stringify({ jwks_uri: `http://127.0.0.1:${port}/jwks` })); return; }
      jwksFetches++;
      if (failing) { res.writeHead(500).end(); return; }
      void exportJWK(rsa.publicKey).then((jwk) => res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'a' }, { kty: 'OKP', crv: 'Ed25519', x: 'AA', kid: 'ed' }] })));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    let clock = NOW;
    const source = new OpenIdKeySource(`http://127.0.0.1:${port}/oidc`, 3_600_000, () => clock);
    try {
      const keys = await source.ready();
      assert.deepEqual(keys!.map((k) => [k.kid, k.alg]), [['a', 'RS256']], 'unsupported keys are skipped');
      failing = true;
      await source.refreshForUnknownKid();
      assert.equal(jwksFetches, 2);
      assert.equal(source.keys!.length, 1, 'the last good keys stay');
      assert.match(source.lastError!, /HTTP 500/);
      await source.refreshForUnknownKid();
      assert.equal(jwksFetches, 2, 'no second refetch within the cooldown');
      clock += UNKNOWN_KID_COOLDOWN_MS;
      failing = false;
      await source.refreshForUnknownKid();
      assert.equal(jwksFetches, 3);
      assert.equal(source.lastError, null);
    } finally {
      server.close();
    }
  });
});
