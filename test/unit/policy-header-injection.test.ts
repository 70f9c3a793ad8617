/**
 * Response splitting: every place a policy writes a header name, a header value or a status
 * reason refuses CR, LF, NUL and other bytes RFC 9110 does not allow there, at compile time, with
 * OUTPOST_ERR_POLICY_INVALID naming the attribute (named values included, without quoting a
 * secret); the values cors echoes from the request are checked per request and fail it with
 * OUTPOST_ERR_HEADER_VALUE_INVALID instead of being written.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import type { Section } from '../../src/gateway/pipeline/phases.js';
import { FAIL } from '../../src/gateway/pipeline/phases.js';
import { findFactory } from '../../src/gateway/policies/registry.js';
import { runSection } from '../../src/gateway/pipeline/run-section.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { OutpostError } from '../../src/shared/errors.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';

const SPLIT = 'ok\r\nSet-Cookie: evil=1';
const factory = (name: string) => findFactory(name)!;

/** [what, policy name, YAML value or XML element, section, the attribute the error names]. */
const CASES: Array<[string, string, unknown, Section, string | null]> = [
  ['set-header value with CR LF', 'set-header', { name: 'x-a', value: SPLIT }, 'inbound', 'value'],
  ['set-header value with LF only', 'set-header', { name: 'x-a', value: 'a\nb' }, 'outbound', 'value'],
  ['set-header value with NUL', 'set-header', { name: 'x-a', value: 'a\u0000b' }, 'outbound', 'value'],
  ['set-header value with a control byte', 'set-header', { name: 'x-a', value: 'a\u0001b' }, 'on-error', 'value'],
  ['set-header value with DEL', 'set-header', { name: 'x-a', value: 'a\u007fb' }, 'inbound', 'value'],
  ['set-header value beyond U+00FF', 'set-header', { name: 'x-a', value: 'a\u0100b' }, 'inbound', 'value'],
  ['set-header value with leading space', 'set-header', { name: 'x-a', value: ' a' }, 'inbound', 'value'],
  ['set-header value, second of several', 'set-header', { name: 'x-a', value: ['fine', SPLIT] }, 'outbound', 'value'],
  ['set-header value from XML character references', 'set-header', '<set-header name="x-a"><value>a&#13;&#10;Set-Cookie: b</value></set-header>', 'outbound', 'value'],
  ['set-header name with CR LF', 'set-header', { name: 'x-a\r\nx-b', value: 'v' }, 'inbound', 'name'],
  ['set-header name with a space', 'set-header', { name: 'x a', value: 'v' }, 'outbound', 'name'],
  ['return-response header value', 'return-response', { 'set-header': { name: 'x-a', value: SPLIT } }, 'inbound', 'value'],
  ['return-response header name', 'return-response', { 'set-header': { name: 'x-a\r\nx', value: 'v' } }, 'inbound', 'name'],
  ['return-response reason', 'return-response', { 'set-status': { code: 200, reason: `OK\r\nContent-Length: 0` } }, 'inbound', 'reason'],
  ['return-response reason from an XML character reference', 'return-response', '<return-response><set-status code="200" reason="OK&#10;X-Injected: 1" /></return-response>', 'inbound', 'reason'],
  ['mock-response header value', 'mock-response', { 'set-header': { name: 'x-a', value: SPLIT } }, 'inbound', 'value'],
  ['mock-response content-type', 'mock-response', { 'content-type': 'text/plain\r\nX-Injected: 1' }, 'inbound', 'content-type'],
  ['set-status reason', 'set-status', { code: 503, reason: 'Down\r\nX-Injected: 1' }, 'on-error', 'reason'],
  ['set-status reason with a control byte', 'set-status', { code: 503, reason: 'Down\u0008' }, 'outbound', 'reason'],
  ['rate-limit remaining-calls-header-name', 'rate-limit', { calls: 1, 'renewal-period': 1, 'remaining-calls-header-name': 'x-r\r\nx-s' }, 'inbound', 'remaining-calls-header-name'],
  ['rate-limit retry-after-header-name', 'rate-limit', { calls: 1, 'renewal-period': 1, 'retry-after-header-name': 'x-r\n' }, 'inbound', 'retry-after-header-name'],
  ['rate-limit total-calls-header-name', 'rate-limit', { calls: 1, 'renewal-period': 1, 'total-calls-header-name': 'x:y' }, 'inbound', 'total-calls-header-name'],
  ['rate-limit-by-key remaining-calls-header-name', 'rate-limit-by-key', { calls: 1, 'renewal-period': 1, 'counter-key': 'ip', 'remaining-calls-header-name': 'x\r\ny' }, 'inbound', 'remaining-calls-header-name'],
  ['rate-limit-by-key counter-key header name', 'rate-limit-by-key', { calls: 1, 'renewal-period': 1, 'counter-key': 'header:x\r\ny' }, 'inbound', 'counter-key'],
  ['quota remaining-calls-header-name (not a quota attribute)', 'quota', { calls: 1, 'renewal-period': 60, 'remaining-calls-header-name': 'x\r\ny' }, 'inbound', 'remaining-calls-header-name'],
  ['quota-by-key counter-key header name', 'quota-by-key', { calls: 1, 'renewal-period': 60, 'counter-key': 'header:x y' }, 'inbound', 'counter-key'],
  ['limit-concurrency key header name', 'limit-concurrency', { key: 'header:x\ny', 'max-count': 1 }, 'inbound', 'key'],
  ['cors allowed-headers', 'cors', { 'allowed-origins': { origin: '*' }, 'allowed-headers': { header: ['x-a\r\nSet-Cookie: b'] } }, 'inbound', null],
  ['cors expose-headers', 'cors', { 'allowed-origins': { origin: '*' }, 'expose-headers': { header: ['x-a', 'x-b\r\nSet-Cookie: b'] } }, 'inbound', null],
  ['cors allowed-methods', 'cors', { 'allowed-origins': { origin: '*' }, 'allowed-methods': { method: ['GET\r\nX'] } }, 'inbound', null],
  ['cors origin with a control byte', 'cors', { 'allowed-origins': { origin: 'https://a.example\u0001' } }, 'inbound', null],
  ['check-header name', 'check-header', { name: 'x-a\r\nx-b', 'failed-check-httpcode': 401, 'failed-check-error-message': 'no' }, 'inbound', 'name'],
  ['validate-jwt header-name', 'validate-jwt', { 'header-name': 'x-token\r\nx' }, 'inbound', 'header-name'],
  ['validate-jwt require-scheme', 'validate-jwt', { 'header-name': 'x-token', 'require-scheme': 'Bearer\r\nX' }, 'inbound', 'require-scheme'],
  ['set-method', 'set-method', 'GET\r\nX-Injected: 1', 'inbound', null],
  ['a set-header nested in choose', 'choose', { when: { condition: 'true', policies: [{ 'set-header': { name: 'x-a', value: SPLIT } }] } }, 'outbound', 'value'],
];

