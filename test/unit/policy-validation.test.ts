/**
 * The validation policies (validate-parameters, validate-headers, validate-status-code,
 * validate-content, validate-odata-request): compile errors name the attribute; each checks the
 * request or response against the operation's contract with APIM's actions (prevent fails with
 * the coded error and APIM's public words, detect records errors and goes on, ignore skips);
 * and the config schema's contracts and schemas.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileErrorAttribute, compileOne, instanceOf, newContext } from '../support/policy-harness.js';
import type { PolicyFactory } from '../../src/gateway/pipeline/policy-contract.js';
import { validateParameters } from '../../src/gateway/policies/validate-parameters.js';
import { validateHeaders } from '../../src/gateway/policies/validate-headers.js';
import { validateStatusCode } from '../../src/gateway/policies/validate-status-code.js';
import { validateContent } from '../../src/gateway/policies/validate-content.js';
import { validateOdataRequest } from '../../src/gateway/policies/validate-odata-request.js';
import { CONTINUE, FAIL, RESPOND } from '../../src/gateway/pipeline/phases.js';
import { withCompileEnv } from '../../src/gateway/pipeline/compile-env.js';
import type { RequestContext } from '../../src/gateway/pipeline/context.js';
import type { CompiledOperation } from '../../src/shared/compiled-meta.js';
import type { OperationContract } from '../../src/shared/operation-contract.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compileContract } from '../../src/gateway/router/compile-contracts.js';
import type { ValidationError } from '../../src/gateway/policies/validation-report.js';

const f = <C>(factory: PolicyFactory<C>) => factory as unknown as PolicyFactory<unknown>;

const ITEM_SCHEMA = { type: 'object', properties: { name: { type: 'string' }, qty: { type: 'integer', minimum: 1 } }, required: ['name'] };

const CONTRACT: OperationContract = {
  query: [{ name: 'page', required: false, type: 'integer' }, { name: 'sort', required: true, type: 'string' }],
  path: [{ name: 'id', required: true, type: 'integer' }],
  headers: [{ name: 'x-tenant', required: false, type: 'string' }],
  request: [{ contentType: 'application/json', schemaName: 'item', schema: ITEM_SCHEMA }, { contentType: 'application/xml', schemaName: '', schema: null }],
  responses: [{ status: 200, headers: [{ name: 'x-rate', required: true, type: 'integer' }], representations: [{ contentType: 'application/json', schemaName: '', schema: ITEM_SCHEMA }] }],
};

function withContract(ctx: RequestContext, contract: OperationContract | null = CONTRACT): RequestContext {
  ctx.operationMeta = { contract } as CompiledOperation;
  return ctx;
}

function run<C>(factory: PolicyFactory<C>, xml: string, ctx: RequestContext, section?: 'inbound' | 'outbound' | 'on-error') {
  const outcome = instanceOf(f(factory), xml, section).run(ctx);
  assert.equal(typeof outcome, 'number');
  return outcome;
}

const errorsOf = (ctx: RequestContext, name: string) => ctx.variable(name) as ValidationError[];

describe('validate-parameters', () => {
  const P = (actions: string, inner = '') => `<validate-parameters ${actions} errors-variable-name="errs">${inner}</validate-parameters>`;

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(validateParameters), '<validate-parameters unspecified-parameter-action="prevent" />'), 'specified-parameter-action');
    assert.equal(compileErrorAttribute(f(validateParameters), '<validate-parameters specified-parameter-action="block" unspecified-parameter-action="prevent" />'), 'specified-parameter-action');
    assert.equal(compileErrorAttribute(f(validateParameters), `<validate-parameters specified-parameter-action="ignore" unspecified-parameter-action="prevent" errors-variable-name="${'x'.repeat(129)}" />`), 'errors-variable-name');
    assert.equal(compileErrorAttribute(f(validateParameters), P('specified-parameter-action="ignore" unspecified-parameter-action="prevent"', '<path unspecified-parameter-action="detect" />')), 'unspecified-parameter-action');
    assert.equal(compileErrorAttribute(f(validateParameters), P('specified-parameter-action="ignore" unspecified-parameter-action="prevent"', '<query><parameter name="a" action="nope" /></query>')), 'action');
  });

  test('an unspecified query parameter with prevent fails with 400 and APIM\'s words', () => {
    const ctx = withContract(newContext({ query: 'sort=a&debug=1', params: { id: '7' } }));
    assert.equal(run(validateParameters, P('specified-parameter-action="prevent" unspecified-parameter-action="prevent"', '<headers unspecified-parameter-action="ignore" />'), ctx), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_REQUEST_VALIDATION_FAILED');
    assert.equal(ctx.lastError?.publicMessage, 'Unspecified query parameter debug is not allowed.');
    assert.deepEqual(errorsOf(ctx, 'errs'), [{ Name: 'debug', Type: 'QueryParameter', ValidationRule: 'Unspecified', Details: 'Unspecified query parameter debug is not allowed.', Action: 'prevent' }]);
  });

  test('specified parameters: type, repeated values, required; detect records and goes on', () => {
    const ctx = withContract(newContext({ query: 'page=two&x=1&x=2', params: { id: 'abc' }, headers: ['host', 'h', 'x-tenant', 'a', 'x-tenant', 'b'] }));
    assert.equal(run(validateParameters, P('specified-parameter-action="detect" unspecified-parameter-action="ignore"'), ctx), CONTINUE);
    const rules = errorsOf(ctx, 'errs').map((e) => `${e.Type} ${e.Name} ${e.ValidationRule}`).sort();
    assert.deepEqual(rules, ['PathParameter id IncorrectMessage', 'QueryParameter page IncorrectMessage', 'QueryParameter sort IncorrectMessage', 'RequestHeader x-tenant IncorrectMessage']);
    assert.equal(ctx.lastError, null);
  });

  test('a parameter override beats the kind\'s action; a conforming request records nothing', () => {
    const ctx = withContract(newContext({ query: 'sort=a&trace=1', params: { id: '7' }, headers: ['host', 'h', 'x-forwarded-for', '1.2.3.4'] }));
    assert.equal(run(validateParameters, P('specified-parameter-action="prevent" unspecified-parameter-action="prevent"', '<headers><parameter name="Host" action="ignore" /></headers><query><parameter name="trace" action="ignore" /></query>'), ctx), CONTINUE);
    assert.equal(ctx.variable('errs'), undefined);
  });

  test('an operation without a contract declares nothing: every parameter is unspecified', () => {
    const ctx = withContract(newContext({ query: 'a=1', headers: [] }), null);
    assert.equal(run(validateParameters, P('specified-parameter-action="ignore" unspecified-parameter-action="prevent"'), ctx), FAIL);
  });
});

describe('validate-status-code and validate-headers', () => {
  const respond = (status: number, headers: string[]) => {
    const ctx = withContract(newContext());
    ctx.response = { status, reason: '', headers, body: null };
    return ctx;
  };

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(validateStatusCode), '<validate-status-code />', 'outbound'), 'unspecified-status-code-action');
    assert.equal(compileErrorAttribute(f(validateStatusCode), '<validate-status-code unspecified-status-code-action="prevent"><status-code code="99" action="ignore" /></validate-status-code>', 'outbound'), 'code');
    assert.equal(compileErrorAttribute(f(validateHeaders), '<validate-headers specified-header-action="ignore" />', 'outbound'), 'unspecified-header-action');
    assert.equal(compileErrorAttribute(f(validateHeaders), '<validate-headers specified-header-action="ignore" unspecified-header-action="prevent"><header name="bad name" action="ignore" /></validate-headers>', 'outbound'), 'name');
  });

  test('an undeclared status fails with 502; a declared one or an override passes', () => {
    const ctx = respond(500, []);
    assert.equal(run(validateStatusCode, '<validate-status-code unspecified-status-code-action="prevent" errors-variable-name="e" />', ctx, 'outbound'), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_RESPONSE_VALIDATION_FAILED');
    assert.equal(errorsOf(ctx, 'e')[0].Details, 'Response status code 500 is not allowed.');
    assert.equal(run(validateStatusCode, '<validate-status-code unspecified-status-code-action="prevent" />', respond(200, []), 'outbound'), CONTINUE);
    assert.equal(run(validateStatusCode, '<validate-status-code unspecified-status-code-action="prevent"><status-code code="404" action="ignore" /></validate-status-code>', respond(404, []), 'outbound'), CONTINUE);
  });

  test('in on-error, prevent answers the 502 itself', () => {
    const ctx = respond(500, []);
    assert.equal(run(validateStatusCode, '<validate-status-code unspecified-status-code-action="prevent" />', ctx, 'on-error'), RESPOND);
    assert.equal(ctx.response?.status, 502);
    assert.deepEqual(JSON.parse(String(ctx.response?.body)), { statusCode: 502, message: 'The request could not be processed due to an internal error. Contact the API owner.' });
  });

  test('headers: unspecified ones, a declared one of the wrong type or missing', () => {
    const v = '<validate-headers specified-header-action="prevent" unspecified-header-action="detect" errors-variable-name="e" />';
    const ok = respond(200, ['content-type', 'application/json', 'x-rate', '10', 'server', 'x']);
    assert.equal(run(validateHeaders, v, ok, 'outbound'), CONTINUE);
    assert.deepEqual(errorsOf(ok, 'e').map((e) => e.Name), ['server']);
    const bad = respond(200, ['x-rate', 'ten']);
    assert.equal(run(validateHeaders, v, bad, 'outbound'), FAIL);
    const missing = respond(200, []);
    assert.equal(run(validateHeaders, v, missing, 'outbound'), FAIL);
    assert.match(missing.lastError!.message, /x-rate/);
  });
});

describe('validate-content', () => {
  const C = (inner: string, attrs = 'unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent"') =>
    `<validate-content ${attrs} errors-variable-name="e">${inner}</validate-content>`;
  const post = (contentType: string | null, body: string) => {
    const headers = ['host', 'h', 'content-length', String(Buffer.byteLength(body))];
    if (contentType !== null) headers.push('content-type', contentType);
    const ctx = withContract(newContext({ method: 'POST', headers }));
    ctx.requestBody = Buffer.from(body);
    return ctx;
  };

  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(validateContent), '<validate-content max-size="10" size-exceeded-action="prevent" />'), 'unspecified-content-type-action');
    assert.equal(compileErrorAttribute(f(validateContent), '<validate-content unspecified-content-type-action="prevent" max-size="102401" size-exceeded-action="prevent" />'), 'max-size');
    assert.equal(compileErrorAttribute(f(validateContent), C('<content type="application/json" action="prevent" />')), 'validate-as');
    assert.equal(compileErrorAttribute(f(validateContent), C('<content type="application/xml" validate-as="xml" schema-id="x" action="prevent" />')), 'schema-id');
    assert.equal(compileErrorAttribute(f(validateContent), C('<content-type-map><type from="a/b" /></content-type-map>')), 'to');
    assert.equal(compileErrorAttribute(f(validateContent), C('<content type="nonsense" validate-as="json" action="prevent" />')), 'type');
  });

  test('a body against the operation\'s JSON schema: conforming passes, not conforming fails with 400', () => {
    const rule = C('<content type="application/json" validate-as="json" action="prevent" />');
    assert.equal(run(validateContent, rule, post('application/json; charset=utf-8', '{"name":"a","qty":2}')), CONTINUE);
    const bad = post('application/json', '{"qty":0}');
    assert.equal(run(validateContent, rule, bad), FAIL);
    assert.equal(bad.lastError?.code, 'OUTPOST_ERR_REQUEST_VALIDATION_FAILED');
    assert.match(bad.lastError!.publicMessage!, /^Body of the request does not conform to the definition item, which is associated with the content type application\/json\./);
    const notJson = post('application/json', '{');
    assert.equal(run(validateContent, rule, notJson), FAIL);
  });

  test('allow-additional-properties="false" refuses properties the schema does not list', () => {
    const rule = C('<content type="application/json" validate-as="json" action="prevent" allow-additional-properties="false" />');
    assert.equal(run(validateContent, rule, post('application/json', '{"name":"a","extra":1}')), FAIL);
    assert.equal(run(validateContent, C('<content type="application/json" validate-as="json" action="prevent" />'), post('application/json', '{"name":"a","extra":1}')), CONTINUE);
  });

  test('unspecified content types, the content-type map, and size', () => {
    const rule = C('<content type="application/json" validate-as="json" action="prevent" />');
    const text = post('text/plain', 'hi');
    assert.equal(run(validateContent, rule, text), FAIL);
    assert.equal(text.lastError?.publicMessage, 'Unspecified content type text/plain is not allowed.');
    const mapped = C('<content-type-map missing-content-type-value="application/json"><type from="application/hal+json" to="application/json" /></content-type-map><content type="application/json" validate-as="json" action="prevent" />');
    assert.equal(run(validateContent, mapped, post('application/hal+json', '{"name":"a"}')), CONTINUE);
    assert.equal(run(validateContent, mapped, post(null, '{"qty":1}')), FAIL);
    const big = post('application/json', JSON.stringify({ name: 'x'.repeat(2000) }));
    assert.equal(run(validateContent, C('', 'unspecified-content-type-action="ignore" max-size="1024" size-exceeded-action="detect"'), big), CONTINUE);
    assert.equal(errorsOf(big, 'e')[0].ValidationRule, 'SizeLimit');
  });

  test('schema-id: resolved from the config\'s schemas, or APIM\'s ApiSchema error when missing', () => {
    const rule = C('<content type="application/json" validate-as="json" action="prevent" schema-id="strict" />');
    const compiled = withCompileEnv({ backendIds: new Set(), certificateIds: new Set(), certificateThumbprints: null, schemas: new Map([['strict', { type: 'object', required: ['id'] }]]) }, () => compileOne(f(validateContent), rule));
    const instance = validateContent.create(compiled as never, { counters: undefined as never, now: Date.now });
    const noId = post('application/json', '{"name":"a"}');
    assert.equal(instance.run(noId), FAIL);
    assert.equal(instance.run(post('application/json', '{"id":1}')), CONTINUE);
    const missing = post('application/json', '{"id":1}');
    assert.equal(run(validateContent, rule, missing), FAIL);
    assert.equal(errorsOf(missing, 'e')[0].ValidationRule, 'ApiSchema');
  });

  test('xml is checked for well-formedness; responses fail with 502', () => {
    const rule = C('<content type="application/xml" validate-as="xml" action="prevent" />');
    assert.equal(run(validateContent, rule, post('application/xml', '<a><b/></a>')), CONTINUE);
    assert.equal(run(validateContent, rule, post('application/xml', '<a><b></a>')), FAIL);
    const ctx = withContract(newContext());
    ctx.response = { status: 200, reason: '', headers: ['content-type', 'application/json'], body: Buffer.from('{"qty":"x"}') };
    assert.equal(run(validateContent, C('<content type="application/json" validate-as="json" action="prevent" />'), ctx, 'outbound'), FAIL);
    assert.equal(ctx.lastError?.code, 'OUTPOST_ERR_RESPONSE_VALIDATION_FAILED');
  });
});

describe('validate-odata-request', () => {
  const O = '<validate-odata-request error-variable-name="o" min-odata-version="4.0" max-odata-version="4.01" max-size="100" />';
  test('compile errors name the attribute', () => {
    assert.equal(compileErrorAttribute(f(validateOdataRequest), '<validate-odata-request min-odata-version="four" />'), 'min-odata-version');
    assert.equal(compileErrorAttribute(f(validateOdataRequest), '<validate-odata-request min-odata-version="4.01" max-odata-version="4.0" />'), 'min-odata-version');
    assert.equal(compileErrorAttribute(f(validateOdataRequest), '<validate-odata-request max-size="-1" />'), 'max-size');
  });
  test('versions, size, path and system query options', () => {
    assert.equal(run(validateOdataRequest, O, newContext({ path: "/People('russell')", query: '$top=5&$filter=a%20eq%201', headers: ['odata-version', '4.0'] })), CONTINUE);
    const cases: Array<[Parameters<typeof newContext>[0], RegExp]> = [
      [{ headers: ['odata-version', '3.0'] }, /below the minimum/],
      [{ headers: ['odata-version', '5.0'] }, /above the maximum/],
      [{ headers: ['odata-maxversion', '3.0'] }, /OData-MaxVersion/],
      [{ headers: ['content-length', '101'] }, /exceeds the limit of 100/],
      [{ path: "/People('russell" }, /closing quote/],
      [{ path: '/People(1' }, /parentheses/],
      [{ query: '$top=-1' }, /\$top/],
      [{ query: '$bogus=1' }, /not an OData system query option/],
      [{ query: '$count=yes' }, /\$count/],
      [{ query: '$top=1&$top=2' }, /more than once/],
    ];
    for (const [init, words] of cases) {
      const ctx = newContext(init);
      assert.equal(run(validateOdataRequest, O, ctx), FAIL, JSON.stringify(init));
      assert.match(ctx.lastError!.publicMessage!, words);
      assert.equal(ctx.lastError!.code, 'OUTPOST_ERR_REQUEST_VALIDATION_FAILED');
    }
  });
});

describe('config: operation contracts and schemas', () => {
  const config = (op: object, schemas: object[] = []) => validateGatewayConfig({
    schemas,
    apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', operations: [{ id: 'o', method: 'POST', urlTemplate: '/items/{id}?v={v}', ...op }] }],
  });

  test('a contract compiles: template parameters are declared, header names lowercased, schemas resolved', () => {
    const result = config({
      parameters: [{ name: 'X-Tenant', in: 'header', required: true }, { name: 'id', in: 'path', type: 'integer' }],
      request: { representations: [{ contentType: 'application/json', schemaId: 'item' }] },
      responses: [{ statusCode: 201, headers: [{ name: 'Location' }] }],
    }, [{ id: 'item', document: ITEM_SCHEMA }]);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
    const schemas = new Map((result.config.schemas ?? []).map((s) => [s.id, s.document]));
    const contract = compileContract(result.config.apis[0].operations[0], schemas);
    assert.deepEqual(contract.headers, [{ name: 'x-tenant', required: true, type: 'string' }]);
    assert.deepEqual(contract.path, [{ name: 'id', required: false, type: 'integer' }]);
    assert.deepEqual(contract.query, [{ name: 'v', required: true, type: 'string' }]);
    assert.deepEqual(contract.request[0].schema, ITEM_SCHEMA);
    assert.equal(contract.responses[0].headers[0].name, 'location');
  });

  test('problems name the field', () => {
    const paths = (r: ReturnType<typeof config>) => (r.ok ? [] : r.problems.map((p) => p.path));
    assert.deepEqual(paths(config({ request: { representations: [{ contentType: 'application/json', schemaId: 'nope' }] } })), ['apis[0].operations[0].request.representations[0].schemaId']);
    assert.deepEqual(paths(config({}, [{ id: 's', document: { type: 'no-such-type' } }])), ['schemas[0].document']);
    assert.deepEqual(paths(config({ responses: [{ statusCode: 200 }, { statusCode: 200 }] })), ['apis[0].operations[0].responses[1].statusCode']);
    assert.deepEqual(paths(config({ parameters: [{ name: 'a', in: 'cookie' }] })), ['apis[0].operations[0].parameters[0].in']);
    // Header names compare case-insensitively; an operation with parameters only is still checked.
    assert.deepEqual(paths(config({ parameters: [{ name: 'X-A', in: 'header' }, { name: 'x-a', in: 'header' }] })), ['apis[0].operations[0].parameters[1].name']);
    assert.deepEqual(paths(config({}, [{ id: 's', type: 'xml', document: {} }])), ['schemas[0].type']);
  });
});
