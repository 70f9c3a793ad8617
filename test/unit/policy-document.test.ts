/**
 * parsePolicyDocument: YAML and APIM XML give the same trees; the YAML mapping rules; the errors
 * (unknown section, bad items, malformed XML, C# expressions) and where they point. Named values:
 * substitution, unknown names, and secrets never appearing in an error.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { parsePolicyDocument, type PolicyDocument } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError, type PolicyElement } from '../../src/gateway/pipeline/policy-element.js';
import {
  findSecretUses, redactSecrets, substituteNamedValues, type NamedValues,
} from '../../src/gateway/pipeline/named-values.js';

const SCOPE = 'api "orders"';

function el(name: string, attrs: Record<string, string> = {}, children: PolicyElement[] = [], text = ''): PolicyElement {
  return { name, attrs, children, text };
}

/** Runs `fn`, expects a PolicyCompileError, returns it. */
function compileError(fn: () => unknown): PolicyCompileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PolicyCompileError, `expected PolicyCompileError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a PolicyCompileError');
}

const fromYaml = (text: string, scope = SCOPE): PolicyDocument => parsePolicyDocument(parseYaml(text), scope);

const YAML_DOC = `
inbound:
  - base
  - rate-limit: { calls: 5, renewal-period: 60 }
  - check-header:
      name: Authorization
      failed-check-httpcode: 401
      failed-check-error-message: Not authorized
      ignore-case: true
      value: [Bearer a, Bearer b]
  - ip-filter:
      action: allow
      address: 10.0.0.1
      address-range: { from: 10.1.0.0, to: 10.1.255.255 }
  - cors:
      allow-credentials: false
      allowed-origins: { origin: [https://a.example, https://b.example] }
      allowed-methods: { preflight-result-max-age: 300, method: [GET, POST] }
      allowed-headers: { header: x-one }
  - choose:
      when:
        - condition: "method == 'GET'"
          policies:
            - set-header: { name: X-Get, exists-action: override, value: got }
            - set-query-parameter: { name: page, value: [1, 2] }
        - condition: "path ~ '/admin'"
          policies:
            - return-response:
                set-status: { code: 403, reason: Forbidden }
                set-header: { name: Content-Type, value: application/json }
                set-body: '{"error":"admin"}'
      otherwise:
        - set-header: { name: X-Other, value: "1" }
        - rewrite-uri: { template: "/v2/{id}", copy-unmatched-params: false }
backend:
  - retry:
      condition: status >= 500
      count: 3
      interval: 0.5
      policies:
        - forward-request: { timeout: 30 }
outbound:
  - set-header: { name: X-Powered-By, exists-action: delete }
  - base: {}
on-error:
  - set-method: POST
  - set-body: { text: oops }
`;

const XML_DOC = `<?xml version="1.0" encoding="utf-8"?>
<!-- the same policies as YAML_DOC -->
<policies>
  <inbound>
    <base />
    <rate-limit calls="5" renewal-period="60" />
    <check-header name="Authorization" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="true">
      <value>Bearer a</value>
      <value>Bearer b</value>
    </check-header>
    <ip-filter action="allow">
      <address>10.0.0.1</address>
      <address-range from="10.1.0.0" to="10.1.255.255" />
    </ip-filter>
    <cors allow-credentials="false">
      <allowed-origins><origin>https://a.example</origin><origin>https://b.example</origin></allowed-origins>
      <allowed-methods preflight-result-max-age="300"><method>GET</method><method>POST</method></allowed-methods>
      <allowed-headers><header>x-one</header></allowed-headers>
    </cors>
    <choose>
      <when condition="method == 'GET'">
        <set-header name="X-Get" exists-action="override"><value>got</value></set-header>
        <set-query-parameter name="page"><value>1</value><value>2</value></set-query-parameter>
      </when>
      <when condition="path ~ '/admin'">
        <return-response>
          <set-status code="403" reason="Forbidden" />
          <set-header name="Content-Type"><value>application/json</value></set-header>
          <set-body>{"error":"admin"}</set-body>
        </return-response>
      </when>
      <otherwise>
        <set-header name="X-Other"><value>1</value></set-header>
        <rewrite-uri template="/v2/{id}" copy-unmatched-params="false" />
      </otherwise>
    </choose>
  </inbound>
  <backend>
    <retry condition="status &gt;= 500" count="3" interval="0.5">
      <forward-request timeout="30" />
    </retry>
  </backend>
  <outbound>
    <set-header name="X-Powered-By" exists-action="delete" />
    <base />
  </outbound>
  <on-error>
    <set-method>POST</set-method>
    <set-body>oops</set-body>
  </on-error>
</policies>`;

describe('parsePolicyDocument: YAML and XML give the same tree', () => {
  test('a document with every kind of attribute, text children and nested policies', () => {
    assert.deepEqual(fromYaml(YAML_DOC), parsePolicyDocument(XML_DOC, SCOPE));
  });

  test('the exact tree: scalars as string attributes, text children, repeated children', () => {
    const doc = parsePolicyDocument(XML_DOC, SCOPE);
    assert.deepEqual(doc.inbound?.slice(0, 4), [
      el('base'),
      el('rate-limit', { calls: '5', 'renewal-period': '60' }),
      el('check-header', {
        name: 'Authorization', 'failed-check-httpcode': '401',
        'failed-check-error-message': 'Not authorized', 'ignore-case': 'true',
      }, [el('value', {}, [], 'Bearer a'), el('value', {}, [], 'Bearer b')]),
      el('ip-filter', { action: 'allow' }, [
        el('address', {}, [], '10.0.0.1'), el('address-range', { from: '10.1.0.0', to: '10.1.255.255' }),
      ]),
    ]);
    assert.deepEqual(doc.backend, [
      el('retry', { condition: 'status >= 500', count: '3', interval: '0.5' }, [el('forward-request', { timeout: '30' })]),
    ]);
    assert.deepEqual(doc['on-error'], [el('set-method', {}, [], 'POST'), el('set-body', {}, [], 'oops')]);
  });

  test('choose / when / otherwise: policies become the children of when and otherwise', () => {
    const choose = fromYaml(YAML_DOC).inbound?.[5];
    assert.deepEqual(choose, el('choose', {}, [
      el('when', { condition: "method == 'GET'" }, [
        el('set-header', { name: 'X-Get', 'exists-action': 'override' }, [el('value', {}, [], 'got')]),
        el('set-query-parameter', { name: 'page' }, [el('value', {}, [], '1'), el('value', {}, [], '2')]),
      ]),
      el('when', { condition: "path ~ '/admin'" }, [
        el('return-response', {}, [
          el('set-status', { code: '403', reason: 'Forbidden' }),
          el('set-header', { name: 'Content-Type' }, [el('value', {}, [], 'application/json')]),
          el('set-body', {}, [], '{"error":"admin"}'),
        ]),
      ]),
      el('otherwise', {}, [
        el('set-header', { name: 'X-Other' }, [el('value', {}, [], '1')]),
        el('rewrite-uri', { template: '/v2/{id}', 'copy-unmatched-params': 'false' }),
      ]),
    ]));
  });

  test('base as a bare name, an empty map or null is the same element', () => {
    const expected = { inbound: [el('base')] };
    assert.deepEqual(fromYaml('inbound: [base]'), expected);
    assert.deepEqual(fromYaml('inbound: [{ base: {} }]'), expected);
    assert.deepEqual(fromYaml('inbound:\n  - base:\n'), expected);
    assert.deepEqual(parsePolicyDocument('<policies><inbound><base/></inbound></policies>', SCOPE), expected);
  });

  test('otherwise: [...] is short for otherwise: { policies: [...] }; a single when may be a map', () => {
    const long = fromYaml(`inbound:
  - choose:
      when: { condition: a, policies: [{ set-method: GET }] }
      otherwise: { policies: [forward-request, { set-method: PUT }] }`);
    const short = fromYaml(`inbound:
  - choose:
      when: [{ condition: a, policies: [{ set-method: GET }] }]
      otherwise: [forward-request, { set-method: PUT }]`);
    assert.deepEqual(long, short);
    assert.deepEqual(long.inbound?.[0].children.map((c) => c.name), ['when', 'otherwise']);
  });

  test('text key, null child, number formatting, sections left out stay undefined', () => {
    const doc = fromYaml(`outbound:
  - mock-response: { status-code: 200, content-type: application/json, weight: 0.25, big: 1e3 }
  - set-body: { text: 42, template: none }
  - limit-concurrency: { key: k, max-count: 1, policies: [forward-request] }
  - some-policy: { child: null, empty: {} }`);
    assert.deepEqual(doc, { outbound: [
      el('mock-response', { 'status-code': '200', 'content-type': 'application/json', weight: '0.25', big: '1000' }),
      el('set-body', { template: 'none' }, [], '42'),
      el('limit-concurrency', { key: 'k', 'max-count': '1' }, [el('forward-request')]),
      el('some-policy', {}, [el('child'), el('empty')]),
    ] });
    assert.equal('inbound' in doc, false);
  });

  test('an empty section is defined and empty, in both forms', () => {
    assert.deepEqual(fromYaml('inbound: []'), { inbound: [] });
    assert.deepEqual(parsePolicyDocument('<policies><inbound /><backend></backend></policies>', SCOPE), { inbound: [], backend: [] });
  });

  test('XML: entities and character references decoded, CDATA kept as written, comments ignored', () => {
    const doc = parsePolicyDocument(`<policies><inbound>
      <set-header name="a&amp;b &lt;&gt; &quot;&apos; &#65;&#x42;"><!-- note --><value>  x &amp;#64; y  </value></set-header>
      <set-body><![CDATA[ <raw> & stuff ]]></set-body>
    </inbound></policies>`, SCOPE);
    assert.deepEqual(doc.inbound, [
      el('set-header', { name: 'a&b <> "\' AB' }, [el('value', {}, [], 'x &#64; y')]),
      el('set-body', {}, [], ' <raw> & stuff '),
    ]);
  });
});

describe('parsePolicyDocument: errors', () => {
  test('unknown section, in YAML and XML', () => {
    const y = compileError(() => fromYaml('inbound: []\nfrontend: []'));
    assert.deepEqual(y.at, { scope: SCOPE, section: 'policies', element: 'frontend', index: 1 });
    const x = compileError(() => parsePolicyDocument('<policies><inbound/><frontend/></policies>', SCOPE));
    assert.deepEqual(x.at, y.at);
  });

  test('an element directly in <policies>, text in a section, a repeated section', () => {
    const outside = compileError(() => parsePolicyDocument('<policies><rate-limit calls="1"/></policies>', SCOPE));
    assert.deepEqual(outside.at, { scope: SCOPE, section: 'policies', element: 'rate-limit', index: 0 });
    const text = compileError(() => parsePolicyDocument('<policies><inbound>hello<base/></inbound></policies>', SCOPE));
    assert.equal(text.at.element, 'inbound');
    const twice = compileError(() => parsePolicyDocument('<policies><inbound/><inbound/></policies>', SCOPE));
    assert.deepEqual([twice.at.element, twice.at.index], ['inbound', 1]);
  });

  test('items that are not a single-key map or a name', () => {
    for (const [yaml, element] of [
      ['inbound: [base, { rate-limit: { calls: 1 }, set-method: GET }]', 'rate-limit + set-method'],
      ['inbound: [base, 7]', '(number)'],
      ['inbound: [base, {}]', '{}'],
      ['inbound: [base, [a]]', '(object)'],
    ] as const) {
      const err = compileError(() => fromYaml(yaml));
      assert.deepEqual(err.at, { scope: SCOPE, section: 'inbound', element, index: 1 }, yaml);
    }
    const nested = compileError(() => fromYaml('inbound: [{ choose: { when: { condition: c, policies: [base, 3] } } }]'));
    assert.deepEqual([nested.at.element, nested.at.index], ['choose[0]/when[0]/(number)', 1]);
  });

  test('a section that is not a list, a policy whose value is a list, a document that is not a mapping', () => {
    assert.equal(compileError(() => fromYaml('inbound:\n')).at.element, 'inbound');
    assert.equal(compileError(() => fromYaml('inbound: { base: {} }')).at.element, 'inbound');
    assert.equal(compileError(() => fromYaml('inbound: [{ retry: [forward-request] }]')).at.element, 'retry');
    assert.equal(compileError(() => parsePolicyDocument([1], SCOPE)).at.section, 'policies');
    assert.equal(compileError(() => parsePolicyDocument(null, SCOPE)).at.section, 'policies');
  });

  test('malformed XML says where, with line and column', () => {
    const err = compileError(() => parsePolicyDocument('<policies>\n  <inbound>\n    <base>\n  </inbound>\n</policies>', SCOPE));
    assert.equal(err.at.scope, SCOPE);
    assert.match(err.message, /line 4, column \d+/);
    const attr = compileError(() => parsePolicyDocument('<policies>\n<inbound><rate-limit calls=5 /></inbound></policies>', SCOPE));
    assert.match(attr.message, /line 2, column \d+/);
    const unclosed = compileError(() => parsePolicyDocument('<policies><inbound><set-body>', SCOPE));
    assert.match(unclosed.message, /<policies> <inbound> <set-body>/);
  });

  test('a root other than <policies>, or more than one root', () => {
    compileError(() => parsePolicyDocument('<policy><inbound/></policy>', SCOPE));
    compileError(() => parsePolicyDocument('<policies/><policies/>', SCOPE));
    compileError(() => parsePolicyDocument('', SCOPE));
  });

  test('DOCTYPE, entity declarations and non-XML entities are refused', () => {
    compileError(() => parsePolicyDocument('<!DOCTYPE p [<!ENTITY e "x">]><policies><inbound/></policies>', SCOPE));
    compileError(() => parsePolicyDocument('<policies><inbound><set-body>&e;</set-body></inbound></policies>', SCOPE));
    const nbsp = compileError(() => parsePolicyDocument('<policies>\n<inbound>\n  <set-body>a&nbsp;b</set-body></inbound></policies>', SCOPE));
    assert.match(nbsp.message, /line 3, column 14/);
    compileError(() => parsePolicyDocument('<policies><inbound><set-body>a & b</set-body></inbound></policies>', SCOPE));
    // Inside CDATA and comments they are only text.
    parsePolicyDocument('<policies><!-- <!DOCTYPE x> &nbsp; --><inbound><set-body><![CDATA[&nbsp;]]></set-body></inbound></policies>', SCOPE);
  });

  test('a C# expression in an attribute names the scope, section, element and attribute', () => {
    const yaml = compileError(() => fromYaml('inbound:\n  - base\n  - set-header: { name: X, exists-action: "@(context.Foo)" }'));
    const xml = compileError(() => parsePolicyDocument(
      '<policies><inbound><base/><set-header name="X" exists-action="@(context.Foo)"/></inbound></policies>', SCOPE));
    for (const err of [yaml, xml]) {
      assert.deepEqual(err.at, { scope: SCOPE, section: 'inbound', element: 'set-header', index: 1 });
      assert.equal(err.attribute, 'exists-action');
      assert.match(err.message, /api "orders" \/ inbound \/ set-header\[1\] @exists-action/);
    }
  });

  test('a C# expression where no policy evaluates one names the element path', () => {
    const text = compileError(() => parsePolicyDocument(
      '<policies><outbound><xml-to-json>@{ return "x"; }</xml-to-json></outbound></policies>', SCOPE));
    assert.deepEqual([text.at.section, text.at.element, text.at.index, text.attribute], ['outbound', 'xml-to-json', 0, null]);
    const nested = compileError(() => fromYaml(`inbound:
  - choose:
      when:
        - condition: ok
          policies:
            - set-method: GET
            - check-header: { name: X, value: "@(1+1)" }`));
    assert.deepEqual(nested.at, { scope: SCOPE, section: 'inbound', element: 'choose[0]/when[0]/check-header[1]/value', index: 0 });
    assert.equal(nested.attribute, null);
    const escaped = compileError(() => parsePolicyDocument(
      '<policies><inbound><rate-limit calls="&#64;(10)" renewal-period="1"/></inbound></policies>', SCOPE));
    assert.equal(escaped.attribute, 'calls');
  });

  test('base anywhere but directly in a section', () => {
    const err = compileError(() => fromYaml('inbound: [{ choose: { otherwise: [base] } }]'));
    assert.deepEqual(err.at, { scope: SCOPE, section: 'inbound', element: 'choose[0]/otherwise[0]/base', index: 0 });
  });
});

describe('named values', () => {
  const values: NamedValues = new Map([
    ['backend-host', { value: 'api.internal', secret: false }],
    ['region', { value: 'eu-{{nested}}', secret: false }],
    ['api-key', { value: 'S3cr3t-Value!', secret: true }],
    ['expr', { value: '@(context.Request.Url)', secret: false }],
  ]);
  const doc = (): PolicyDocument => fromYaml(`inbound:
  - set-backend-service: { base-url: "https://{{backend-host}}/{{region}}" }
  - set-header: { name: x-api-key, value: "{{api-key}}" }
outbound:
  - set-body: { text: "host={{backend-host}}" }`);

  test('substituted in attributes and text, once, without changing the input', () => {
    const source = doc();
    const before = structuredClone(source);
    const out = substituteNamedValues(source, values, SCOPE);
    assert.deepEqual(out, {
      inbound: [
        el('set-backend-service', { 'base-url': 'https://api.internal/eu-{{nested}}' }),
        el('set-header', { name: 'x-api-key' }, [el('value', {}, [], 'S3cr3t-Value!')]),
      ],
      outbound: [el('set-body', {}, [], 'host=api.internal')],
    });
    assert.deepEqual(source, before);
  });

  test('an unknown name names the element and attribute', () => {
    const err = compileError(() => substituteNamedValues(
      fromYaml('inbound: [{ rate-limit: { calls: "{{limit}}", renewal-period: 60 } }]'), values, SCOPE));
    assert.deepEqual(err.at, { scope: SCOPE, section: 'inbound', element: 'rate-limit', index: 0 });
    assert.equal(err.attribute, 'calls');
    assert.match(err.message, /limit/);
    const text = compileError(() => substituteNamedValues(fromYaml('inbound: [{ set-body: "{{nope}}" }]'), values, SCOPE));
    assert.deepEqual([text.at.element, text.attribute], ['set-body', null]);
    compileError(() => substituteNamedValues(fromYaml('inbound: [{ set-body: "{{ spaced }}" }]'), values, SCOPE));
  });

  test('a non-secret value holding a C# expression is refused; a secret is literal', () => {
    const err = compileError(() => substituteNamedValues(fromYaml('inbound: [{ set-body: "{{expr}}" }]'), values, SCOPE));
    assert.equal(err.at.element, 'set-body');
    const secret = new Map([['pw', { value: 'p@(ss', secret: true }]]);
    assert.equal(substituteNamedValues(fromYaml('inbound: [{ set-body: "{{pw}}" }]'), secret, SCOPE).inbound?.[0].text, 'p@(ss');
  });

  test('a secret value never appears in any error message', () => {
    const messages = [
      () => substituteNamedValues(fromYaml('inbound: [{ set-header: { name: "{{api-key}}", value: "{{API-KEY}}" } }]'), values, SCOPE),
      () => substituteNamedValues(fromYaml('inbound: [{ set-header: { name: "{{api-key}}", value: "{{missing}}" } }]'), values, SCOPE),
      () => substituteNamedValues(fromYaml('inbound: [{ set-body: "{{api-key}} {{expr}}" }]'), values, SCOPE),
    ].map((fn) => compileError(fn).message);
    assert.match(messages[0], /did you mean "api-key"/);
    for (const m of messages) assert.equal(m.includes('S3cr3t-Value!'), false, m);
  });

  test('findSecretUses lists the elements that hold secrets; redactSecrets scrubs them', () => {
    assert.deepEqual(findSecretUses(doc(), values, SCOPE), [
      { at: { scope: SCOPE, section: 'inbound', element: 'set-header[1]/value', index: 0 }, attribute: null, name: 'api-key' },
    ]);
    assert.equal(redactSecrets('header x-api-key is "S3cr3t-Value!" (S3cr3t-Value!)', values), 'header x-api-key is "***" (***)');
  });
});
