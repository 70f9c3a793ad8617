/**
 * The case table of the policy conformance suite: for each policy, a valid config (YAML form),
 * the sections it may be placed in, runs with their expected outcome, and bad configs with the
 * attribute the error must name (null: the element itself).
 */
import assert from 'node:assert/strict';
import { CONTINUE, FAIL, RESPOND, type Outcome, type Section } from '../../src/gateway/pipeline/phases.js';
import type { RequestContext } from '../../src/gateway/pipeline/context.js';
import { createHmac } from 'node:crypto';

// validate-azure-ad-token fetches its tenant's keys when created: never from Microsoft in tests
// (a closed local port; its runs here need no keys).
process.env.OUTPOST_ENTRA_AUTHORITY ??= 'http://127.0.0.1:9';

const JWT_SECRET = Buffer.from('conformance-secret-at-least-32-bytes-long');
/** A compact HS256 JWT, signed synchronously (setup hooks are synchronous). */
function hs256(claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
}

export interface PolicyRun {
  title: string;
  section: Section;
  yaml?: Record<string, unknown>;
  setup?: (ctx: RequestContext) => void;
  expect: Outcome;
  check?: (ctx: RequestContext) => void;
}

export interface PolicyCase {
  name: string;
  yaml: Record<string, unknown>;
  sections: Section[];
  runs: PolicyRun[];
  bad: Array<{ yaml: Record<string, unknown>; attribute: string | null }>;
}

const ALL: Section[] = ['inbound', 'backend', 'outbound', 'on-error'];

