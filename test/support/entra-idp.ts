/**
 * A stand-in for Microsoft Entra ID on 127.0.0.1:0, for validate-azure-ad-token tests (tests never
 * reach Microsoft; OUTPOST_ENTRA_AUTHORITY points the gateway here). It serves a tenant's v2 OpenID
 * configuration (by tenant GUID and by domain, as Entra does) with Entra's own issuer text, and a
 * JWKS of RSA keys made here; `token()` signs tokens as Entra would (v2: azp, v1: appid and the
 * sts.windows.net issuer).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';
export const V2_ISSUER = `https://login.microsoftonline.com/${TENANT_ID}/v2.0`;
export const V1_ISSUER = `https://sts.windows.net/${TENANT_ID}/`;

export interface EntraIdp {
  /** The authority origin to put in OUTPOST_ENTRA_AUTHORITY. */
  url: string;
  jwksFetches: number;
  /** Signs a token with the served key; `version` picks the v1 or v2 claim shape. */
  token(claims: Record<string, unknown>, opts?: { version?: 1 | 2; key?: KeyLike; expiresIn?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startEntraIdp(): Promise<EntraIdp> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...await exportJWK(publicKey), kid: 'entra-key-1', use: 'sig', kty: 'RSA' };
  let url = '';
  const idp = { jwksFetches: 0 };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    let body: string | null = null;
    for (const tenant of [TENANT_ID, TENANT_DOMAIN]) {
      if (path === `/${tenant}/v2.0/.well-known/openid-configuration`) {
        body = JSON.stringify({ issuer: V2_ISSUER, jwks_uri: `${url}/${TENANT_ID}/discovery/v2.0/keys`, id_token_signing_alg_values_supported: ['RS256'] });
      }
    }
    if (path === `/${TENANT_ID}/discovery/v2.0/keys`) { idp.jwksFetches++; body = JSON.stringify({ keys: [jwk] }); }
    if (body === null) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get jwksFetches() { return idp.jwksFetches; },
    token(claims, opts = {}) {
      const v1 = opts.version === 1;
      const base = v1 ? { iss: V1_ISSUER, ver: '1.0', tid: TENANT_ID } : { iss: V2_ISSUER, ver: '2.0', tid: TENANT_ID };
      return new SignJWT({ sub: 'user-1', ...base, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'entra-key-1', typ: 'JWT' })
        .setIssuedAt().setNotBefore('-1m').setExpirationTime(opts.expiresIn ?? '5m').sign(opts.key ?? privateKey);
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
