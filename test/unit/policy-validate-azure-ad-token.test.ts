/**
 * validate-azure-ad-token against a local stand-in for Entra ID (test/support/entra-idp.ts; the
 * policy finds it through OUTPOST_ENTRA_AUTHORITY): v2 and v1 tokens of the tenant pass; another
 * issuer, client application, audience, a missing required claim, an expired token or another
 * key are refused with the configured status and APIM's JSON shape; the token is read from
 * Authorization (Bearer), a custom header (bare), the query or a token-value expression;
 * output-token-variable-name holds the Jwt. Compile errors name the attribute. Configs go through
 * msgpack, as they do in the table.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { generateKeyPair } from 'jose';
import { validateAzureAdToken, type AzureAdTokenConfig } from '../../src/gateway/policies/validate-azure-ad-token.js';
import { ENTRA_AUTHORITY_ENV, parseTenant, tenantIssuers, entraAuthority } from '../../src/gateway/policies/entra-tenant.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';
import { Jwt } from '../../src/gateway/pipeline/expression/csharp/cs-values.js';
import { startEntraIdp, TENANT_DOMAIN, TENANT_ID, V1_ISSUER, V2_ISSUER, type EntraIdp } from '../support/entra-idp.js';

const CLIENT = '11111111-2222-3333-4444-555555555555';
const API = 'api://orders';
const services = { counters: { hit: () => 1 }, gauges: { acquire: () => 0, release: () => undefined }, now: () => Date.now() } as unknown as WorkerServices;

function compile(xml: string): AzureAdTokenConfig {
  const doc = parsePolicyDocument(`<policies><inbound>${xml}</inbound></policies>`, 'api "t"');
  const el = doc.inbound![0];
  return validateAzureAdToken.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}

function compileError(xml: string): PolicyCompileError {
  try { compile(xml); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err; }
  assert.fail('expected a compile error');
}

async function run(xml: string, headers: string[], query = '') {
  const instance = validateAzureAdToken.create(unpack(pack(compile(xml))) as AzureAdTokenConfig, services);
  const ctx = new RequestContext('GET', '/x', query, ['host', 'b', ...headers], '10.0.0.1', 'a', 'o', {});
  const outcome = await instance.run(ctx);
  const r = ctx.response;
  return { outcome, ctx, status: r?.status ?? null, body: r ? JSON.parse(String(r.body)) as unknown : null,
    code: r ? r.headers[r.headers.indexOf('x-outpost-error') + 1] : null, wwwAuth: r ? r.headers[r.headers.indexOf('www-authenticate') + 1] : null };
}

const bearer = (token: string) => ['authorization', `Bearer ${token}`];
const policy = (attrs = '', children = `<client-application-ids><application-id>${CLIENT}</application-id></client-application-ids>`) =>
  `<validate-azure-ad-token tenant-id="${TENANT_ID}" ${attrs}>${children}</validate-azure-ad-token>`;

describe('validate-azure-ad-token', () => {
  let idp: EntraIdp;
  const savedAuthority = process.env[ENTRA_AUTHORITY_ENV];
  before(async () => {
    idp = await startEntraIdp();
    process.env[ENTRA_AUTHORITY_ENV] = idp.url;
  });
  after(async () => {
    if (savedAuthority === undefined) delete process.env[ENTRA_AUTHORITY_ENV]; else process.env[ENTRA_AUTHORITY_ENV] = savedAuthority;
    await idp.close();
  });

  test('a v2 token of the tenant from the client application passes; claims and the output variable are set', async () => {
    const r = await run(policy('output-token-variable-name="jwt"'), bearer(await idp.token({ azp: CLIENT, aud: API, roles: ['Reader'] })));
    assert.equal(r.outcome, CONTINUE, JSON.stringify(r.body));
    assert.equal(r.ctx.claim('azp'), CLIENT);
    const jwt = r.ctx.variable('jwt');
    assert.ok(jwt instanceof Jwt, 'the variable holds the Jwt (as AsJwt() gives it)');
    assert.equal(jwt.claims.azp, CLIENT);
    assert.ok(idp.jwksFetches >= 1, 'the keys came from the tenant\'s jwks_uri');
  });

  test('a v1 token (sts.windows.net issuer, appid) passes; the tenant may be named by domain or https URL', async () => {
    const token = await idp.token({ appid: CLIENT, aud: API }, { version: 1 });
    for (const tenant of [TENANT_DOMAIN, `https://${TENANT_DOMAIN}`]) {
      const xml = `<validate-azure-ad-token tenant-id="${tenant}"><client-application-ids><application-id>${CLIENT}</application-id></client-application-ids><audiences><audience>${API}</audience></audiences></validate-azure-ad-token>`;
      const r = await run(xml, bearer(token));
      assert.equal(r.outcome, CONTINUE, `${tenant}: ${JSON.stringify(r.body)}`);
    }
  });

  test('refusals: another tenant\'s issuer, another client, another audience, a missing claim, expired, another key', async () => {
    const other = await generateKeyPair('RS256');
    const withAudience = policy('', `<client-application-ids><application-id>${CLIENT}</application-id></client-application-ids><audiences><audience>${API}</audience></audiences>
      <required-claims><claim name="roles" match="any"><value>Admin</value><value>Writer</value></claim></required-claims>`);
    const good = { azp: CLIENT, aud: API, roles: ['Writer'] };
    assert.equal((await run(withAudience, bearer(await idp.token(good)))).outcome, CONTINUE);
    const cases: Array<[string, Promise<string>]> = [
      ['other tenant v2', idp.token({ ...good, iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0' })],
      ['other tenant v1', idp.token({ ...good, iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/' })],
      ['v1 issuer without its slash', idp.token({ ...good, iss: V1_ISSUER.slice(0, -1) })],
      ['other client', idp.token({ ...good, azp: 'someone-else' })],
      ['no client claim', idp.token({ aud: API, roles: ['Writer'] })],
      ['other audience', idp.token({ ...good, aud: 'api://billing' })],
      ['claim value missing', idp.token({ ...good, roles: ['Reader'] })],
      ['expired', idp.token(good, { expiresIn: '-1m' })],
      ['another key', idp.token(good, { key: other.privateKey })],
    ];
    for (const [title, token] of cases) {
      const r = await run(withAudience, bearer(await token));
      assert.equal(r.outcome, RESPOND, title);
      assert.equal(r.status, 401, title);
      assert.equal(r.code, 'OUTPOST_ERR_JWT_INVALID', title);
      assert.deepEqual(r.body, { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' }, title);
      assert.equal(r.wwwAuth, 'Bearer error="invalid_token"', title);
    }
  });

  test('no token: 401 "JWT not present." (APIM\'s message); a configured status and message replace it', async () => {
    const r = await run(policy(), []);
    assert.equal(r.code, 'OUTPOST_ERR_JWT_MISSING');
    assert.deepEqual(r.body, { statusCode: 401, message: 'JWT not present.' });
    assert.equal(r.wwwAuth, 'Bearer');
    const custom = await run(policy('failed-validation-httpcode="403" failed-validation-error-message="Entra token required"'), bearer('not.a.token'));
    assert.equal(custom.status, 403);
    assert.deepEqual(custom.body, { statusCode: 403, message: 'Entra token required' });
  });

  test('the token from a custom header (bare), the query, or a token-value expression', async () => {
    const token = await idp.token({ azp: CLIENT });
    assert.equal((await run(policy('header-name="X-Entra"'), ['x-entra', token])).outcome, CONTINUE);
    const prefixed = await run(policy('header-name="X-Entra"'), ['x-entra', `Bearer ${token}`]);
    assert.equal(prefixed.code, 'OUTPOST_ERR_JWT_INVALID', 'a custom header carries the bare token, as APIM documents');
    assert.equal((await run(policy('query-parameter-name="access_token"'), [], `access_token=${token}`)).outcome, CONTINUE);
    const expr = policy('token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Token&quot;, &quot;&quot;))"');
    assert.equal((await run(expr, ['x-token', token])).outcome, CONTINUE);
    assert.equal((await run(expr, [])).code, 'OUTPOST_ERR_JWT_MISSING');
  });

  test('compile errors name the attribute', () => {
    const cases: Array<[string, string, string | null]> = [
      ['no tenant', '<validate-azure-ad-token><audiences><audience>a</audience></audiences></validate-azure-ad-token>', 'tenant-id'],
      ['multi-tenant', policy().replace(TENANT_ID, 'common'), 'tenant-id'],
      ['not a tenant', policy().replace(TENANT_ID, 'corpus value'), 'tenant-id'],
      ['two token sources', policy('header-name="X-A" query-parameter-name="t"'), 'query-parameter-name'],
      ['nothing to check', `<validate-azure-ad-token tenant-id="${TENANT_ID}" />`, null],
      ['decryption keys', policy('', '<decryption-keys><key>abc</key></decryption-keys>'), null],
      ['other cloud', policy('authentication-endpoint="https://login.chinacloudapi.cn"'), 'authentication-endpoint'],
      ['bad variable name', policy(`output-token-variable-name="${'x'.repeat(129)}"`), 'output-token-variable-name'],
      ['bad status', policy('failed-validation-httpcode="200"'), 'failed-validation-httpcode'],
      ['unknown attribute', policy('colour="red"'), 'colour'],
      ['bad claim match', policy('', '<audiences><audience>a</audience></audiences><required-claims><claim name="r" match="some" /></required-claims>'), 'match'],
    ];
    for (const [title, xml, attribute] of cases) assert.equal(compileError(xml).attribute, attribute, title);
  });

  test('tenant and issuer rules', () => {
    assert.equal(parseTenant(' Contoso.OnMicrosoft.com '), 'contoso.onmicrosoft.com');
    assert.equal(parseTenant(TENANT_ID.toUpperCase()), TENANT_ID);
    assert.ok(typeof parseTenant('https://contoso.onmicrosoft.com/path') !== 'string');
    assert.ok(typeof parseTenant('organizations') !== 'string');
    assert.deepEqual(tenantIssuers(V2_ISSUER, TENANT_ID), [V2_ISSUER, V1_ISSUER]);
    assert.deepEqual(tenantIssuers(V2_ISSUER, TENANT_DOMAIN), [V2_ISSUER, V1_ISSUER]);
    assert.deepEqual(tenantIssuers(V2_ISSUER, '00000000-0000-0000-0000-000000000001'), [], 'a document naming another tenant accepts nothing');
    assert.deepEqual(tenantIssuers('https://login.microsoftonline.com/{tenantid}/v2.0', TENANT_DOMAIN), [], 'a multi-tenant template issuer accepts nothing');
    assert.deepEqual(tenantIssuers(null, TENANT_ID), []);
    assert.equal(entraAuthority({}), 'https://login.microsoftonline.com');
    assert.equal(entraAuthority({ [ENTRA_AUTHORITY_ENV]: 'http://127.0.0.1:8/mirror/' }), 'http://127.0.0.1:8/mirror');
    assert.ok(typeof entraAuthority({ [ENTRA_AUTHORITY_ENV]: 'ftp://x' }) !== 'string');
  });
});
