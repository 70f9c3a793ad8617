/**
 * validate-jwt end to end: a real gateway with 2 workers, a backend, and a tiny OpenID provider
 * (configuration document + JWKS) written here on 127.0.0.1:0. A valid RS256 token whose key is
 * found through openid-config passes and its request reaches the backend; invalid or missing
 * tokens get 401 with APIM's JSON shape and never reach it; a token signed with a rotated-in key
 * (new kid) makes a worker refetch the key set once, and random kids do not cause refetches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

interface Idp { url: string; keys: JWK[]; jwksFetches: number; server: Server }

async function startIdp(): Promise<Idp> {
  const idp = { url: '', keys: [] as JWK[], jwksFetches: 0, server: null as unknown as Server };
  idp.server = createServer((req, res) => {
    let body: string;
    if (req.url === '/.well-known/openid-configuration') body = JSON.stringify({ issuer: `${idp.url}/`, jwks_uri: `${idp.url}/keys` });
    else if (req.url === '/keys') { idp.jwksFetches++; body = JSON.stringify({ keys: idp.keys }); }
    else { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => idp.server.listen(0, '127.0.0.1', () => r()));
  idp.url = `http://127.0.0.1:${(idp.server.address() as AddressInfo).port}`;
  return idp;
}

async function rsaKey(kid: string): Promise<{ kid: string; privateKey: KeyLike; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...await exportJWK(publicKey), kid, use: 'sig', alg: 'RS256' } };
}

describe('validate-jwt through real workers', () => {
  let idp: Idp;
  let backend: TestBackend;
  let gw: GatewayProcess;
  let k1: Awaited<ReturnType<typeof rsaKey>>;
  let k2: Awaited<ReturnType<typeof rsaKey>>;

  const token = (key: { kid: string; privateKey: KeyLike }, claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(`${idp.url}/`).setAudience((claims.aud as string | undefined) ?? 'api://orders').setIssuedAt().setExpirationTime('5m').sign(key.privateKey);

  const get = async (auth?: string) => {
    const res = await request(gw.url('/orders/list'), { headers: auth ? { authorization: auth } : {} });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  before(async () => {
    idp = await startIdp();
    [k1, k2] = await Promise.all([rsaKey('k1'), rsaKey('k2')]);
    idp.keys = [k1.jwk];
    backend = await startBackend((req, res) => {
      const body = JSON.stringify({ reached: true, authorization: req.headers.authorization ?? null });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      apis: [{
        id: 'orders', name: 'Orders', path: 'orders', serviceUrl: backend.url, subscriptionRequired: false,
        policies: `<policies><inbound><base />
          <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
            <openid-config url="${idp.url}/.well-known/openid-configuration" />
            <audiences><audience>api://orders</audience></audiences>
            <issuers><issuer>${idp.url}/</issuer></issuers>
          </validate-jwt>
        </inbound></policies>`,
        operations: [{ id: 'list', method: 'GET', urlTemplate: '/list' }],
      }],
    }, { workers: 2 });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
    await new Promise<void>((r) => { idp?.server.closeAllConnections(); idp?.server.close(() => r()); });
  });

  test('a valid RS256 token whose key comes from the OpenID configuration passes', async () => {
    const r = await get(`Bearer ${await token(k1)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.text).reached, true);
  });

  test('invalid and missing tokens get 401 with APIM\'s JSON shape and never reach the backend', async () => {
    const before = backend.seen.length;
    const forger = await rsaKey('k1'); // right kid, wrong key
    for (const auth of [`Bearer ${await token(forger)}`, `Bearer ${await token(k1, { aud: 'api://other' })}`, 'Bearer not-a-token']) {
      const r = await get(auth);
      assert.equal(r.status, 401, auth);
      assert.deepEqual(JSON.parse(r.text), { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' });
      assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_JWT_INVALID');
      assert.equal(r.headers['www-authenticate'], 'Bearer error="invalid_token"');
    }
    const missing = await get();
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['x-outpost-error'], 'OUTPOST_ERR_JWT_MISSING');
    assert.equal(backend.seen.length, before);
  });

  test('key rotation: a new kid triggers one refetch per worker; unknown kids do not hammer the provider', async () => {
    // Workers build an operation's policies when a request first reaches it there (validate-jwt
    // then loads its keys): warm both workers first, so only refetches are counted below. Until
    // each has loaded once (the earlier tests went over one keep-alive connection, so to one
    // worker): ten requests on new connections could all reach that same worker (1 in 1,024 with
    // an even spread), and the cold one's first load in the rotation, then its refetch for the
    // unknown kid (a first load does not start the cooldown), made three fetches (seen once in CI).
    const warm = await token(k1);
    for (let i = 0; i < 200 && idp.jwksFetches < 2; i++) {
      const res = await request(gw.url('/orders/list'), { headers: { authorization: `Bearer ${warm}`, connection: 'close' } });
      await res.body.dump();
    }
    assert.equal(idp.jwksFetches, 2, 'each of the 2 workers loaded its keys once');
    const fetchesBefore = idp.jwksFetches;
    idp.keys = [k1.jwk, k2.jwk];
    const rotated = await token(k2);
    // Sequential requests on several connections, so both workers are likely to see the new kid.
    for (let i = 0; i < 10; i++) {
      const res = await request(gw.url('/orders/list'), { headers: { authorization: `Bearer ${rotated}`, connection: i % 2 ? 'close' : 'keep-alive' } });
      const text = await res.body.text();
      assert.equal(res.statusCode, 200, text);
    }
    const refetches = idp.jwksFetches - fetchesBefore;
    assert.ok(refetches >= 1 && refetches <= 2, `expected one refetch per worker at most, got ${refetches}`);

    // Random kids: a worker refetches for an unknown kid at most once per 30 s, so across the
    // rotation and these 20 requests each of the 2 workers fetched at most once.
    const stranger = await rsaKey('k9');
    const bogus = await token(stranger);
    for (let i = 0; i < 20; i++) {
      const res = await request(gw.url('/orders/list'), { headers: { authorization: `Bearer ${bogus}`, connection: i % 2 ? 'close' : 'keep-alive' } });
      await res.body.dump();
      assert.equal(res.statusCode, 401);
    }
    assert.ok(idp.jwksFetches - fetchesBefore <= 2, `unknown kids must not hammer the provider: ${idp.jwksFetches - fetchesBefore} fetches`);
  });
});