function compileError(name: string, policy: unknown, section: Section): PolicyCompileError {
  try {
    compileOne(factory(name) as PolicyFactory<unknown>, policy, section);
  } catch (err) {
    assert.ok(err instanceof PolicyCompileError, String(err));
    return err;
  }
  assert.fail('compiled without error');
}

describe('header syntax: refused at compile time', () => {
  for (const [what, name, policy, section, attribute] of CASES) {
    test(what, () => {
      const err = compileError(name, policy, section);
      assert.equal(err.code, 'OUTPOST_ERR_POLICY_INVALID');
      assert.equal(err.attribute, attribute, err.message);
      assert.ok(!err.message.includes('\r') && !err.message.includes('\n'), 'the message itself carries no CR or LF');
    });
  }

  test('valid names, values (obs-text, inner spaces and tabs, empty) and reasons still compile', () => {
    compileOne(factory('set-header') as PolicyFactory<unknown>, { name: 'X-Ok_1.~', value: ['caf\u00e9 au\tlait', ''] }, 'outbound');
    compileOne(factory('return-response') as PolicyFactory<unknown>, { 'set-status': { code: 418, reason: "I'm a teapot\t\u00e9" }, 'set-header': { name: 'x-a', value: 'v' } }, 'inbound');
    compileOne(factory('rate-limit') as PolicyFactory<unknown>, { calls: 1, 'renewal-period': 1, 'remaining-calls-header-name': 'X-Left', 'total-calls-header-name': 'X-Total' }, 'inbound');
  });

  test('rate-limit writes total-calls-header-name next to remaining-calls-header-name', () => {
    const limit = instanceOf(factory('rate-limit') as PolicyFactory<unknown>, { calls: 5, 'renewal-period': 60, 'remaining-calls-header-name': 'X-Left', 'total-calls-header-name': 'X-Total' });
    const ctx = newContext();
    limit.run(ctx);
    assert.deepEqual(ctx.extraResponseHeaders, ['x-left', '4', 'x-total', '5']);
  });

  test('a named value that would split the response is refused where it is used, and the message does not quote it', () => {
    const result = validateGatewayConfig({
      namedValues: [{ name: 'note', value: 'fine\r\nSet-Cookie: secret-token-1234', secret: true }, { name: 'why', value: 'Down\r\nX: secret-token-1234', secret: false }],
      apis: [{
        id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1',
        policies: { outbound: [{ 'set-header': { name: 'x-note', value: '{{note}}' } }] },
        operations: [{ id: 'x', method: 'GET', urlTemplate: '/x', policies: { outbound: [{ 'set-status': { code: 503, reason: '{{why}}' } }] } }],
      }],
    });
    assert.ok(result.ok);
    const { problems } = compilePolicies(result.config);
    assert.deepEqual(problems.map((p) => p.path).sort(), ['apis[0].operations[0].policies', 'apis[0].policies']);
    assert.match(problems.find((p) => p.path === 'apis[0].policies')!.message, /set-header\[0\] @value: .*CR/);
    assert.match(problems.find((p) => p.path !== 'apis[0].policies')!.message, /set-status\[0\] @reason: .*CR/);
    for (const p of problems) assert.ok(!p.message.includes('secret-token'), p.message);
  });
});

