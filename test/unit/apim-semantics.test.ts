/**
 * Where Outpost differed from APIM (issue 12), each case failing before its fix: attributes and
 * elements inside text-only children are refused, not ignored; a CORS origin with a trailing slash
 * is accepted; set-header's several values are one comma-joined line (APIM's usage notes), except
 * for the headers APIM keeps on separate lines; template query parameters are validated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import { PolicyCompileError, PolicyCompileErrors } from '../../src/gateway/pipeline/policy-element.js';
import { setHeader } from '../../src/gateway/policies/set-header.js';
import { setQueryParameter } from '../../src/gateway/policies/set-query-parameter.js';
import { checkHeader } from '../../src/gateway/policies/check-header.js';
import { returnResponse } from '../../src/gateway/policies/return-response.js';
import { cors } from '../../src/gateway/policies/cors.js';
import { validateJwt } from '../../src/gateway/policies/validate-jwt.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { RESPOND } from '../../src/gateway/pipeline/phases.js';
import { checkTemplate } from '../../src/shared/url-template.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';

function compileMessage(factory: PolicyFactory<unknown>, xml: string, section?: 'inbound' | 'outbound'): string {
  try { compileOne(factory, xml, section); } catch (err) {
    assert.ok(err instanceof PolicyCompileError || err instanceof PolicyCompileErrors, String(err));
    return err.message;
  }
  assert.fail(`compiled without error: ${xml}`);
}

test('an attribute or element inside a text-only child is a compile error naming it', () => {
  const cases: Array<[PolicyFactory<unknown>, string, RegExp]> = [
    [setHeader as PolicyFactory<unknown>, '<set-header name="x"><value bogus="1">v</value></set-header>', /set-header\[0\]\/value\[0\] @bogus: unknown attribute/],
    [setHeader as PolicyFactory<unknown>, '<set-header name="x"><value><b>v</b></value></set-header>', /set-header\[0\]\/value\[0\]: unknown child element <b>/],
    [setQueryParameter as PolicyFactory<unknown>, '<set-query-parameter name="q"><value>1</value><value extra="2">2</value></set-query-parameter>', /value\[1\] @extra: unknown attribute/],
    [checkHeader as PolicyFactory<unknown>, '<check-header name="x" failed-check-httpcode="401" failed-check-error-message="no"><value flag="1">a</value></check-header>', /value\[0\] @flag/],
    [returnResponse as PolicyFactory<unknown>, '<return-response><set-body bogus-attr="1">x</set-body></return-response>', /return-response\[0\]\/set-body\[0\] @bogus-attr: unknown attribute/],
    [returnResponse as PolicyFactory<unknown>, '<return-response><set-header name="x"><value odd="1">v</value></set-header></return-response>', /set-header\[0\]\/value\[0\] @odd/],
    [cors as PolicyFactory<unknown>, '<cors><allowed-origins><origin any="1">*</origin></allowed-origins></cors>', /allowed-origins\[0\]\/origin\[0\] @any: unknown attribute/],
    [validateJwt as PolicyFactory<unknown>, '<validate-jwt header-name="Authorization"><issuer-signing-keys><key>c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==</key></issuer-signing-keys><audiences><audience x="1">a</audience></audiences></validate-jwt>', /audiences\[1\]\/audience\[0\] @x/],
  ];
  for (const [factory, xml, expected] of cases) assert.match(compileMessage(factory, xml), expected, xml);
  // Every problem is reported at once.
  assert.match(compileMessage(setHeader as PolicyFactory<unknown>, '<set-header name="x"><value a="1">v</value><value b="2">w</value></set-header>'), /@a.*@b/);
});

test('a CORS origin with a trailing slash is accepted and matches the browser\'s Origin', () => {
  const policy = instanceOf(cors as PolicyFactory<unknown>, '<cors><allowed-origins><origin>https://app.example/</origin></allowed-origins></cors>');
  const ctx = newContext({ method: 'OPTIONS', headers: ['origin', 'https://app.example', 'access-control-request-method', 'GET'] });
  assert.equal(policy.run(ctx), RESPOND);
  assert.deepEqual(ctx.response?.headers.slice(0, 2), ['access-control-allow-origin', 'https://app.example']);
  // A path is still not an origin.
  assert.equal(compileErrorAttribute(cors as PolicyFactory<unknown>, '<cors><allowed-origins><origin>https://app.example/a/</origin></allowed-origins></cors>'), null);
});

test('set-header: several values are one line joined with ","; append adds to the existing line', () => {
  const run = (xml: string, headers: string[], section: 'inbound' | 'outbound' = 'inbound'): string[] => {
    const ctx = newContext({ headers: [...headers] });
    instanceOf(setHeader as PolicyFactory<unknown>, xml, section).run(ctx);
    return ctx.headers;
  };
  assert.deepEqual(run('<set-header name="X-Multi"><value>a</value><value>b</value><value>c</value></set-header>', []), ['x-multi', 'a,b,c']);
  assert.deepEqual(run('<set-header name="x-list" exists-action="append"><value>b</value><value>c</value></set-header>', ['x-list', 'a']), ['x-list', 'a,b,c']);
  assert.deepEqual(run('<set-header name="x-list" exists-action="append"><value>b</value></set-header>', []), ['x-list', 'b']);
  // APIM keeps these on separate lines: their values may hold commas or dates.
  assert.deepEqual(run('<set-header name="Set-Cookie"><value>a=1</value><value>b=2</value></set-header>', []), ['set-cookie', 'a=1', 'set-cookie', 'b=2']);
  assert.deepEqual(run('<set-header name="User-Agent" exists-action="append"><value>b</value></set-header>', ['user-agent', 'a']), ['user-agent', 'a', 'user-agent', 'b']);
});

test('template query parameters: name={param} pairs, names unique across path and query', () => {
  assert.deepEqual(checkTemplate('/items/{kind}?id={id}&the%20view={view}'), {
    path: [{ kind: 'static', value: 'items' }, { kind: 'param', name: 'kind' }],
    query: [{ query: 'id', param: 'id' }, { query: 'the view', param: 'view' }],
  });
  assert.match(checkTemplate('/items?id=7') as string, /must be name=\{parameter\}/);
  assert.match(checkTemplate('/items/{id}?id={id}') as string, /\{id\} appears twice/);
  assert.match(checkTemplate('/items?a={x}&a={y}') as string, /"a" appears twice/);
  const result = validateGatewayConfig({ apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'o', method: 'GET', urlTemplate: '/x?id' }] }] });
  assert.ok(!result.ok);
  assert.equal(result.problems[0].path, 'apis[0].operations[0].urlTemplate');
});
