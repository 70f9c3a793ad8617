/**
 * json-to-xml, xml-to-json, jsonp, redirect-content-urls and cross-domain on a RequestContext built
 * directly: what the body and Content-Type become, when each policy leaves the message alone,
 * the coded errors for bodies it cannot convert, the proxy policy's route, and compile errors
 * naming the attribute.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonToXmlPolicy } from '../../src/gateway/policies/json-to-xml.js';
import { xmlToJsonPolicy } from '../../src/gateway/policies/xml-to-json.js';
import { jsonp } from '../../src/gateway/policies/jsonp.js';
import { redirectContentUrls } from '../../src/gateway/policies/redirect-content-urls.js';
import { crossDomain } from '../../src/gateway/policies/cross-domain.js';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { jsonToXml, xmlToJson, MAX_DEPTH } from '../../src/gateway/policies/json-xml-convert.js';
import { connectAnswer, connectRequest, proxyRoute } from '../../src/gateway/upstream/proxy-route.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { OutpostError } from '../../src/shared/errors.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import type { RequestContext } from '../../src/gateway/pipeline/context.js';
import type { CompiledApi } from '../../src/shared/compiled-meta.js';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';

const f = <T>(x: PolicyFactory<T>) => x as unknown as PolicyFactory<unknown>;

function withResponse(ctx: RequestContext, body: string, contentType: string): RequestContext {
  ctx.response = { status: 200, reason: 'OK', headers: ['content-type', contentType], body: Buffer.from(body) };
  return ctx;
}
const responseType = (ctx: RequestContext) => ctx.response!.headers[ctx.response!.headers.indexOf('content-type') + 1];
const responseText = (ctx: RequestContext) => String(ctx.response!.body);
const throwsCode = (fn: () => unknown, code: string) => assert.throws(fn, (e: unknown) => e instanceof OutpostError && e.code === code);

describe('json-to-xml', () => {
  test('converts the request body in inbound and sets Content-Type', () => {
    const p = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="always" consider-accept-header="false" />', 'inbound');
    const ctx = newContext({ headers: ['host', 'b', 'content-type', 'application/json'] });
    ctx.requestBody = Buffer.from('{"order":{"id":7,"items":[{"sku":"a"},{"sku":"b"}],"note":null,"paid":true}}');
    assert.equal(p.run(ctx), CONTINUE);
    assert.equal(String(ctx.requestBody), '<order><id>7</id><items><sku>a</sku></items><items><sku>b</sku></items><note /><paid>true</paid></order>');
    assert.equal(ctx.requestBodyReplaced, true);
    assert.equal(ctx.header('content-type'), 'application/xml');
  });

  test('several top-level properties, a top-level array and escaping', () => {
    const o = { namespaceSeparator: null, namespacePrefix: null, attributeBlockName: null };
    assert.equal(jsonToXml('{"a":"x<y&z","b":2}', o), '<Document><a>x&lt;y&amp;z</a><b>2</b></Document>');
    assert.equal(jsonToXml('[1,2]', o), '<Document><item>1</item><item>2</item></Document>');
    assert.equal(jsonToXml('{"first name":"A"}', o), '<Document><first_x0020_name>A</first_x0020_name></Document>');
  });

  test('namespace separator, prefix and attribute block as in APIM\'s example', () => {
    const p = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="always" consider-accept-header="false" parse-date="false" namespace-separator=":" namespace-prefix="xmlns" attribute-block-name="#attrs" />', 'outbound');
    const ctx = withResponse(newContext(), JSON.stringify({ 'soapenv:Envelope': { 'xmlns:soapenv': 'http://schemas.xmlsoap.org/soap/envelope/', 'soapenv:Body': { 'v1:Query': { '#attrs': { count: '2' }, 'v1:Item': 'x' } } } }), 'application/json');
    assert.equal(p.run(ctx), CONTINUE);
    assert.equal(responseText(ctx), '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><v1:Query count="2"><v1:Item>x</v1:Item></v1:Query></soapenv:Body></soapenv:Envelope>');
    assert.equal(responseType(ctx), 'application/xml');
  });

  test('apply="content-type-json" and consider-accept-header leave other messages alone', () => {
    const onlyJson = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="content-type-json" consider-accept-header="false" />', 'outbound');
    const plain = withResponse(newContext(), '{"a":1}', 'text/plain');
    onlyJson.run(plain);
    assert.equal(responseText(plain), '{"a":1}');
    const byAccept = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="always" />', 'outbound');
    const wantsJson = withResponse(newContext({ headers: ['accept', 'application/json'] }), '{"a":1}', 'application/json');
    byAccept.run(wantsJson);
    assert.equal(responseText(wantsJson), '{"a":1}');
    const wantsXml = withResponse(newContext({ headers: ['accept', 'text/xml'] }), '{"a":1}', 'application/json');
    byAccept.run(wantsXml);
    assert.equal(responseText(wantsXml), '<Document><a>1</a></Document>');
  });

  test('a body that is not JSON, or nests too deep, is a coded error by side', () => {
    const inbound = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="always" consider-accept-header="false" />', 'inbound');
    const ctx = newContext();
    ctx.requestBody = Buffer.from('{nope');
    throwsCode(() => inbound.run(ctx), 'OUTPOST_ERR_REQUEST_BODY_NOT_CONVERTIBLE');
    const outbound = instanceOf(f(jsonToXmlPolicy), '<json-to-xml apply="always" consider-accept-header="false" />', 'outbound');
    throwsCode(() => outbound.run(withResponse(newContext(), `{"a":${'['.repeat(MAX_DEPTH + 2)}${']'.repeat(MAX_DEPTH + 2)}}`, 'application/json')), 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE');
    const streamed = newContext();
    streamed.requestBodyStreamed = true;
    throwsCode(() => inbound.run(streamed), 'OUTPOST_ERR_BODY_TOO_LARGE');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml />'), 'apply');
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml apply="sometimes" />'), 'apply');
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml apply="always" consider-accept-header="yes" />'), 'consider-accept-header');
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml apply="always" namespace-separator="::" />'), 'namespace-separator');
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml apply="always" attribute-block-name="a b" />'), 'attribute-block-name');
    assert.equal(compileErrorAttribute(f(jsonToXmlPolicy), '<json-to-xml apply="always" bogus="1" />'), 'bogus');
  });
});

describe('xml-to-json', () => {
  const xml = '<?xml version="1.0"?><order id="7"><item>a</item><item>b</item><note lang="en">hi</note></order>';

  test('kind="direct" keeps declaration, @attributes and #text; Content-Type becomes JSON', () => {
    const p = instanceOf(f(xmlToJsonPolicy), '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', 'outbound');
    const ctx = withResponse(newContext(), xml, 'application/xml');
    assert.equal(p.run(ctx), CONTINUE);
    assert.deepEqual(JSON.parse(responseText(ctx)), { '?xml': { '@version': '1.0' }, order: { '@id': '7', item: ['a', 'b'], note: { '@lang': 'en', '#text': 'hi' } } });
    assert.equal(responseType(ctx), 'application/json');
  });

  test('kind="javascript-friendly" drops the declaration and the @; always-array-child-elements', () => {
    assert.deepEqual(JSON.parse(xmlToJson(xml, { kind: 'javascript-friendly', alwaysArrayChildren: false })), { order: { id: '7', item: ['a', 'b'], note: { lang: 'en', '#text': 'hi' } } });
    assert.deepEqual(JSON.parse(xmlToJson('<r><one>1</one></r>', { kind: 'direct', alwaysArrayChildren: true })), { r: { one: ['1'] } });
    assert.deepEqual(JSON.parse(xmlToJson('<r><one>1</one></r>', { kind: 'direct', alwaysArrayChildren: false })), { r: { one: '1' } });
  });

  test('inbound converts the request body; apply="content-type-xml" skips other types', () => {
    const p = instanceOf(f(xmlToJsonPolicy), '<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" />', 'inbound');
    const ctx = newContext({ headers: ['content-type', 'text/xml'] });
    ctx.requestBody = Buffer.from('<a>1</a>');
    p.run(ctx);
    assert.equal(String(ctx.requestBody), '{"a":"1"}');
    assert.equal(ctx.header('content-type'), 'application/json');
    const other = newContext({ headers: ['content-type', 'text/plain'] });
    other.requestBody = Buffer.from('<a>1</a>');
    p.run(other);
    assert.equal(String(other.requestBody), '<a>1</a>');
  });

  test('malformed XML and DOCTYPEs are refused with the side\'s code', () => {
    const p = instanceOf(f(xmlToJsonPolicy), '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', 'outbound');
    throwsCode(() => p.run(withResponse(newContext(), '<a><b></a>', 'application/xml')), 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE');
    throwsCode(() => p.run(withResponse(newContext(), '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'application/xml')), 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE');
    throwsCode(() => p.run(withResponse(newContext(), '<a>'.repeat(MAX_DEPTH + 5) + '</a>'.repeat(MAX_DEPTH + 5), 'application/xml')), 'OUTPOST_ERR_RESPONSE_BODY_NOT_CONVERTIBLE');
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(xmlToJsonPolicy), '<xml-to-json apply="always" />'), 'kind');
    assert.equal(compileErrorAttribute(f(xmlToJsonPolicy), '<xml-to-json kind="direct" />'), 'apply');
    assert.equal(compileErrorAttribute(f(xmlToJsonPolicy), '<xml-to-json kind="pretty" apply="always" />'), 'kind');
    assert.equal(compileErrorAttribute(f(xmlToJsonPolicy), '<xml-to-json kind="direct" apply="always" always-array-child-elements="1" />'), 'always-array-child-elements');
  });
});

describe('jsonp', () => {
  const p = instanceOf(f(jsonp), '<jsonp callback-parameter-name="cb" />', 'outbound');

  test('wraps the body in the callback the query names', () => {
    const ctx = withResponse(newContext({ query: 'x=1&cb=app.render_1' }), '{"a":1}', 'application/json');
    assert.equal(p.run(ctx), CONTINUE);
    assert.equal(responseText(ctx), 'app.render_1({"a":1});');
    assert.equal(responseType(ctx), 'application/javascript');
  });

  test('no callback parameter: the body is left as it is', () => {
    const ctx = withResponse(newContext({ query: 'x=1' }), '{"a":1}', 'application/json');
    p.run(ctx);
    assert.equal(responseText(ctx), '{"a":1}');
    assert.equal(responseType(ctx), 'application/json');
  });

  test('a callback that is not a JavaScript name is refused, never written', () => {
    throwsCode(() => p.run(withResponse(newContext({ query: 'cb=alert(1)//' }), '{}', 'application/json')), 'OUTPOST_ERR_JSONP_CALLBACK_INVALID');
    throwsCode(() => p.run(withResponse(newContext({ query: `cb=${'a'.repeat(129)}` }), '{}', 'application/json')), 'OUTPOST_ERR_JSONP_CALLBACK_INVALID');
  });

  test('the parameter name may be an expression; it is required', () => {
    const byExpression = instanceOf(f(jsonp), '<jsonp callback-parameter-name="@(&quot;call&quot; + &quot;back&quot;)" />', 'outbound');
    const ctx = withResponse(newContext({ query: 'callback=f' }), '[1]', 'application/json');
    byExpression.run(ctx);
    assert.equal(responseText(ctx), 'f([1]);');
    assert.equal(compileErrorAttribute(f(jsonp), '<jsonp />', 'outbound'), 'callback-parameter-name');
  });
});

describe('redirect-content-urls', () => {
  const api = { path: 'shop', origin: 'http://10.0.0.5:8080', basePath: '/api' } as CompiledApi;
  const gatewayCtx = (): RequestContext => {
    const ctx = newContext({ headers: ['host', '10.0.0.5:8080', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'gw.example.com'] });
    ctx.apiMeta = api;
    return ctx;
  };

  test('outbound: backend links point to the gateway', () => {
    const p = instanceOf(f(redirectContentUrls), '<redirect-content-urls />', 'outbound');
    const ctx = withResponse(gatewayCtx(), '{"self":"http://10.0.0.5:8080/api/orders/1","next":"http://10.0.0.5:8080/api/orders/2"}', 'application/json');
    assert.equal(p.run(ctx), CONTINUE);
    assert.equal(responseText(ctx), '{"self":"https://gw.example.com/shop/orders/1","next":"https://gw.example.com/shop/orders/2"}');
  });

  test('inbound: gateway links point to the backend; set-backend-service\'s choice counts', () => {
    const p = instanceOf(f(redirectContentUrls), '<redirect-content-urls />', 'inbound');
    const ctx = gatewayCtx();
    ctx.backendOrigin = 'http://other:9000';
    ctx.backendBasePath = '';
    ctx.requestBody = Buffer.from('see https://gw.example.com/shop/orders/1');
    p.run(ctx);
    assert.equal(String(ctx.requestBody), 'see http://other:9000/orders/1');
  });

  test('no forwarded host known: nothing changes; no attributes or children allowed', () => {
    const p = instanceOf(f(redirectContentUrls), '<redirect-content-urls />', 'outbound');
    const ctx = withResponse(newContext(), 'http://10.0.0.5:8080/api', 'text/plain');
    ctx.apiMeta = api;
    p.run(ctx);
    assert.equal(responseText(ctx), 'http://10.0.0.5:8080/api');
    assert.equal(compileErrorAttribute(f(redirectContentUrls), '<redirect-content-urls mode="x" />', 'outbound'), 'mode');
  });
});

describe('cross-domain', () => {
  const xml = '<cross-domain><cross-domain-policy><allow-access-from domain="*.example.com" secure="true" /><allow-http-request-headers-from domain="*" headers="SOAPAction" /></cross-domain-policy></cross-domain>';

  test('answers GET /crossdomain.xml with the policy file', () => {
    const p = instanceOf(f(crossDomain), xml, 'inbound');
    const ctx = newContext({ path: '/crossdomain.xml' });
    assert.equal(p.run(ctx), RESPOND);
    assert.equal(ctx.response!.status, 200);
    assert.deepEqual(ctx.response!.headers, ['content-type', 'text/x-cross-domain-policy']);
    assert.equal(String(ctx.response!.body), '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*.example.com" secure="true" /><allow-http-request-headers-from domain="*" headers="SOAPAction" /></cross-domain-policy>');
  });

  test('other paths and methods pass on', () => {
    const p = instanceOf(f(crossDomain), xml, 'inbound');
    assert.equal(p.run(newContext({ path: '/orders' })), CONTINUE);
    assert.equal(p.run(newContext({ method: 'POST', path: '/crossdomain.xml' })), CONTINUE);
  });

  test('only Adobe\'s policy-file elements and attributes compile', () => {
    assert.equal(compileErrorAttribute(f(crossDomain), '<cross-domain />'), null);
    assert.equal(compileErrorAttribute(f(crossDomain), '<cross-domain><cross-domain-policy><script /></cross-domain-policy></cross-domain>'), null);
    assert.equal(compileErrorAttribute(f(crossDomain), '<cross-domain><cross-domain-policy><allow-access-from domian="*" /></cross-domain-policy></cross-domain>'), 'domian');
  });
});

describe('proxy', () => {
  const proxy = findFactory('proxy')!;

  test('sets the route the forward goes through, with Basic credentials', () => {
    const ctx = newContext();
    assert.equal(instanceOf(proxy, '<proxy url="http://proxy.example:3128" username="u" password="p" />').run(ctx), CONTINUE);
    assert.deepEqual([ctx.proxy!.host, ctx.proxy!.port, ctx.proxy!.authorization], ['proxy.example', 3128, `Basic ${Buffer.from('u:p').toString('base64')}`]);
    const bare = newContext();
    instanceOf(proxy, '<proxy url="http://10.0.0.9" />').run(bare);
    assert.deepEqual([bare.proxy!.port, bare.proxy!.authorization], [80, null]);
  });

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(proxy, '<proxy />'), 'url');
    assert.equal(compileErrorAttribute(proxy, '<proxy url="https://proxy:8443" />'), 'url');
    assert.equal(compileErrorAttribute(proxy, '<proxy url="http://u:p@proxy:8080" />'), 'url');
    assert.equal(compileErrorAttribute(proxy, '<proxy url="http://proxy:8080/path" />'), 'url');
    assert.equal(compileErrorAttribute(proxy, '<proxy url="http://proxy:8080" password="p" />'), 'username');
    assert.equal(compileErrorAttribute(proxy, '<proxy url="http://proxy:8080" username="a:b" password="p" />'), 'username');
  });
});

describe('wait and enclosing limit-concurrency (compile and outcomes)', () => {
  const wait = findFactory('wait')!;
  const limit = findFactory('limit-concurrency')!;

  test('wait for="all" runs every child; the first that did not continue decides', () => {
    const p = instanceOf(wait, `<wait for="all">
      <choose><when condition="@(true)"><set-variable name="a" value="1" /></when></choose>
      <choose><when condition="@(true)"><set-variable name="b" value="2" /></when></choose>
    </wait>`, 'inbound');
    const ctx = newContext();
    assert.equal(p.run(ctx), CONTINUE);
    assert.deepEqual([ctx.variable('a'), ctx.variable('b')], ['1', '2']);
    const answers = instanceOf(wait, `<wait><choose><when condition="@(true)"><return-response><set-status code="202" reason="Accepted" /></return-response></when></choose>
      <choose><when condition="@(true)"><set-variable name="b" value="2" /></when></choose></wait>`, 'inbound');
    const ctx2 = newContext();
    assert.equal(answers.run(ctx2), RESPOND);
    assert.equal(ctx2.response!.status, 202);
    assert.equal(ctx2.variable('b'), '2');
  });

  test('wait for="any" completes with the first child to finish', () => {
    const p = instanceOf(wait, `<wait for="any">
      <choose><when condition="@(true)"><set-variable name="a" value="1" /></when></choose>
      <choose><when condition="@(true)"><set-variable name="b" value="2" /></when></choose>
    </wait>`, 'inbound');
    const ctx = newContext();
    assert.equal(p.run(ctx), CONTINUE);
    assert.equal(ctx.variable('a'), '1');
  });

  test('wait compile errors: children it may hold, at least one, for all|any', () => {
    assert.equal(compileErrorAttribute(wait, '<wait />', 'inbound'), null);
    assert.equal(compileErrorAttribute(wait, '<wait><set-header name="x" /></wait>', 'inbound'), null);
    assert.equal(compileErrorAttribute(wait, '<wait for="some"><choose><when condition="@(true)"><set-variable name="a" value="1" /></when></choose></wait>', 'inbound'), 'for');
    assert.equal(compileErrorAttribute(wait, '<wait><send-request mode="new"><set-url>http://a/</set-url></send-request></wait>', 'inbound'), 'response-variable-name');
  });

  test('limit-concurrency gives its slot back when the enclosed policies finish, not at the end of the request', () => {
    const p = instanceOf(limit, '<limit-concurrency key="ip" max-count="1"><set-variable name="in" value="yes" /></limit-concurrency>', 'inbound');
    const a = newContext();
    assert.equal(p.run(a), CONTINUE);
    assert.equal(a.variable('in'), 'yes');
    // a has not ended, yet its slot is free again: the enclosed policies are done.
    assert.equal(p.run(newContext()), CONTINUE);
  });

  test('limit-concurrency: an enclosed failure still gives the slot back; enclosed policies are compiled', () => {
    const p = instanceOf(limit, '<limit-concurrency key="ip" max-count="1"><set-variable name="x" value="@(((string)null).Length)" /></limit-concurrency>', 'inbound');
    const ctx = newContext();
    assert.equal(p.run(ctx), 2 /* FAIL */);
    assert.equal(ctx.lastError?.policy, 'set-variable');
    assert.equal(p.run(newContext()), 2);
    assert.throws(() => compileOne(limit, '<limit-concurrency key="ip" max-count="1"><set-header /></limit-concurrency>', 'inbound'), /limit-concurrency\[0\]\/set-header\[0\]/);
    assert.throws(() => compileOne(limit, '<limit-concurrency key="ip" max-count="1"><bogus /></limit-concurrency>', 'inbound'), /unknown policy "bogus"/);
  });
});

describe('proxy tunnel (CONNECT)', () => {
  test('CONNECT: the request names the authority; the answer opens the tunnel only on 2xx with nothing after it', () => {
    const route = proxyRoute('p', 3128, 'u', 'p');
    assert.equal(connectRequest(route, 'api.example', 443), `CONNECT api.example:443 HTTP/1.1\r\nHost: api.example:443\r\nProxy-Authorization: Basic ${Buffer.from('u:p').toString('base64')}\r\n\r\n`);
    assert.equal(connectRequest(proxyRoute('p', 1, null, null), '::1', 8443), 'CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n');
    assert.equal(connectAnswer('HTTP/1.1 200 Connection'), null);
    assert.equal(connectAnswer('HTTP/1.1 200 Connection Established\r\n\r\n'), '');
    assert.match(connectAnswer('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n')!, /refused the tunnel: HTTP\/1.1 407/);
    assert.match(connectAnswer('HTTP/1.1 200 OK\r\n\r\nextra')!, /bytes after/);
    assert.match(connectAnswer('x'.repeat(9000))!, /too large/);
    assert.notEqual(route.key.includes('u:p'), true);
  });
});
