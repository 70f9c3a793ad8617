/**
 * get-authorization-context: compile errors naming the attribute; the Authorization object as
 * policy expressions read it; per-request resolution with ignore-error; the config's
 * `authorizations` (schema, named values, environment); and the per-worker token source with an
 * injected clock against a token endpoint written here: refresh ahead of expiry in the
 * background, one call for concurrent waiters, a hold after a failure, refresh-token rotation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAuthorizationContext } from '../../src/gateway/policies/get-authorization-context.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, compileOne, newContext } from '../support/policy-harness.js';
import { evaluate } from '../support/cs-eval.js';
import { SharedCounters } from '../../src/gateway/pipeline/shared-counters.js';
import { AuthorizationDirectory } from '../../src/gateway/authorizations/authorization-directory.js';
import { compileAuthorizations, type CompiledAuthorization } from '../../src/gateway/authorizations/compile-authorizations.js';
import { RETRY_AFTER_FAILURE_MS, TokenSource } from '../../src/gateway/authorizations/token-source.js';
import { parseAnswer, TokenEndpointError } from '../../src/gateway/authorizations/token-endpoint.js';
import { AuthorizationValue } from '../../src/gateway/pipeline/expression/csharp/cs-authorization.js';
import { validateGatewayConfig, type ConfigProblem } from '../../src/shared/config-schema.js';
import { OutpostError } from '../../src/shared/errors.js';

const f = getAuthorizationContext as PolicyFactory<unknown>;
const XML = (attrs: string) => `<get-authorization-context ${attrs} />`;

function compiled(authorizations: unknown[], env: NodeJS.ProcessEnv = {}, namedValues: unknown[] = []): { list: CompiledAuthorization[]; problems: ConfigProblem[] } {
  const result = validateGatewayConfig({ authorizations, namedValues });
  if (!result.ok) return { list: [], problems: result.problems };
  const problems: ConfigProblem[] = [];
  return { list: compileAuthorizations(result.config, problems, env), problems };
}

function instance(attrs: string, directory: AuthorizationDirectory | undefined) {
  const services = { counters: new SharedCounters(SharedCounters.allocate(16)), now: Date.now, authorizations: directory };
  return f.create(compileOne(f, XML(attrs)), services);
}

describe('get-authorization-context: compile', () => {
  test('errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f, XML('authorization-id="a" context-variable-name="v"')), 'provider-id');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" context-variable-name="v"')), 'authorization-id');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" authorization-id="a"')), 'context-variable-name');
    assert.equal(compileErrorAttribute(f, XML(`provider-id="p" authorization-id="a" context-variable-name="${'x'.repeat(129)}"`)), 'context-variable-name');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" authorization-id="a" context-variable-name="v" identity-type="user"')), 'identity-type');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" authorization-id="a" context-variable-name="v" identity-type="jwt" identity="x"')), 'identity-type');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" authorization-id="a" context-variable-name="v" ignore-error="yes"')), 'ignore-error');
    assert.equal(compileErrorAttribute(f, XML('provider-id="@(context.Nope.Deeper)" authorization-id="a" context-variable-name="v"')), 'provider-id');
    assert.equal(compileErrorAttribute(f, XML('provider-id="p" authorization-id="a" context-variable-name="v" scope="x"')), 'scope');
  });

  test('only in inbound', () => {
    assert.deepEqual(f.sections, ['inbound']);
  });
});

describe('get-authorization-context: run', () => {
  const { list } = compiled([{ providerId: 'github-01', authorizationId: 'auth-01', accessToken: 'gho_static' }]);
  const directory = new AuthorizationDirectory(list, Date.now);

  test('a cached token is set synchronously, as an Authorization the corpus expression reads', () => {
    const ctx = newContext();
    const outcome = instance('provider-id="github-01" authorization-id="auth-01" context-variable-name="auth-context" identity-type="managed"', directory).run(ctx);
    assert.equal(outcome, CONTINUE);
    assert.ok(ctx.variable('auth-context') instanceof AuthorizationValue);
    assert.equal(evaluate('"Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken', ctx), 'Bearer gho_static');
    assert.equal(evaluate('((Authorization)context.Variables["auth-context"]).Claims.Count', ctx), 0);
  });

  test('a null variable casts to null and ?. gives null (what ignore-error leaves)', () => {
    const ctx = newContext();
    assert.equal(instance('provider-id="github-01" authorization-id="other" context-variable-name="auth-context" ignore-error="true"', directory).run(ctx), CONTINUE);
    assert.equal(ctx.variable('auth-context'), null);
    assert.equal(evaluate('((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken == null', ctx), true);
  });

  test('ids, variable name and ignore-error from expressions, per request', () => {
    const run = instance('provider-id=\'@(context.Request.Headers["p"][0])\' authorization-id=\'@(context.Request.Headers["a"][0])\' context-variable-name=\'@("v-" + "1")\' ignore-error=\'@(context.Request.Headers.ContainsKey("soft"))\'', directory);
    const ok = newContext({ headers: ['p', 'github-01', 'a', 'auth-01'] });
    assert.equal(run.run(ok), CONTINUE);
    assert.equal((ok.variable('v-1') as AuthorizationValue).accessToken, 'gho_static');
    const unknown = newContext({ headers: ['p', 'github-01', 'a', 'nope'] });
    assert.throws(() => run.run(unknown), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_AUTHORIZATION_NOT_FOUND');
    const soft = newContext({ headers: ['p', 'github-01', 'a', 'nope', 'soft', '1'] });
    assert.equal(run.run(soft), CONTINUE);
    assert.equal(soft.variable('v-1'), null);
  });

  test('without any authorizations configured: not found', () => {
    assert.throws(() => instance('provider-id="p" authorization-id="a" context-variable-name="v"', undefined).run(newContext()),
      (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_AUTHORIZATION_NOT_FOUND');
  });
});

describe('authorizations config', () => {
  const oauth = { tokenUrl: 'https://login.example.com/token', clientId: 'c', clientSecret: 's' };

  test('exactly one source; secrets as the grant needs them; unique pairs; named values exist', () => {
    const paths = (list: unknown[], named: unknown[] = []) => compiled(list, {}, named).problems.map((p) => p.path);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a' }]), ['authorizations[0]']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', accessToken: 't', oauth2: oauth }]), ['authorizations[0]']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', oauth2: { ...oauth, grantType: 'refresh_token' } }]), ['authorizations[0].oauth2.refreshToken']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', oauth2: { ...oauth, clientSecret: undefined } }]), ['authorizations[0].oauth2.clientSecret']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', oauth2: { ...oauth, tokenUrl: 'ftp://x' } }]), ['authorizations[0].oauth2.tokenUrl']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', oauth2: { ...oauth, parameters: { grant_type: 'x' } } }]), ['authorizations[0].oauth2.parameters.grant_type']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', accessToken: 't' }, { providerId: 'p', authorizationId: 'a', accessToken: 'u' }]), ['authorizations[1].authorizationId']);
    assert.deepEqual(paths([{ providerId: 'p', authorizationId: 'a', accessToken: '{{missing}}' }]), ['authorizations[0].accessToken']);
    assert.deepEqual(paths([{ providerId: 'p q', authorizationId: 'a', accessToken: 't' }]), ['authorizations[0].providerId']);
  });

  test('named values are filled in and environment variables read when compiled; an unset one is a problem that names the field, not the secret', () => {
    const named = [{ name: 'pat', value: 'from-named-value', secret: true }];
    const ok = compiled([
      { providerId: 'p', authorizationId: 'a', accessToken: '{{pat}}' },
      { providerId: 'p', authorizationId: 'b', accessTokenEnv: 'TOKEN_B' },
      { providerId: 'p', authorizationId: 'c', oauth2: { tokenUrl: 'https://x/token', clientId: 'c', clientSecretEnv: 'SECRET_C' } },
    ], { TOKEN_B: 'from-env', SECRET_C: 'secret-c' }, named);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.list.map((a) => a.accessToken), ['from-named-value', 'from-env', null]);
    assert.equal(ok.list[2].oauth2?.clientSecret, 'secret-c');
    const missing = compiled([{ providerId: 'p', authorizationId: 'b', accessTokenEnv: 'TOKEN_B' }], {});
    assert.deepEqual(missing.problems.map((p) => p.path), ['authorizations[0].accessTokenEnv']);
    assert.deepEqual(missing.list, []);
  });
});

describe('token endpoint answers', () => {
  test('expires_in as a number or a string, else the default; claims without the tokens; a "__proto__" field is a claim', () => {
    const a = parseAnswer('{"access_token":"t","token_type":"Bearer","expires_in":"120","refresh_token":"r","__proto__":{"x":1}}', 5000, 'x');
    assert.equal(a.lifetimeMs, 120_000);
    assert.equal(a.refreshToken, 'r');
    assert.deepEqual([...a.claims.keys()].sort(), ['__proto__', 'expires_in', 'token_type']);
    assert.equal(parseAnswer('{"access_token":"t"}', 5000, 'x').lifetimeMs, 5000);
  });

  test('no access_token, or not JSON, or a token that is no header value: refused', () => {
    for (const text of ['{"token_type":"Bearer"}', 'not json', '[1]', '{"access_token":"a b"}', `{"access_token":"${'a'.repeat(20_000)}"}`]) {
      assert.throws(() => parseAnswer(text, 1000, 'x'), TokenEndpointError, text.slice(0, 40));
    }
  });
});

describe('token source (injected clock)', () => {
  let server: Server;
  let url = '';
  const calls: URLSearchParams[] = [];
  let status = 200;
  let issued = 0;
  /** Answers are held until released, so a test sees a fetch in flight. */
  let hold: Promise<void> = Promise.resolve();

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        calls.push(new URLSearchParams(body));
        void hold.then(() => {
          if (status !== 200) { res.writeHead(status); res.end('{"error":"invalid_client"}'); return; }
          issued++;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: `t${issued}`, expires_in: 100, refresh_token: `r${issued}` }));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  function source(grant: Record<string, unknown>, clock: { t: number }): TokenSource {
    const { list, problems } = compiled([{ providerId: 'p', authorizationId: `a${Math.random()}`.replace('.', ''), oauth2: { tokenUrl: url, clientId: 'c', clientSecret: 's', refreshMarginSeconds: 10, ...grant } }]);
    assert.deepEqual(problems, []);
    return new TokenSource(list[0], () => clock.t);
  }

  test('concurrent waiters share one call; cached until the margin; inside it the old token is served while one refresh runs; expired: wait', async () => {
    calls.length = 0;
    const clock = { t: 1_000_000 };
    const s = source({}, clock);
    const a = s.get();
    const b = s.get();
    assert.ok(a instanceof Promise && b === a);
    const first = await a;
    assert.equal(calls.length, 1);
    clock.t += 80_000; // before the margin (expires at +100 s, margin 10 s)
    assert.equal(s.get(), first);
    assert.equal(calls.length, 1);
    let release!: () => void;
    hold = new Promise<void>((r) => { release = r; });
    clock.t += 15_000; // inside the margin
    assert.equal(s.get(), first);
    assert.equal(s.get(), first);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls.length, 2, 'one background refresh');
    release();
    hold = Promise.resolve();
    while (s.get() === first) await new Promise((r) => setTimeout(r, 10));
    const second = s.get() as AuthorizationValue;
    assert.notEqual(second.accessToken, first.accessToken);
    clock.t += 200_000; // expired
    const third = s.get();
    assert.ok(third instanceof Promise);
    assert.notEqual((await third).accessToken, second.accessToken);
    assert.equal(calls.length, 3);
    assert.equal(calls[0].get('grant_type'), 'client_credentials');
  });

  test('a failed call holds further calls for a second; then it tries again', async () => {
    calls.length = 0;
    status = 401;
    const clock = { t: 5_000_000 };
    const s = source({}, clock);
    await assert.rejects(s.get() as Promise<AuthorizationValue>, /HTTP 401 \(invalid_client\)/);
    await assert.rejects(s.get() as Promise<AuthorizationValue>, TokenEndpointError);
    assert.equal(calls.length, 1);
    clock.t += RETRY_AFTER_FAILURE_MS;
    status = 200;
    assert.ok((await s.get()) instanceof AuthorizationValue);
    assert.equal(calls.length, 2);
  });

  test('refresh-token grant: the rotated refresh token is the one sent next', async () => {
    calls.length = 0;
    const clock = { t: 9_000_000 };
    const s = source({ grantType: 'refresh_token', refreshToken: 'r-initial' }, clock);
    await s.get();
    clock.t += 500_000;
    await s.get();
    assert.deepEqual(calls.map((c) => [c.get('grant_type'), c.get('refresh_token')]), [['refresh_token', 'r-initial'], ['refresh_token', `r${issued - 1}`]]);
  });
});
