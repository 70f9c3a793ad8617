/**
 * send-request, send-one-way-request, set-body (plain, expressions, Liquid) and find-and-replace
 * on a RequestContext built directly: compile errors naming the element and attribute, Liquid
 * rendering over APIM's names, the bound on the number of policy pools, and a send-request
 * answer read back through expressions as an IResponse (against a real loopback server).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setBody } from '../../src/gateway/policies/set-body.js';
import { findAndReplace } from '../../src/gateway/policies/find-and-replace.js';
import { sendRequest } from '../../src/gateway/policies/send-request.js';
import { MAX_ONE_WAY_IN_FLIGHT, oneWayStats, sendOneWayRequest } from '../../src/gateway/policies/send-one-way-request.js';
import { returnResponse } from '../../src/gateway/policies/return-response.js';
import { RESPOND } from '../../src/gateway/pipeline/phases.js';
import { PolicyPools } from '../../src/gateway/upstream/policy-pools.js';
import { parsePolicyDocument } from '../../src/gateway/pipeline/policy-document.js';
import { substituteNamedValues } from '../../src/gateway/pipeline/named-values.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { CONTINUE } from '../../src/gateway/pipeline/phases.js';
import { bindTemplate, compileTemplate } from '../../src/gateway/pipeline/expression/index.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import { startBackend, type TestBackend } from '../support/backends.js';

const f = <T>(x: PolicyFactory<T>) => x as unknown as PolicyFactory<unknown>;

function compileMessage(factory: PolicyFactory<unknown>, xml: string, section?: 'inbound' | 'outbound'): string {
  try { compileOne(factory, xml, section); } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err.message;
  }
  throw new Error('compiled without error');
}

describe('compile errors name the element and attribute', () => {
  test('send-request', () => {
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r" />'), /send-request\[0\]: needs a <set-url> when mode="new"/);
    assert.equal(compileErrorAttribute(f(sendRequest), '<send-request><set-url>http://a/</set-url></send-request>'), 'response-variable-name');
    assert.equal(compileErrorAttribute(f(sendRequest), '<send-request response-variable-name="r" mode="move"><set-url>http://a/</set-url></send-request>'), 'mode');
    assert.equal(compileErrorAttribute(f(sendRequest), '<send-request response-variable-name="r" timeout="0"><set-url>http://a/</set-url></send-request>'), 'timeout');
    assert.equal(compileErrorAttribute(f(sendRequest), '<send-request response-variable-name="r" ignore-error="yes"><set-url>http://a/</set-url></send-request>'), 'ignore-error');
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>ftp://a/</set-url></send-request>'), /send-request\[0\]\/set-url\[0\]: must be an http or https URL/);
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>http://a/</set-url><set-method>GET ME</set-method></send-request>'), /set-method\[1\]: must be an HTTP method token/);
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>http://a/</set-url><authentication-certificate thumbprint="x" /></send-request>'), /<authentication-certificate>: client certificates on send-request are not supported/);
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>http://a/</set-url><proxy url="http://p" /></send-request>'), /<proxy>: an outbound HTTP proxy is not supported/);
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>http://a/</set-url><set-header name="x" exists-action="bogus"><value>1</value></set-header></send-request>'), /set-header\[1\] @exists-action/);
    assert.match(compileMessage(f(sendRequest), '<send-request response-variable-name="r"><set-url>@(context.Nope)</set-url></send-request>'), /set-url\[0\] @set-url: .*Nope/);
    assert.equal(compileErrorAttribute(f(sendOneWayRequest), '<send-one-way-request response-variable-name="r"><set-url>http://a/</set-url></send-one-way-request>'), 'response-variable-name');
  });

  test('set-body and find-and-replace', () => {
    assert.equal(compileErrorAttribute(f(setBody), '<set-body template="mustache">x</set-body>'), 'template');
    assert.match(compileMessage(f(setBody), '<set-body template="liquid">{% if x %}never closed</set-body>'), /set-body\[0\] @template: not a valid Liquid template/);
    assert.equal(compileErrorAttribute(f(setBody), '<set-body bogus="1">x</set-body>'), 'bogus');
    assert.equal(compileErrorAttribute(f(setBody), '<set-body>@(context.Request.Bogus)</set-body>'), 'set-body');
    assert.equal(compileErrorAttribute(f(findAndReplace), '<find-and-replace to="b" />'), 'from');
    assert.equal(compileErrorAttribute(f(findAndReplace), '<find-and-replace from="a" />'), 'to');
  });
});

describe('set-body', () => {
  test('plain text and expressions replace the request body; a JObject is serialised', () => {
    const ctx = newContext({ method: 'POST' });
    ctx.requestBody = Buffer.from('{"name":"widget"}');
    assert.equal(instanceOf(f(setBody), '<set-body>plain</set-body>').run(ctx), CONTINUE);
    assert.equal(ctx.requestBody.toString(), 'plain');
    assert.equal(ctx.requestBodyReplaced, true);
    ctx.requestBody = Buffer.from('{"name":"widget"}');
    instanceOf(f(setBody), '<set-body>@{ var o = context.Request.Body.As&lt;JObject&gt;(preserveContent: true); o["qty"] = 2; return o; }</set-body>').run(ctx);
    assert.deepEqual(JSON.parse(ctx.requestBody!.toString()), { name: 'widget', qty: 2 });
  });

  test('outbound replaces the response body; a streamed request body is refused', () => {
    const ctx = newContext();
    ctx.response = { status: 200, reason: 'OK', headers: [], body: Buffer.from('{"a":1}') };
    instanceOf(f(setBody), '<set-body>@(context.Response.Body.As&lt;string&gt;() + "!")</set-body>', 'outbound').run(ctx);
    assert.equal(String(ctx.response.body), '{"a":1}!');
    const streamed = newContext({ method: 'POST' });
    streamed.requestBodyStreamed = true;
    assert.throws(() => instanceOf(f(setBody), '<set-body>x</set-body>').run(streamed), (e: Error & { code?: string }) => e.code === 'OUTPOST_ERR_BODY_TOO_LARGE');
  });

  test('Liquid renders body, headers, variables, URL and response with APIM names', () => {
    const ctx = newContext({ method: 'POST', headers: ['host', 'shop.example:8080', 'x-tier', 'gold'], query: 'q=1' });
    ctx.requestBody = Buffer.from('{"name":"widget","items":[{"id":1},{"id":2}]}');
    ctx.setVariable('who', 'ops');
    const tpl = '<set-body template="liquid">{"n":"{{body.name}}","tier":"{{context.Request.Headers["X-Tier"]}}","t2":"{{context.Request.Headers["x-tier"]}}","who":"{{context.Variables["who"]}}","ids":[{% for i in body.items %}{{i.id}}{% unless forloop.last %},{% endunless %}{% endfor %}],"host":"{{context.Request.Url.Host}}","port":{{context.Request.Url.Port}},"q":"{{context.Request.Url.Query["q"]}}","m":"{{context.Request.Method}}"}</set-body>';
    instanceOf(f(setBody), tpl).run(ctx);
    assert.deepEqual(JSON.parse(ctx.requestBody!.toString()), { n: 'widget', tier: 'gold', t2: 'gold', who: 'ops', ids: [1, 2], host: 'shop.example', port: 8080, q: '1', m: 'POST' });
    const out = newContext();
    out.response = { status: 201, reason: 'Created', headers: ['content-type', 'application/json'], body: Buffer.from('{"id":9}') };
    instanceOf(f(setBody), '<set-body template="liquid">{{context.Response.StatusCode}}/{{body.id}}/{{context.Response.Headers["Content-Type"]}}</set-body>', 'outbound').run(out);
    assert.equal(String(out.response.body), '201/9/application/json');
  });

  test('return-response with a Liquid body; headers iterate as Key/Value pairs (APIM sample)', () => {
    const ctx = newContext({ headers: ['host', 'h:1', 'x-a', '1', 'x-a', '2'] });
    const policy = '<return-response><set-status code="200" reason="OK" /><set-body template="liquid">{% for header in context.Request.Headers %}{{- header.Key }}={{ header.Value }};{% endfor %}</set-body></return-response>';
    assert.equal(instanceOf(f(returnResponse), policy).run(ctx), RESPOND);
    assert.equal(ctx.response?.body, 'host=h:1;x-a=1,2;');
    assert.equal(compileErrorAttribute(f(returnResponse), '<return-response><set-body template="liquid">{% for %}</set-body></return-response>'), 'template');
  });

  test('in a Liquid set-body, {{ x }} is a named value only when one is defined', () => {
    const doc = parsePolicyDocument('<policies><inbound><set-body template="liquid">{{base}}/{{body.name}}/{{ context.Request.Method }}</set-body><set-header name="x"><value>{{base}}</value></set-header></inbound></policies>', 'api "t"');
    const out = substituteNamedValues(doc, new Map([['base', { value: 'B', secret: false }]]), 'api "t"');
    assert.equal(out.inbound![0].text, 'B/{{body.name}}/{{ context.Request.Method }}');
    assert.throws(() => substituteNamedValues(parsePolicyDocument('<policies><inbound><set-body>{{body.name}}</set-body></inbound></policies>', 'api "t"'), new Map(), 'api "t"'), /named value "body.name" is not defined/);
  });

  test('Liquid cannot read files', () => {
    const ctx = newContext();
    assert.throws(() => instanceOf(f(setBody), '<set-body template="liquid">{% include "/etc/passwd" %}</set-body>').run(ctx));
  });
});

describe('find-and-replace', () => {
  test('replaces every occurrence as plain text (not a regex), request and response', () => {
    const ctx = newContext({ method: 'POST' });
    ctx.requestBody = Buffer.from('a.b a.b axb');
    instanceOf(f(findAndReplace), '<find-and-replace from="a.b" to="[x]" />').run(ctx);
    assert.equal(ctx.requestBody.toString(), '[x] [x] axb');
    ctx.response = { status: 200, reason: 'OK', headers: [], body: Buffer.from('hello world, world') };
    instanceOf(f(findAndReplace), '<find-and-replace from="world" to="@(context.Request.Method)" />', 'outbound').run(ctx);
    assert.equal(String(ctx.response.body), 'hello POST, POST');
  });
});

describe('policy pools', () => {
  test('at most maxOrigins pools: the least recently used closes', async () => {
    const pools = new PolicyPools(3);
    const a = pools.get('http://127.0.0.1:1');
    pools.get('http://127.0.0.1:2');
    pools.get('http://127.0.0.1:3');
    assert.equal(pools.get('http://127.0.0.1:1'), a, 'reused');
    for (let port = 10; port < 60; port++) pools.get(`http://127.0.0.1:${port}`);
    assert.equal(pools.size, 3);
    await pools.destroyAll();
  });
});

describe('send-request against a loopback server', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startBackend((req, res) => {
      const body = JSON.stringify({ token: 'abc', path: req.url, auth: req.headers.authorization ?? null });
      res.writeHead(203, { 'content-type': 'application/json', 'x-from': 'aux' });
      res.end(body);
    });
  });
  after(async () => { await backend.close(); });

  test('the answer is an IResponse for expressions; set-header children reach the server', async () => {
    const ctx = newContext();
    const policy = `<send-request mode="new" response-variable-name="r" timeout="5"><set-url>${backend.url}/token?x=1</set-url><set-method>POST</set-method><set-header name="Authorization" exists-action="override"><value>Bearer t</value></set-header><set-body>hi</set-body></send-request>`;
    assert.equal(await instanceOf(f(sendRequest), policy).run(ctx), CONTINUE);
    const read = (expr: string) => bindTemplate(compileTemplate(expr))(ctx);
    assert.equal(read('@(((IResponse)context.Variables["r"]).StatusCode)'), 203);
    assert.equal(read('@((string)((IResponse)context.Variables["r"]).Body.As<JObject>()["token"])'), 'abc');
    assert.equal(read('@(((IResponse)context.Variables["r"]).Headers.GetValueOrDefault("x-from", ""))'), 'aux');
    assert.equal(read('@((string)((IResponse)context.Variables["r"]).Body.As<JObject>()["auth"])'), 'Bearer t');
    assert.equal(backend.seen.at(-1)?.method, 'POST');
    assert.equal(backend.seen.at(-1)?.url, '/token?x=1');
  });

  test('mode="copy" starts from the current request: method, headers and buffered body; Host is the target\'s', async () => {
    const ctx = newContext({ method: 'PUT', headers: ['host', 'client.example', 'x-trace', 't1', 'content-length', '5'] });
    ctx.requestBody = Buffer.from('hello');
    await instanceOf(f(sendRequest), `<send-request mode="copy" response-variable-name="r"><set-url>${backend.url}/copied</set-url><set-header name="x-extra"><value>1</value></set-header></send-request>`).run(ctx);
    const seen = backend.seen.at(-1)!;
    assert.deepEqual([seen.method, seen.url, seen.headers['x-trace'], seen.headers['x-extra'], seen.headers.host, seen.headers['content-length']], ['PUT', '/copied', 't1', '1', `127.0.0.1:${backend.port}`, '5']);
  });

  test('send-one-way-request past its in-flight bound drops and counts, never waits', async () => {
    const before = backend.seen.length;
    const saved = oneWayStats.inFlight;
    oneWayStats.inFlight = MAX_ONE_WAY_IN_FLIGHT;
    const dropped = oneWayStats.dropped;
    try {
      const counted: string[] = [];
      const services = { counters: null as never, now: Date.now, metrics: { add: (ns: string, name: string) => { counted.push(`${ns}/${name}`); } } };
      const inst = sendOneWayRequest.create(compileOne(f(sendOneWayRequest), `<send-one-way-request><set-url>${backend.url}/dropped</set-url></send-one-way-request>`) as never, services);
      assert.equal(inst.run(newContext()), CONTINUE);
      assert.deepEqual(counted, ['outpost/send_one_way_dropped']);
    } finally { oneWayStats.inFlight = saved; }
    assert.equal(oneWayStats.dropped, dropped + 1);
    assert.equal(instanceOf(f(sendOneWayRequest), `<send-one-way-request><set-url>${backend.url}/sent</set-url></send-one-way-request>`).run(newContext()), CONTINUE);
    for (let i = 0; i < 50 && !backend.seen.slice(before).some((s) => s.url === '/sent'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(backend.seen.slice(before).map((s) => s.url), ['/sent']);
  });

  test('a computed URL that is not http(s) fails coded; ignore-error gives null', async () => {
    const ctx = newContext();
    await assert.rejects(async () => instanceOf(f(sendRequest), '<send-request response-variable-name="r"><set-url>@("file:///etc/passwd")</set-url></send-request>').run(ctx),
      (e: Error & { code?: string }) => e.code === 'OUTPOST_ERR_SEND_REQUEST_FAILED');
    await instanceOf(f(sendRequest), '<send-request response-variable-name="r" ignore-error="true"><set-url>@("file:///etc/passwd")</set-url></send-request>').run(ctx);
    assert.equal(ctx.variable('r'), null);
  });
});
