/**
 * get-authorization-context end to end through a real gateway (one worker, so token-endpoint call
 * counts are exact): an OAuth 2.0 token endpoint written here (client-credentials grant) gives
 * the tokens; the backend sees `Authorization: Bearer <token>` set by the corpus' own expression;
 * N requests make one call to the token endpoint; an expired token is fetched again; ids from
 * request headers (as the AI-Gateway MCP labs do); an unknown authorization and a failing token
 * endpoint answer 500 coded, or go through on-error where LastError.Source names the policy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

interface TokenCall { path: string; authorization: string | undefined; form: URLSearchParams }

/** An authorization server: /long gives hour-long tokens, /short one-second ones, /fail answers 500. */
async function startTokenEndpoint(): Promise<{ url: string; calls: TokenCall[]; close(): Promise<void> }> {
  const calls: TokenCall[] = [];
  let issued = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      calls.push({ path: req.url ?? '', authorization: req.headers.authorization, form: new URLSearchParams(body) });
      if (req.url === '/fail') { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":"server_error"}'); return; }
      const answer = { access_token: `tok-${++issued}`, token_type: 'Bearer', expires_in: req.url === '/short' ? 1 : 3600, scope: 'api.read', ext_tenant: 'corp' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** The corpus' documents set the header exactly so (111, 112, 115, 173). */
const BEARER = `<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)</value></set-header>`;

function policy(getAuth: string, rest = BEARER, onError = ''): string {
  return `<policies><inbound><base />${getAuth}${rest}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base />${onError}</on-error></policies>`;
}

describe('get-authorization-context', () => {
  let idp: Awaited<ReturnType<typeof startTokenEndpoint>>;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    idp = await startTokenEndpoint();
    backend = await startBackend(echoHandler);
    const oauth = (path: string, extra: Record<string, unknown> = {}) => ({ tokenUrl: `${idp.url}${path}`, clientId: 'gw client', clientSecret: '{{idp-secret}}', ...extra });
    gw = await startGateway({
      namedValues: [{ name: 'idp-secret', value: 's3cret:/+', secret: true }],
      authorizations: [
        { providerId: 'idp', authorizationId: 'long', oauth2: oauth('/long', { scope: 'api.read' }) },
        { providerId: 'idp', authorizationId: 'short', oauth2: { tokenUrl: `${idp.url}/short`, clientId: 'gw', clientSecretEnv: 'TEST_IDP_SECRET', clientAuthentication: 'body' } },
        { providerId: 'idp', authorizationId: 'broken', oauth2: oauth('/fail') },
        { providerId: 'static', authorizationId: 'pat', accessToken: 'static-token' },
      ],
      apis: [{
        id: 'mcp', name: 'MCP', path: 'mcp', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'long', method: 'GET', urlTemplate: '/long', policies: policy('<get-authorization-context provider-id="idp" authorization-id="long" context-variable-name="auth-context" identity-type="managed" ignore-error="false" />') },
          { id: 'short', method: 'GET', urlTemplate: '/short', policies: policy('<get-authorization-context provider-id="idp" authorization-id="short" context-variable-name="auth-context" />') },
          { id: 'dynamic', method: 'GET', urlTemplate: '/dynamic', policies: policy(`<get-authorization-context provider-id='@(context.Request.Headers["providerId"][0])' authorization-id='@(context.Request.Headers["authorizationId"][0])' context-variable-name='auth-context' identity-type='managed' ignore-error='false' />`) },
          { id: 'claims', method: 'GET', urlTemplate: '/claims', policies: policy('<get-authorization-context provider-id="idp" authorization-id="long" context-variable-name="a" />',
            '<return-response><set-status code="200" /><set-body>@{ var a = (Authorization)context.Variables["a"]; return a.Claims["scope"] + "|" + a.Claims["ext_tenant"] + "|" + a.Claims["expires_in"]; }</set-body></return-response>') },
          { id: 'static', method: 'GET', urlTemplate: '/static', policies: policy('<get-authorization-context provider-id="static" authorization-id="pat" context-variable-name="auth-context" />') },
          { id: 'broken', method: 'GET', urlTemplate: '/broken', policies: policy('<get-authorization-context provider-id="idp" authorization-id="broken" context-variable-name="auth-context" ignore-error="false" />') },
          // As the Spotify sample (173): on-error tells the policy's failure by context.LastError.Source.
          { id: 'broken-handled', method: 'GET', urlTemplate: '/broken-handled', policies: policy('<get-authorization-context provider-id="idp" authorization-id="broken" context-variable-name="auth-context" />', BEARER,
            '<choose><when condition="@(context.LastError.Source == &quot;get-authorization-context&quot;)"><set-status code="401" reason="OAuth Authorization Failed" /><set-body>oauth_authorization_failed</set-body></when></choose>') },
          { id: 'ignored', method: 'GET', urlTemplate: '/ignored', policies: policy('<get-authorization-context provider-id="idp" authorization-id="nope" context-variable-name="auth-context" ignore-error="true" />',
            '<set-header name="X-Has-Token" exists-action="override"><value>@((context.Variables.GetValueOrDefault("auth-context") == null).ToString())</value></set-header>') },
        ],
      }],
    }, { workers: 1, env: { TEST_IDP_SECRET: 'env-secret' } });
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
    await idp?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(gw.url(path), { headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const seenAuthorization = (text: string): string | undefined => (JSON.parse(text) as { headers: Record<string, string> }).headers.authorization;
  const callsTo = (path: string) => idp.calls.filter((c) => c.path === path);

  test('the backend gets the Bearer token; N requests (concurrent, then sequential) make one token call', async () => {
    const first = await Promise.all(Array.from({ length: 5 }, () => get('/mcp/long')));
    for (const r of first) { assert.equal(r.status, 200); assert.equal(seenAuthorization(r.text), 'Bearer tok-1'); }
    for (let i = 0; i < 5; i++) assert.equal(seenAuthorization((await get('/mcp/long')).text), 'Bearer tok-1');
    const calls = callsTo('/long');
    assert.equal(calls.length, 1);
    // Client credentials grant, the client authenticated with HTTP Basic (form-urlencoded id and secret, RFC 6749 2.3.1).
    assert.equal(calls[0].form.get('grant_type'), 'client_credentials');
    assert.equal(calls[0].form.get('scope'), 'api.read');
    assert.equal(calls[0].form.get('client_secret'), null);
    assert.equal(calls[0].authorization, `Basic ${Buffer.from('gw%20client:s3cret%3A%2F%2B').toString('base64')}`);
  });

  test('Claims hold the token response\'s fields', async () => {
    const r = await get('/mcp/claims');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'api.read|corp|3600');
  });

  test('an expired token is fetched again (client secret from the environment, in the body)', async () => {
    const one = seenAuthorization((await get('/mcp/short')).text);
    assert.match(one ?? '', /^Bearer tok-\d+$/);
    await sleep(1_300); // the token lives one second
    const two = seenAuthorization((await get('/mcp/short')).text);
    assert.match(two ?? '', /^Bearer tok-\d+$/);
    assert.notEqual(two, one);
    const calls = callsTo('/short');
    assert.equal(calls.length, 2);
    assert.equal(calls[0].form.get('client_id'), 'gw');
    assert.equal(calls[0].form.get('client_secret'), 'env-secret');
    assert.equal(calls[0].authorization, undefined);
  });

  test('ids from request headers are resolved per request; an unknown pair answers 500 coded', async () => {
    const r = await get('/mcp/dynamic', { providerId: 'idp', authorizationId: 'long' });
    assert.equal(seenAuthorization(r.text), 'Bearer tok-1');
    assert.equal(callsTo('/long').length, 1);
    assert.equal(seenAuthorization((await get('/mcp/dynamic', { providerId: 'static', authorizationId: 'pat' })).text), 'Bearer static-token');
    const unknown = await get('/mcp/dynamic', { providerId: 'idp', authorizationId: 'other' });
    assert.equal(unknown.status, 500);
    assert.equal(unknown.headers['x-outpost-error'], 'OUTPOST_ERR_AUTHORIZATION_NOT_FOUND');
  });

  test('a static token needs no endpoint', async () => {
    assert.equal(seenAuthorization((await get('/mcp/static')).text), 'Bearer static-token');
  });

  test('a failing token endpoint: 500 coded, retried no more than once a second; on-error sees the policy as LastError.Source', async () => {
    const before = callsTo('/fail').length;
    const r = await get('/mcp/broken');
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_AUTHORIZATION_FAILED');
    assert.equal(backend.seen.filter((s) => s.url === '/broken').length, 0);
    const handled = await get('/mcp/broken-handled');
    assert.equal(handled.status, 401);
    assert.equal(handled.text, 'oauth_authorization_failed');
    // Both requests share the authorization: the second came within the hold after the first failure.
    assert.ok(callsTo('/fail').length - before <= 2);
  });

  test('ignore-error="true": the variable is null and the request goes on', async () => {
    const r = await get('/mcp/ignored');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.text) as { headers: Record<string, string> }).headers['x-has-token'], 'True');
  });
});
