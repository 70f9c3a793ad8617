/**
 * Policy expressions end to end through real workers: set-variable feeding set-header (seen by
 * the backend), choose on an expression, return-response built from expressions, a rate limit
 * keyed by an expression, and an expression that throws: on-error runs with context.LastError
 * filled as APIM fills it (Source the policy, Reason ExpressionValueEvaluationFailure).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';

const VARIABLES = {
  inbound: [
    { 'set-variable': { name: 'tier', value: '@(context.Request.Headers.GetValueOrDefault("x-tier", "none").ToUpper())' } },
    { 'set-variable': { name: 'calls', value: '@(context.Request.Url.Query.GetValueOrDefault("n", "1").Length + 40)' } },
    { 'set-header': { name: 'x-seen', value: '@($"{context.Variables["tier"]}/{context.Variables.GetValueOrDefault<int>("calls", 0) + 1}/{context.Operation.Id}")' } },
    { 'set-query-parameter': { name: 'api', value: '@(context.Api.Id)' } },
  ],
};

const XML_CHOOSE = `<policies><inbound>
  <choose>
    <when condition="@(context.Request.Headers.GetValueOrDefault(&quot;x-tier&quot;, &quot;&quot;) == &quot;gold&quot;)">
      <return-response>
        <set-status code="@(200 + 1)" reason="Gold" />
        <set-header name="x-api"><value>@(context.Api.Id)</value></set-header>
        <set-body>@{ var o = new JObject(); o["tier"] = "gold"; o["path"] = context.Request.Url.Path; return o.ToString(Formatting.None); }</set-body>
      </return-response>
    </when>
  </choose>
</inbound></policies>`;

const THROWS = {
  inbound: [{ 'set-header': { name: 'x-first', value: '@(context.Request.Headers["x-missing"].First())' } }],
  'on-error': [{
    'return-response': {
      'set-status': { code: 599 },
      'set-body': '@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Message)',
    },
  }],
};

const READS_BODY = { inbound: [{ 'set-header': { name: 'x-order-name', value: '@((string)context.Request.Body.As<JObject>(preserveContent: true)["name"])' } }] };

const KEYED_LIMIT = { inbound: [{ 'rate-limit-by-key': { calls: 1, 'renewal-period': 60, 'counter-key': '@(context.Request.Headers.GetValueOrDefault("x-client", "anon"))' } }] };

describe('policy expressions through real workers', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway({
      apis: [{
        id: 'expr', name: 'Expressions', path: 'expr', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'vars', method: 'GET', urlTemplate: '/vars', policies: VARIABLES },
          { id: 'choose', method: 'GET', urlTemplate: '/choose', policies: XML_CHOOSE },
          { id: 'throws', method: 'GET', urlTemplate: '/throws', policies: THROWS },
          { id: 'limited', method: 'GET', urlTemplate: '/limited', policies: KEYED_LIMIT },
          { id: 'body', method: 'POST', urlTemplate: '/body', policies: READS_BODY },
        ],
      }],
    }, { workers: 1 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(gw.url(path), { headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('set-variable values (typed) feed set-header and set-query-parameter', async () => {
    const res = await get('/expr/vars?n=abc', { 'x-tier': 'gold' });
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.text) as { headers: Record<string, string>; url: string };
    assert.equal(echoed.headers['x-seen'], 'GOLD/44/vars');
    assert.match(echoed.url, /[?&]api=expr(&|$)/);
  });

  test('choose on an expression; return-response built from expressions', async () => {
    const gold = await get('/expr/choose', { 'x-tier': 'gold' });
    assert.equal(gold.status, 201);
    assert.equal(gold.headers['x-api'], 'expr');
    assert.deepEqual(JSON.parse(gold.text), { tier: 'gold', path: '/expr/choose' });
    const other = await get('/expr/choose', { 'x-tier': 'silver' });
    assert.equal(other.status, 200);
    assert.ok(JSON.parse(other.text).headers, 'the backend answered');
  });

  test('an expression that throws goes to on-error with context.LastError', async () => {
    const res = await get('/expr/throws');
    assert.equal(res.status, 599);
    const [source, reason, message] = res.text.split('|');
    assert.equal(source, 'set-header');
    assert.equal(reason, 'ExpressionValueEvaluationFailure');
    assert.match(message, /^Expression evaluation failed\. The given key 'x-missing' was not present/);
  });

  test('an expression reads the request body; the backend still gets all of it', async () => {
    const payload = JSON.stringify({ name: 'widget', qty: 3 });
    const res = await request(gw.url('/expr/body'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    const echoed = JSON.parse(await res.body.text()) as { headers: Record<string, string>; bodyBytes: number };
    assert.equal(res.statusCode, 200);
    assert.equal(echoed.headers['x-order-name'], 'widget');
    assert.equal(echoed.bodyBytes, Buffer.byteLength(payload));
    const bad = await request(gw.url('/expr/body'), { method: 'POST', body: 'not json' });
    assert.equal(bad.statusCode, 500, 'a body that is not JSON is an expression failure (on-error)');
    await bad.body.text();
  });

  test('rate-limit-by-key counts per expression value', async () => {
    assert.equal((await get('/expr/limited', { 'x-client': 'a' })).status, 200);
    assert.equal((await get('/expr/limited', { 'x-client': 'a' })).status, 429);
    assert.equal((await get('/expr/limited', { 'x-client': 'b' })).status, 200);
  });
});
