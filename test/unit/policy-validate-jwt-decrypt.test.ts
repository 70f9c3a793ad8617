/**
 * validate-jwt <decryption-keys>: encrypted tokens (compact JWE, made here with jose) wrapping a
 * signed token are decrypted with the inline keys and then validated as any other (A256KW and
 * dir; the JWE's kid narrows the keys); a token no key decrypts, an encrypted bare claim set, a
 * compressed payload, and a JWE without <decryption-keys> are refused; compile errors name what
 * is wrong. Configs go through msgpack, as they do in the table.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { CompactEncrypt, SignJWT } from 'jose';
import { validateJwt } from '../../src/gateway/policies/validate-jwt.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';

const NOW = 1_700_000_000_000;
const services = { counters: { hit: () => 1 }, now: () => NOW } as unknown as WorkerServices;
const SIGNING = Buffer.from('0123456789abcdef0123456789abcdef-secret');
const WRAP = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 9);
const DIRECT = Buffer.alloc(64, 3);

function compile(policy: string) {
  const doc = parsePolicyDocument(`<policies><inbound>${policy}</inbound></policies>`, 'api "t"');
  const el = doc.inbound![0];
  return validateJwt.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}

function compileError(policy: string): PolicyCompileError {
  try { compile(policy); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err; }
  assert.fail('expected a compile error');
}

async function run(policy: string, token: string) {
  const instance = validateJwt.create(unpack(pack(compile(policy))) as ReturnType<typeof compile>, services);
  const ctx = new RequestContext('GET', '/x', '', ['host', 'b', 'authorization', `Bearer ${token}`], '10.0.0.1', 'a', 'o', {});
  const outcome = await instance.run(ctx);
  return { outcome, ctx, code: ctx.response ? ctx.response.headers[ctx.response.headers.indexOf('x-outpost-error') + 1] : null };
}

const signed = () => new SignJWT({ sub: 'user-1', aud: 'api://orders' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW / 1000 - 10).setExpirationTime(NOW / 1000 + 300).sign(SIGNING);
const encrypt = (plaintext: string, key: Uint8Array, header: Record<string, unknown>) => new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ cty: 'JWT', ...header } as never).encrypt(key);

const policy = (keys: string, extra = '') => `<validate-jwt output-token-variable-name="jwt" ${extra}>
  <issuer-signing-keys><key>${SIGNING.toString('base64')}</key></issuer-signing-keys>
  <decryption-keys>${keys}</decryption-keys>
  <audiences><audience>api://orders</audience></audiences>
</validate-jwt>`;

describe('validate-jwt: encrypted tokens', () => {
  test('A256KW: the signed token inside is validated; claims and the output variable come from it', async () => {
    const jwe = await encrypt(await signed(), WRAP, { alg: 'A256KW', enc: 'A256GCM' });
    assert.equal(jwe.split('.').length, 5);
    const { outcome, ctx } = await run(policy(`<key>${OTHER.toString('base64')}</key><key>${WRAP.toString('base64')}</key>`), jwe);
    assert.equal(outcome, CONTINUE, 'every key is tried until one decrypts');
    assert.equal(ctx.claims?.sub, 'user-1');
    const jwt = ctx.variable('jwt') as { claims: Record<string, unknown>; raw: string };
    assert.equal(jwt.claims.sub, 'user-1');
    assert.equal(jwt.raw.split('.').length, 3, 'the variable holds the signed token inside the JWE');
  });

  test('dir with A256CBC-HS512 and a kid that names the key', async () => {
    const jwe = await encrypt(await signed(), DIRECT, { alg: 'dir', enc: 'A256CBC-HS512', kid: 'k2' });
    const { outcome } = await run(policy(`<key id="k1">${WRAP.toString('base64')}</key><key id="k2">${DIRECT.toString('base64')}</key>`), jwe);
    assert.equal(outcome, CONTINUE);
  });

  test('refused: no key decrypts, the payload is not a signed token, compressed, or no <decryption-keys>', async () => {
    const wrongKey = await encrypt(await signed(), OTHER, { alg: 'A256KW', enc: 'A256GCM' });
    assert.deepEqual((await run(policy(`<key>${WRAP.toString('base64')}</key>`), wrongKey)).code, 'OUTPOST_ERR_JWT_INVALID');
    const bare = await encrypt(JSON.stringify({ sub: 'user-1', aud: 'api://orders', exp: NOW / 1000 + 300 }), WRAP, { alg: 'A256KW', enc: 'A256GCM' });
    const bareRun = await run(policy(`<key>${WRAP.toString('base64')}</key>`), bare);
    assert.equal(bareRun.outcome, RESPOND, 'require-signed-tokens: an encrypted claim set is not a signed token');
    assert.equal(bareRun.ctx.response!.status, 401);
    const tampered = wrongKey.slice(0, -4) + 'AAAA';
    assert.equal((await run(policy(`<key>${OTHER.toString('base64')}</key>`), tampered)).code, 'OUTPOST_ERR_JWT_INVALID');
    const noKeys = `<validate-jwt><issuer-signing-keys><key>${SIGNING.toString('base64')}</key></issuer-signing-keys></validate-jwt>`;
    assert.equal((await run(noKeys, wrongKey)).code, 'OUTPOST_ERR_JWT_INVALID');
  });

  test('compile errors: certificate-id, a key of the wrong size or not base64, an empty list', () => {
    assert.equal(compileError(policy('<key certificate-id="cert-1" />')).attribute, 'certificate-id');
    assert.match(compileError(policy('<key>dGVzdA==</key>')).message, /16, 24, 32, 48 or 64 bytes, got 4 bytes/);
    assert.match(compileError(policy('<key>not base64!</key>')).message, /got 0 bytes/);
    assert.match(compileError(policy('')).message, /at least one <key>/);
    assert.equal(compileError(policy(`<key colour="red">${WRAP.toString('base64')}</key>`)).attribute, 'colour');
  });
});