export const POLICY_CASES: PolicyCase[] = [
  {
    name: 'emit-metric', yaml: { name: 'Request', namespace: 'my-metrics', value: '@(1.5)', dimension: [{ name: 'API ID' }, { name: 'Client IP', value: '@(context.Request.IpAddress)' }] }, sections: ALL,
    runs: [
      { title: 'adds its value and goes on', section: 'inbound', expect: CONTINUE },
      { title: 'value defaults to 1', section: 'outbound', yaml: { name: 'Calls', dimension: [{ name: 'Operation ID' }] }, expect: CONTINUE },
    ],
    bad: [
      { yaml: { value: '1' }, attribute: 'name' },
      { yaml: { name: 'n', value: 'lots' }, attribute: 'value' },
      { yaml: { name: 'n', dimension: [{ name: 'Colour' }] }, attribute: 'value' },
      // Not a default dimension although an object has such a property: needs its value.
      { yaml: { name: 'n', dimension: [{ name: 'constructor' }] }, attribute: 'value' },
      { yaml: { name: 'n', dimension: [{ name: 'API ID' }, { name: 'api-id', value: 'x' }] }, attribute: 'name' },
      { yaml: { name: 'n', dimension: Array.from({ length: 11 }, (_, i) => ({ name: `d${i}`, value: 'v' })) }, attribute: null },
    ],
  },
  {
    name: 'trace', yaml: { source: 'orders', severity: 'information', message: { text: '@("tier " + context.Request.Headers.GetValueOrDefault("x-tier", "none"))' }, metadata: [{ name: 'api', value: '@(context.Api.Id)' }] }, sections: ALL,
    runs: [
      { title: 'writes its line and goes on', section: 'inbound', expect: CONTINUE },
      { title: 'in on-error too', section: 'on-error', yaml: { source: 's', message: { text: 'failed' } }, expect: CONTINUE },
    ],
    bad: [
      { yaml: { message: { text: 'm' } }, attribute: 'source' },
      { yaml: { source: 's', severity: 'loud', message: { text: 'm' } }, attribute: 'severity' },
      { yaml: { source: 's', message: { text: 'm' }, colour: 'red' }, attribute: 'colour' },
      { yaml: { source: 's', message: { text: '@(context.Nope)' } }, attribute: 'message' },
    ],
  },
  {
    name: 'set-variable', yaml: { name: 'tier', value: '@(context.Request.Headers.GetValueOrDefault("x-tier", "none"))' }, sections: ALL,
    runs: [
      { title: 'stores the expression\'s value', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('tier'), 'none') },
      { title: 'keeps a constant as a string', section: 'outbound', yaml: { name: 'n', value: '42' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('n'), '42') },
      { title: 'keeps an expression\'s type', section: 'on-error', yaml: { name: 'n', value: '@(40 + 2)' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('n'), 42) },
    ],
    bad: [
      { yaml: { name: 'bad\nname', value: 'v' }, attribute: 'name' },
      { yaml: { name: 'x' }, attribute: 'value' },
      { yaml: { name: 'x', value: '@(context.Nope)' }, attribute: 'value' },
      { yaml: { name: 'x', value: 'v', colour: 'red' }, attribute: 'colour' },
    ],
  },
  {
    name: 'set-header', yaml: { name: 'X-Out', value: 'v' }, sections: ALL,
    runs: [
      { title: 'adds a request header', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('x-out'), 'v') },
      { title: 'deletes a request header', section: 'inbound', yaml: { name: 'X-In', 'exists-action': 'delete' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('x-in'), null) },
      { title: 'sets a response header', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.deepEqual(ctx.response!.headers, ['x-out', 'v']) },
    ],
    bad: [
      { yaml: { name: 'X', 'exists-action': 'replace', value: 'v' }, attribute: 'exists-action' },
      { yaml: { name: 'bad name', value: 'v' }, attribute: 'name' },
      { yaml: { name: 'X', value: 'v', colour: 'red' }, attribute: 'colour' },
      { yaml: { name: 'X' }, attribute: null },
    ],
  },
  {
    name: 'set-status', yaml: { code: 418, reason: 'Teapot' }, sections: ['outbound', 'on-error'],
    runs: [{ title: 'sets the status', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.response!.status, 418) }],
    bad: [{ yaml: { code: 99 }, attribute: 'code' }, { yaml: { reason: 'x' }, attribute: 'code' }],
  },
  {
    name: 'return-response', yaml: { 'set-status': { code: 202 }, 'set-body': 'done' }, sections: ALL,
    runs: [{ title: 'answers', section: 'inbound', expect: RESPOND, check: (ctx) => { assert.equal(ctx.response!.status, 202); assert.equal(ctx.response!.body, 'done'); } }],
    bad: [{ yaml: { 'response-variable-name': ' padded' }, attribute: 'response-variable-name' }, { yaml: { 'set-status': { code: 'x' } }, attribute: 'code' }],
  },
  {
    name: 'mock-response', yaml: { 'status-code': 200, body: '{}' }, sections: ALL,
    runs: [{ title: 'answers with JSON', section: 'inbound', expect: RESPOND, check: (ctx) => assert.deepEqual(ctx.response!.headers, ['content-type', 'application/json']) }],
    bad: [{ yaml: { 'status-code': 700 }, attribute: 'status-code' }],
  },
  {
    name: 'rate-limit', yaml: { calls: 1, 'renewal-period': 300 }, sections: ['inbound'],
    runs: [
      { title: 'first call passes', section: 'inbound', yaml: { calls: 1, 'renewal-period': 299 }, expect: CONTINUE },
      { title: 'remaining-calls-variable-name: the calls left as an int', section: 'inbound', yaml: { calls: 5, 'renewal-period': 297, 'remaining-calls-variable-name': 'left' },
        expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('left'), 4) },
    ],
    bad: [
      { yaml: { calls: 0, 'renewal-period': 10 }, attribute: 'calls' }, { yaml: { calls: 5 }, attribute: 'renewal-period' },
      // APIM's maximum: longer periods are quota's job.
      { yaml: { calls: 5, 'renewal-period': 301 }, attribute: 'renewal-period' },
      { yaml: { calls: 5, 'renewal-period': 10, scope: 'cluster' }, attribute: 'scope' },
      { yaml: { calls: 5, 'renewal-period': 10, scope: 'fleet', 'fail-mode': 'maybe' }, attribute: 'fail-mode' },
      { yaml: { calls: 5, 'renewal-period': 10, 'remaining-calls-variable-name': 'a\tb' }, attribute: 'remaining-calls-variable-name' },
    ],
  },
  {
    name: 'rate-limit-by-key', yaml: { calls: 1, 'renewal-period': 300, 'counter-key': 'ip' }, sections: ['inbound'],
    runs: [
      { title: 'first hit for a header key passes and reports what remains', section: 'inbound',
        yaml: { calls: 3, 'renewal-period': 298, 'counter-key': 'header:x-in', 'remaining-calls-header-name': 'x-remaining' },
        expect: CONTINUE, check: (ctx) => assert.deepEqual(ctx.extraResponseHeaders, ['x-remaining', '2']) },
    ],
    bad: [
      { yaml: { calls: 5, 'renewal-period': 10 }, attribute: 'counter-key' }, { yaml: { calls: 5, 'renewal-period': 10, 'counter-key': 'cookie:x' }, attribute: 'counter-key' },
      { yaml: { calls: 5, 'renewal-period': 3600, 'counter-key': 'ip' }, attribute: 'renewal-period' },
    ],
  },
  {
    name: 'quota', yaml: { calls: 10, 'renewal-period': 3600 }, sections: ['inbound'],
    runs: [{ title: 'first call passes', section: 'inbound', yaml: { calls: 1, 'renewal-period': 3597 }, expect: CONTINUE }],
    bad: [
      { yaml: { calls: 5, bandwidth: 0, 'renewal-period': 60 }, attribute: 'bandwidth' }, { yaml: { calls: 5 }, attribute: 'renewal-period' }, { yaml: { 'renewal-period': 60 }, attribute: 'calls' },
      { yaml: { calls: 5, 'renewal-period': 60, scope: 'global' }, attribute: 'scope' },
      { yaml: { calls: 5, 'renewal-period': 60, 'fail-mode': 'shut' }, attribute: 'fail-mode' },
    ],
  },
  {
    name: 'quota-by-key', yaml: { calls: 10, 'renewal-period': 3600, 'counter-key': 'ip' }, sections: ['inbound'],
    runs: [{ title: 'first call for a key passes', section: 'inbound', yaml: { calls: 1, 'renewal-period': 3596, 'counter-key': 'header:x-in' }, expect: CONTINUE }],
    bad: [{ yaml: { calls: 5, 'renewal-period': 60 }, attribute: 'counter-key' }, { yaml: { calls: 5, 'renewal-period': 60, 'counter-key': 'ip', 'increment-condition': 'x' }, attribute: 'increment-condition' }],
  },
  {
    name: 'limit-concurrency', yaml: { key: 'ip', 'max-count': 2 }, sections: ALL,
    runs: [
      { title: 'takes a slot and gives it back when the request ends', section: 'inbound', yaml: { key: 'ip', 'max-count': 1 }, expect: CONTINUE, check: (ctx) => ctx.ended() },
      { title: 'the slot was given back', section: 'inbound', yaml: { key: 'ip', 'max-count': 1 }, expect: CONTINUE, check: (ctx) => ctx.ended() },
    ],
    bad: [{ yaml: { 'max-count': 2 }, attribute: 'key' }, { yaml: { key: 'ip', 'max-count': 0 }, attribute: 'max-count' }],
  },
  {
    name: 'set-query-parameter', yaml: { name: 'b', value: '2' }, sections: ['inbound', 'backend'],
    runs: [
      { title: 'adds a parameter', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.query, 'a=1&b=2') },
      { title: 'deletes a parameter', section: 'backend', yaml: { name: 'a', 'exists-action': 'delete' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.query, '') },
    ],
    bad: [{ yaml: { name: 'b', 'exists-action': 'replace', value: '2' }, attribute: 'exists-action' }, { yaml: { value: '2' }, attribute: 'name' }],
  },
  {
    name: 'rewrite-uri', yaml: { template: '/v2/items/{id}' }, sections: ['inbound'],
    runs: [{ title: 'rewrites the path, keeping the query', section: 'inbound', expect: CONTINUE, check: (ctx) => { assert.equal(ctx.path, '/v2/items/42'); assert.equal(ctx.query, 'a=1'); } }],
    bad: [{ yaml: { template: '/x/{id' }, attribute: 'template' }, { yaml: { template: '/x', 'copy-unmatched-params': 'yes' }, attribute: 'copy-unmatched-params' }],
  },
  {
    name: 'set-backend-service', yaml: { 'base-url': 'http://other:8080/api' }, sections: ['inbound', 'backend'],
    runs: [{ title: 'points the forward at another backend', section: 'inbound', expect: CONTINUE, check: (ctx) => { assert.equal(ctx.backendOrigin, 'http://other:8080'); assert.equal(ctx.backendBasePath, '/api'); assert.equal(ctx.header('host'), 'other:8080'); } }],
    bad: [{ yaml: { 'backend-id': 'b1', 'base-url': 'http://x' }, attribute: 'base-url' }, { yaml: { 'base-url': 'ftp://x' }, attribute: 'base-url' }, { yaml: { 'backend-id': '@(nope' }, attribute: 'backend-id' }],
  },
  {
    name: 'authentication-certificate', yaml: { 'certificate-id': 'client1' }, sections: ['inbound'],
    runs: [{ title: 'names the client certificate for the forward', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.clientCertificate, 'client1') }],
    bad: [{ yaml: { thumbprint: 'ABC' }, attribute: 'thumbprint' }, { yaml: { body: 'x', password: 'p' }, attribute: 'body' }, { yaml: {}, attribute: 'certificate-id' }],
  },
  {
    name: 'get-authorization-context', yaml: { 'provider-id': 'github', 'authorization-id': 'auth1', 'context-variable-name': 'auth', 'ignore-error': true }, sections: ['inbound'],
    runs: [
      { title: 'an authorization the config lacks, with ignore-error: the variable is null', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('auth'), null) },
      { title: 'without ignore-error: fails coded', section: 'inbound', yaml: { 'provider-id': 'github', 'authorization-id': 'auth1', 'context-variable-name': 'auth' },
        expect: FAIL, check: (ctx) => assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_AUTHORIZATION_NOT_FOUND') },
    ],
    bad: [{ yaml: { 'authorization-id': 'a', 'context-variable-name': 'v' }, attribute: 'provider-id' }, { yaml: { 'provider-id': 'p', 'authorization-id': 'a', 'context-variable-name': 'v', 'identity-type': 'jwt' }, attribute: 'identity-type' },
      { yaml: { 'provider-id': 'p', 'authorization-id': 'a', 'context-variable-name': 'v', 'ignore-error': 'maybe' }, attribute: 'ignore-error' }],
  },
  {
    name: 'authentication-basic', yaml: { username: 'Aladdin', password: 'open sesame' }, sections: ['inbound'],
    runs: [
      { title: 'replaces Authorization with Basic credentials', section: 'inbound', setup: (ctx) => ctx.headers.push('authorization', 'Bearer x'), expect: CONTINUE,
        check: (ctx) => { assert.equal(ctx.header('authorization'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='); assert.equal(ctx.headers.filter((h) => h === 'authorization').length, 1); } },
      { title: 'takes expressions', section: 'inbound', yaml: { username: '@("u" + "1")', password: 'p' }, expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('authorization'), `Basic ${Buffer.from('u1:p').toString('base64')}`) },
    ],
    bad: [{ yaml: { password: 'p' }, attribute: 'username' }, { yaml: { username: 'u' }, attribute: 'password' }, { yaml: { username: 'a:b', password: 'p' }, attribute: 'username' }, { yaml: { username: 'u', password: 'p', realm: 'x' }, attribute: 'realm' }],
  },
  {
    name: 'set-method', yaml: { text: 'POST' }, sections: ['inbound'],
    runs: [{ title: 'sets the method', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.method, 'POST') }],
    bad: [{ yaml: {}, attribute: null }, { yaml: { text: 'POST', to: 'x' }, attribute: 'to' }],
  },
  {
    name: 'forward-request', yaml: { timeout: 5 }, sections: ['backend'],
    runs: [{ title: 'sets the timeout', section: 'backend', expect: CONTINUE, check: (ctx) => assert.equal(ctx.timeoutMs, 5000) }],
    bad: [{ yaml: { timeout: 0 }, attribute: 'timeout' }, { yaml: { 'follow-redirects': 'maybe' }, attribute: 'follow-redirects' }, { yaml: { 'buffer-request-body': 'yes' }, attribute: 'buffer-request-body' },
      { yaml: { 'http-version': '2' }, attribute: 'http-version' }],
  },
  {
    name: 'validate-jwt', yaml: { 'require-expiration-time': false, 'issuer-signing-keys': { key: JWT_SECRET.toString('base64') } }, sections: ['inbound'],
    runs: [
      { title: 'no token: 401', section: 'inbound', expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.status, 401) },
      { title: 'a valid HS256 token: claims set', section: 'inbound', setup: (ctx) => { ctx.headers.push('authorization', `Bearer ${hs256({ sub: 'u1' })}`); },
        expect: CONTINUE, check: (ctx) => assert.equal(ctx.claim('sub'), 'u1') },
      { title: 'output-token-variable-name: the token as AsJwt() gives it', section: 'inbound',
        yaml: { 'require-expiration-time': false, 'output-token-variable-name': 'jwt', 'issuer-signing-keys': { key: JWT_SECRET.toString('base64') } },
        setup: (ctx) => { ctx.headers.push('authorization', `Bearer ${hs256({ sub: 'u2' })}`); }, expect: CONTINUE,
        check: (ctx) => { const jwt = ctx.variable('jwt') as { claims: Record<string, unknown>; raw: string }; assert.equal(jwt.claims.sub, 'u2'); assert.equal(jwt.raw, ctx.header('authorization')!.slice(7)); } },
    ],
    bad: [{ yaml: { 'token-value': 'x', 'issuer-signing-keys': { key: JWT_SECRET.toString('base64') } }, attribute: 'token-value' }, { yaml: { 'clock-skew': -1, 'jwks-file': '/x' }, attribute: 'clock-skew' }],
  },
  {
    name: 'validate-azure-ad-token', yaml: { 'tenant-id': 'contoso.onmicrosoft.com', audiences: { audience: 'api://orders' } }, sections: ['inbound'],
    runs: [
      { title: 'no token: 401 "JWT not present."', section: 'inbound', expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.body, '{"statusCode":401,"message":"JWT not present."}') },
      { title: 'not a JWT: the configured status', section: 'inbound', yaml: { 'tenant-id': 'contoso.onmicrosoft.com', 'failed-validation-httpcode': 403, audiences: { audience: 'a' } },
        setup: (ctx) => { ctx.headers.push('authorization', 'Bearer x.y'); }, expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.status, 403) },
    ],
    bad: [{ yaml: { 'tenant-id': 'common', audiences: { audience: 'a' } }, attribute: 'tenant-id' }, { yaml: { 'tenant-id': 'contoso.onmicrosoft.com' }, attribute: null }],
  },
  {
    name: 'check-header', yaml: { name: 'X-In', 'failed-check-httpcode': 401, 'failed-check-error-message': 'Bad X-In', value: 'v' }, sections: ['inbound'],
    runs: [
      { title: 'a listed value passes', section: 'inbound', expect: CONTINUE },
      { title: 'another value: the configured status and message', section: 'inbound', yaml: { name: 'X-In', 'failed-check-httpcode': 403, 'failed-check-error-message': 'no', value: 'w' },
        expect: RESPOND, check: (ctx) => { assert.equal(ctx.response!.status, 403); assert.equal(ctx.response!.body, '{"statusCode":403,"message":"no"}'); } },
    ],
    bad: [{ yaml: { 'failed-check-httpcode': 401, 'failed-check-error-message': 'm' }, attribute: 'name' }, { yaml: { name: 'X', 'failed-check-httpcode': 'x', 'failed-check-error-message': 'm' }, attribute: 'failed-check-httpcode' }],
  },
  {
    name: 'ip-filter', yaml: { action: 'allow', address: '10.0.0.0/8' }, sections: ['inbound'],
    runs: [
      { title: 'an allowed client passes', section: 'inbound', expect: CONTINUE },
      { title: 'a forbidden client: 403', section: 'inbound', yaml: { action: 'forbid', address: '10.1.2.0/24' }, expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.status, 403) },
      { title: 'behind a trusted proxy, the forwarded address counts', section: 'inbound', yaml: { action: 'allow', 'trusted-proxy-hops': 1, address: '198.51.100.0/24' },
        setup: (ctx) => { ctx.headers.push('x-forwarded-for', '198.51.100.7, 10.1.2.3'); }, expect: CONTINUE },
    ],
    bad: [{ yaml: { action: 'deny', address: '10.0.0.1' }, attribute: 'action' }, { yaml: { action: 'allow', 'address-range': { from: '10.0.0', to: '10.0.0.9' } }, attribute: 'from' }],
  },
  {
    name: 'cors', yaml: { 'allowed-origins': { origin: 'https://app.example' } }, sections: ['inbound'],
    runs: [
      { title: 'a preflight is answered', section: 'inbound', setup: (ctx) => { ctx.method = 'OPTIONS'; ctx.headers.push('origin', 'https://app.example', 'access-control-request-method', 'GET'); },
        expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.headers[ctx.response!.headers.indexOf('access-control-allow-origin') + 1], 'https://app.example') },
      { title: 'an actual request gets the origin on its response', section: 'inbound', setup: (ctx) => { ctx.headers.push('origin', 'https://app.example'); },
        expect: CONTINUE, check: (ctx) => assert.deepEqual(ctx.extraResponseHeaders, ['access-control-allow-origin', 'https://app.example', 'vary', 'Origin']) },
    ],
    bad: [{ yaml: { 'allow-credentials': true, 'allowed-origins': { origin: '*' } }, attribute: 'allow-credentials' },
      { yaml: { 'allowed-origins': { origin: '*' }, 'allowed-methods': { 'preflight-result-max-age': 'x', method: 'GET' } }, attribute: 'preflight-result-max-age' }],
  },
  {
    name: 'choose', sections: ALL,
    yaml: {
      when: [{ condition: "request.headers['x-in'] == 'v' && request.method == 'GET'", policies: [{ 'set-header': { name: 'X-Branch', value: 'when' } }] }],
      otherwise: [{ 'set-header': { name: 'X-Branch', value: 'otherwise' } }],
    },
    runs: [
      { title: 'the first matching <when> runs', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.header('x-branch'), 'when') },
      { title: '<otherwise> runs when no condition holds', section: 'inbound', setup: (ctx) => ctx.removeHeader('x-in'), expect: CONTINUE,
        check: (ctx) => assert.equal(ctx.header('x-branch'), 'otherwise') },
      { title: 'a nested respond is its outcome', section: 'backend', yaml: { when: [{ condition: 'true', policies: [{ 'return-response': { 'set-status': { code: 204 } } }] }] },
        expect: RESPOND, check: (ctx) => assert.equal(ctx.response!.status, 204) },
    ],
    bad: [
      { yaml: { when: [{ condition: "request.method = 'GET'" }] }, attribute: 'condition' },
      { yaml: { when: [{ condition: 'true', colour: 'red' }] }, attribute: 'colour' },
      { yaml: { otherwise: [] }, attribute: null },
    ],
  },
  {
    name: 'retry', yaml: { condition: 'response.status >= 500', count: 2, interval: 0, 'set-variable': { name: 'round', value: 'x' } }, sections: ['backend', 'inbound', 'outbound', 'on-error'],
    runs: [
      { title: 'around forward-request, hands the forward a retry plan', section: 'backend',
        yaml: { condition: 'response.status >= 500', count: 2, interval: 0, 'forward-request': {} }, expect: CONTINUE, check: (ctx) => {
          assert.equal(ctx.retry!.count(ctx), 2);
          assert.equal(ctx.retry!.delayMs(ctx, 1), 0);
        } },
      { title: 'without forward-request, re-runs its children while the condition holds', section: 'inbound',
        yaml: { condition: '@(context.Variables.GetValueOrDefault<int>("n", 0) < 3)', count: 5, interval: 0, 'set-variable': { name: 'n', value: '@(context.Variables.GetValueOrDefault<int>("n", 0) + 1)' } },
        expect: CONTINUE, check: (ctx) => { assert.equal(ctx.variable('n'), 3); assert.equal(ctx.retry, null); } },
    ],
    bad: [
      { yaml: { count: 2, interval: 0 }, attribute: 'condition' },
      { yaml: { condition: 'response.status >=', count: 2, interval: 0 }, attribute: 'condition' },
      { yaml: { condition: 'true', count: 51, interval: 0 }, attribute: 'count' },
      { yaml: { condition: 'true', count: 1, interval: 0, 'forward-request': { timeout: 0 } }, attribute: 'timeout' },
    ],
  },
  {
    name: 'cache-lookup', yaml: { 'vary-by-header': 'Accept', 'vary-by-query-parameter': 'v', 'caching-type': 'internal' }, sections: ['inbound'],
    runs: [
      { title: 'a GET miss continues and leaves a store plan', section: 'inbound', expect: CONTINUE, check: (ctx) => {
        assert.equal(ctx.cacheResult, 'miss');
        assert.match(ctx.cacheStore!.key, /^rc:[0-9a-f]{64}$/);
      } },
      { title: 'a POST is not looked up', section: 'inbound', setup: (ctx) => { ctx.method = 'POST'; }, expect: CONTINUE, check: (ctx) => {
        assert.equal(ctx.cacheResult, null);
        assert.equal(ctx.cacheStore, null);
      } },
    ],
    bad: [
      { yaml: { 'caching-type': 'disk' }, attribute: 'caching-type' },
      { yaml: { 'vary-by-header': 'bad name' }, attribute: 'vary-by-header' },
      { yaml: { 'must-revalidate': 'maybe' }, attribute: 'must-revalidate' },
      { yaml: { colour: 'red' }, attribute: 'colour' },
    ],
  },
  {
    name: 'cache-store', yaml: { duration: 60 }, sections: ['outbound'],
    runs: [
      { title: 'without a cache-lookup miss it does nothing', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.bodyTap, null) },
      { title: 'after a miss it taps a 200 response', section: 'outbound', expect: CONTINUE,
        setup: (ctx) => { ctx.cacheStore = { key: 'rc:k', cachingType: 'internal', allowPrivate: false, downstream: 'none', mustRevalidate: true, unkeyed: [] }; ctx.response = { status: 200, reason: 'OK', headers: [], body: null }; },
        check: (ctx) => assert.notEqual(ctx.bodyTap, null) },
      { title: 'a Set-Cookie response is not stored', section: 'outbound', expect: CONTINUE,
        setup: (ctx) => { ctx.cacheStore = { key: 'rc:k', cachingType: 'internal', allowPrivate: false, downstream: 'none', mustRevalidate: true, unkeyed: [] }; ctx.response = { status: 200, reason: 'OK', headers: ['set-cookie', 'a=1'], body: null }; },
        check: (ctx) => assert.equal(ctx.bodyTap, null) },
    ],
    bad: [
      { yaml: {}, attribute: 'duration' },
      { yaml: { duration: 0 }, attribute: 'duration' },
      { yaml: { duration: 10, 'cache-response': 'yes' }, attribute: 'cache-response' },
    ],
  },
  {
    name: 'cache-lookup-value', yaml: { key: 'conformance-k', 'variable-name': 'found', 'default-value': 'none', 'caching-type': 'internal' }, sections: ALL,
    runs: [{ title: 'a miss assigns the default value', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('found'), 'none') }],
    bad: [
      { yaml: { 'variable-name': 'v' }, attribute: 'key' },
      { yaml: { key: 'k' }, attribute: 'variable-name' },
      { yaml: { key: 'k', 'variable-name': 'v', 'caching-type': 'redis' }, attribute: 'caching-type' },
    ],
  },
  {
    name: 'cache-store-value', yaml: { key: 'conformance-s', value: 'v', duration: 60, 'caching-type': 'internal' }, sections: ALL,
    runs: [{ title: 'stores without waiting', section: 'inbound', expect: CONTINUE }],
    bad: [
      { yaml: { key: 'k', value: 'v' }, attribute: 'duration' },
      { yaml: { value: 'v', duration: 5 }, attribute: 'key' },
    ],
  },
  {
    // A closed port on loopback: the call fails at once; ignore-error keeps the request going.
    name: 'send-request', yaml: { 'response-variable-name': 'r', 'ignore-error': true, timeout: 2, 'set-url': 'http://127.0.0.1:9/x' }, sections: ALL,
    runs: [{ title: 'an unreachable URL with ignore-error leaves null', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('r'), null) },
      { title: 'an unreachable URL without ignore-error fails coded', section: 'outbound', yaml: { 'response-variable-name': 'r', 'set-url': 'http://127.0.0.1:9/x' }, expect: FAIL, check: (ctx) => assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_SEND_REQUEST_FAILED') }],
    bad: [{ yaml: { 'set-url': 'http://127.0.0.1:9/' }, attribute: 'response-variable-name' }, { yaml: { 'response-variable-name': 'r', 'set-url': 'http://a/', timeout: 0 }, attribute: 'timeout' }],
  },
  {
    name: 'send-one-way-request', yaml: { 'set-url': 'http://127.0.0.1:9/x', timeout: 1 }, sections: ALL,
    runs: [{ title: 'does not wait', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { mode: 'move', 'set-url': 'http://a/' }, attribute: 'mode' }, { yaml: { 'ignore-error': true, 'set-url': 'http://a/' }, attribute: 'ignore-error' }],
  },
  {
    name: 'set-body', yaml: { text: 'new body' }, sections: ALL,
    runs: [
      { title: 'replaces the request body', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(String(ctx.requestBody), 'new body') },
      { title: 'replaces the response body', section: 'outbound', expect: CONTINUE, check: (ctx) => assert.equal(String(ctx.response!.body), 'new body') },
    ],
    bad: [{ yaml: { text: 'x', template: 'jinja' }, attribute: 'template' }, { yaml: { text: 'x', colour: 'red' }, attribute: 'colour' }],
  },
  {
    name: 'find-and-replace', yaml: { from: 'a', to: 'b' }, sections: ALL,
    runs: [{ title: 'edits the response body', section: 'on-error', setup: (ctx) => { ctx.response = { status: 500, reason: '', headers: [], body: 'aXa' }; }, expect: CONTINUE, check: (ctx) => assert.equal(String(ctx.response!.body), 'bXb') }],
    bad: [{ yaml: { to: 'b' }, attribute: 'from' }, { yaml: { from: 'a' }, attribute: 'to' }],
  },
  {
    name: 'cache-remove-value', yaml: { key: 'conformance-r', 'caching-type': 'internal' }, sections: ALL,
    runs: [{ title: 'removes without waiting', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: {}, attribute: 'key' }, { yaml: { key: 'k', colour: 'red' }, attribute: 'colour' }],
  },
  {
    name: 'llm-token-limit', yaml: { 'counter-key': 'k', 'tokens-per-minute': 1000, 'remaining-tokens-variable-name': 'left' }, sections: ['inbound'],
    runs: [{ title: 'under the limit the request goes on, the remaining tokens in a variable', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.variable('left'), 1000) }],
    bad: [{ yaml: { 'counter-key': 'k', 'tokens-per-minute': -1 }, attribute: 'tokens-per-minute' }, { yaml: { 'counter-key': 'k', 'tokens-per-minute': 10, colour: 'red' }, attribute: 'colour' }],
  },
  {
    name: 'azure-openai-token-limit', yaml: { 'counter-key': 'k', 'tokens-per-minute': 1000 }, sections: ['inbound'],
    runs: [{ title: 'under the limit the request goes on', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { 'counter-key': 'k', 'tokens-per-minute': 'many' }, attribute: 'tokens-per-minute' }],
  },
  {
    name: 'llm-emit-token-metric', yaml: { namespace: 'llm', dimension: { name: 'API ID' } }, sections: ['inbound'],
    runs: [{ title: 'arms a watch on the response (no answer yet: nothing emitted)', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { dimension: { name: 'Tier' } }, attribute: 'value' }, { yaml: { name: 'x' }, attribute: 'name' }],
  },
  {
    name: 'azure-openai-emit-token-metric', yaml: { dimension: { name: 'Operation ID' } }, sections: ['inbound'],
    runs: [{ title: 'arms a watch on the response', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { dimension: { name: 'Tier' } }, attribute: 'value' }],
  },
  {
    name: 'cross-domain', yaml: { 'cross-domain-policy': { 'allow-access-from': { domain: '*' } } }, sections: ['inbound'],
    runs: [{ title: 'another path is not its business', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: {}, attribute: null }],
  },
  {
    name: 'json-to-xml', yaml: { apply: 'always' }, sections: ['inbound', 'outbound', 'on-error'],
    runs: [{ title: 'converts a JSON response body', section: 'on-error', setup: (ctx) => { ctx.response = { status: 500, reason: '', headers: ['content-type', 'application/json'], body: '{"a":1}' }; }, expect: CONTINUE, check: (ctx) => assert.match(String(ctx.response!.body), /<a>1<\/a>/) }],
    bad: [{ yaml: { apply: 'sometimes' }, attribute: 'apply' }, { yaml: { apply: 'always', 'consider-accept-header': 'maybe' }, attribute: 'consider-accept-header' }],
  },
  {
    name: 'xml-to-json', yaml: { kind: 'direct', apply: 'always' }, sections: ['inbound', 'outbound', 'on-error'],
    runs: [{ title: 'converts an XML response body', section: 'on-error', setup: (ctx) => { ctx.response = { status: 500, reason: '', headers: ['content-type', 'application/xml'], body: '<a>1</a>' }; }, expect: CONTINUE, check: (ctx) => assert.match(String(ctx.response!.body), /"a"/) }],
    bad: [{ yaml: { kind: 'sideways', apply: 'always' }, attribute: 'kind' }],
  },
  {
    name: 'jsonp', yaml: { 'callback-parameter-name': 'cb' }, sections: ['outbound'],
    runs: [],
    bad: [{ yaml: {}, attribute: 'callback-parameter-name' }],
  },
  {
    name: 'redirect-content-urls', yaml: {}, sections: ['inbound', 'outbound'],
    runs: [],
    bad: [{ yaml: { colour: 'red' }, attribute: 'colour' }],
  },
  {
    name: 'proxy', yaml: { url: 'http://127.0.0.1:3128' }, sections: ['inbound'],
    runs: [{ title: 'routes the forward through the proxy', section: 'inbound', expect: CONTINUE, check: (ctx) => assert.equal(ctx.proxy?.port, 3128) }],
    bad: [{ yaml: { url: 'ftp://proxy' }, attribute: 'url' }, { yaml: {}, attribute: 'url' }],
  },
  {
    name: 'wait', yaml: { for: 'all', 'cache-lookup-value': { key: 'conformance-w', 'variable-name': 'w', 'caching-type': 'internal' } }, sections: ['inbound', 'backend', 'outbound'],
    runs: [{ title: 'runs its children, then goes on', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { for: 'some', 'cache-lookup-value': { key: 'k', 'variable-name': 'w' } }, attribute: 'for' }],
  },
  {
    name: 'validate-parameters', yaml: { 'specified-parameter-action': 'ignore', 'unspecified-parameter-action': 'ignore' }, sections: ['inbound'],
    runs: [{ title: 'an operation without a contract passes', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { 'unspecified-parameter-action': 'prevent' }, attribute: 'specified-parameter-action' }, { yaml: { 'specified-parameter-action': 'block', 'unspecified-parameter-action': 'prevent' }, attribute: 'specified-parameter-action' }],
  },
  {
    name: 'validate-headers', yaml: { 'specified-header-action': 'ignore', 'unspecified-header-action': 'ignore' }, sections: ['outbound', 'on-error'],
    runs: [],
    bad: [{ yaml: { 'specified-header-action': 'ignore', 'unspecified-header-action': 'block' }, attribute: 'unspecified-header-action' }],
  },
  {
    name: 'validate-status-code', yaml: { 'unspecified-status-code-action': 'ignore' }, sections: ['outbound', 'on-error'],
    runs: [],
    bad: [{ yaml: { 'unspecified-status-code-action': 'block' }, attribute: 'unspecified-status-code-action' }],
  },
  {
    name: 'validate-content', yaml: { 'unspecified-content-type-action': 'ignore', 'max-size': 1024, 'size-exceeded-action': 'ignore' }, sections: ['inbound', 'outbound', 'on-error'],
    runs: [],
    bad: [{ yaml: { 'unspecified-content-type-action': 'ignore', 'max-size': 1024, 'size-exceeded-action': 'block' }, attribute: 'size-exceeded-action' }],
  },
  {
    name: 'validate-odata-request', yaml: {}, sections: ['inbound'],
    runs: [{ title: 'a request without OData headers passes', section: 'inbound', expect: CONTINUE }],
    bad: [{ yaml: { 'max-size': -1 }, attribute: 'max-size' }],
  },
  {
    name: 'validate-client-certificate', yaml: { 'validate-revocation': false }, sections: ['inbound'],
    runs: [{ title: 'a request without a TLS client certificate fails coded (on-error answers 401)', section: 'inbound', expect: FAIL, check: (ctx) => assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_CLIENT_CERTIFICATE_INVALID') }],
    bad: [{ yaml: { 'validate-trust': 'maybe' }, attribute: 'validate-trust' }],
  },
];