describe('header syntax: values echoed per request (cors)', () => {
  const services = {} as WorkerServices;
  const cors = (policy: unknown) => factory('cors').create(compileOne(factory('cors') as PolicyFactory<unknown>, policy, 'inbound'), services);
  const section = (policy: unknown) => ({ section: 'inbound' as const, instances: [cors(policy)], names: ['cors'] });
  const ANY = { 'allowed-origins': { origin: ['https://ka.example'] }, 'allowed-methods': { method: '*' }, 'allowed-headers': { header: '*' } };

  const preflight = (requestHeaders: string, method = 'GET') => newContext({
    method: 'OPTIONS',
    headers: ['origin', 'https://ka.example', 'access-control-request-method', method, 'access-control-request-headers', requestHeaders],
  });

  test('a requested-headers list with a byte RFC 9110 refuses fails the request to on-error, coded, with nothing written', () => {
    for (const bad of ['x-a\u007f', 'x-a\r\nSet-Cookie: b', 'x-a\u0000', 'x-a\u2028']) {
      const ctx = preflight(bad);
      assert.equal(runSection(section(ANY), ctx), FAIL);
      assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_HEADER_VALUE_INVALID');
      assert.equal(ctx.lastError?.source, 'client');
      assert.equal(ctx.response, null, 'no preflight answer was built');
    }
  });

  test('an echoed request method is checked too', () => {
    const ctx = preflight('x-a', 'GET\u007f');
    assert.throws(() => cors(ANY).run(ctx), (err: unknown) => err instanceof OutpostError && err.code === 'OUTPOST_ERR_HEADER_VALUE_INVALID');
  });

  test('an Origin that only case-folds to an allowed one (Kelvin sign) is not echoed', () => {
    // 'K' (U+212A) lowercases to 'k': the origin is "allowed", but it has no byte on the wire.
    const ctx = newContext({ method: 'GET', headers: ['origin', 'https://\u212Aa.example'] });
    assert.equal(runSection(section({ ...ANY, 'allow-credentials': true }), ctx), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_HEADER_VALUE_INVALID');
    assert.equal(ctx.extraResponseHeaders, null);
  });

  test('valid values are echoed unchanged', () => {
    const ctx = preflight('content-type, x-api-version');
    cors(ANY).run(ctx);
    assert.equal(ctx.response?.status, 200);
    assert.ok(ctx.response?.headers.includes('content-type, x-api-version'));
  });
});
