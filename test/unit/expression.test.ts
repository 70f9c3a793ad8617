/**
 * The choose condition language: a parse-and-evaluate table over one request, null semantics,
 * numeric against text comparison, regexes (the ones refused; the engine itself is regex-engine.test.ts), the length and depth limits,
 * errors with their positions, and that the AST is plain data (it survives msgpack).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { queryValue as queryParam } from '../../src/shared/query-string.js';
import {
  bind, bindCondition, ExpressionError, MAX_DEPTH, MAX_LENGTH, MAX_MATCH_INPUT, parseExpression,
} from '../../src/gateway/pipeline/expression/index.js';

function request(): RequestContext {
  const ctx = new RequestContext('GET', '/orders/42', 'page=2&q=red+shoes&empty=&enc=%C3%A9t%C3%A9&bad=%E0%A4%A',
    ['x-env', 'Prod', 'content-length', '2000', 'x-api-version', '2024-01-01', 'x-env', 'second'],
    '10.1.2.3', 'shop', 'get-order', {});
  ctx.subscription = { id: 's-gold', productId: 'gold' };
  ctx.claims = { sub: 'alice', admin: true, level: 3, roles: ['a', 'b'] };
  return ctx;
}

const run = (source: string, ctx = request()) => bind(unpack(pack(parseExpression(source))))(ctx);

/** [condition, expected value] evaluated over request(). */
const TABLE: Array<[string, unknown]> = [
  ["request.method == 'GET'", true],
  ["request.method != 'GET'", false],
  ['request.path', '/orders/42'],
  ["startsWith(request.path, '/orders/')", true],
  ["request.headers['X-Env']", 'Prod'],
  ['request.headers.x-api-version', '2024-01-01'],
  ["request.headers['content-length'] > 1000", true],
  ["request.headers['content-length'] > '999'", true],
  ["'abc' < 'abd'", true],
  ["'10' == 10.0", true],
  ["'b' > 'a' && 2 >= 2 && 1 <= 1 && -1 < 0", true],
  ["request.query['page'] == 2", true],
  ["request.query.q", 'red shoes'],
  ["request.query['empty'] == ''", true],
  ["request.query['enc']", 'été'],
  ["request.query['bad']", '%E0%A4%A'],
  ['request.ip', '10.1.2.3'],
  ["subscription.id == 's-gold' and subscription.product == 'gold'", true],
  ["jwt.claims['sub'] == 'alice'", true],
  ["jwt.claims['admin'] == true", true],
  ["jwt.claims['level'] >= 3", true],
  ["jwt.claims['roles']", '["a","b"]'],
  ["api.id == 'shop' && operation.id == 'get-order'", true],
  ["contains(request.headers['x-env'], 'ro')", true],
  ["endsWith(request.path, '42')", true],
  ["lower(request.headers['x-env']) == 'prod'", true],
  ["in(request.method, 'POST', 'GET')", true],
  ["in(request.method, 'POST', 'PUT')", false],
  ["in(request.query['page'], 1, 2)", true],
  ["matches(request.path, '^/orders/\\\\d+$')", true],
  ["matches(request.headers['x-env'], '^prod$', 'i')", true],
  ["matches(request.headers['x-env'], '^prod$')", false],
  ["!exists(request.headers['x-missing']) || false", true],
  ["not (request.method == 'GET')", false],
  ["!request.headers['x-env'] == false", true],
  ["(true || false) && !(false)", true],
  ["request.method == 'POST' || request.method == 'GET' && api.id == 'shop'", true],
  ['"double \\"quoted\\""', 'double "quoted"'],
];

describe('expression: evaluation', () => {
  for (const [source, expected] of TABLE) {
    test(source, () => assert.deepEqual(run(source), expected));
  }
});

describe('expression: null semantics', () => {
  const missing = "request.headers['x-missing']";
  test('a missing header is null; == null and exists test presence', () => {
    assert.equal(run(missing), null);
    assert.equal(run(`${missing} == null`), true);
    assert.equal(run(`null == ${missing}`), true);
    assert.equal(run(`${missing} != null`), false);
    assert.equal(run("request.headers['x-env'] != null"), true);
    assert.equal(run(`exists(${missing})`), false);
  });
  test('every other comparison with null is false, != included', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) assert.equal(run(`${missing} ${op} 'a'`), false, op);
    assert.equal(run(`${missing} == ${missing}`), false);
  });
  test('functions given null are false; lower(null) is null', () => {
    for (const fn of ['contains', 'startsWith', 'endsWith']) assert.equal(run(`${fn}(${missing}, '')`), false, fn);
    assert.equal(run(`matches(${missing}, '.*')`), false);
    assert.equal(run(`in(${missing}, 'a')`), false);
    assert.equal(run(`lower(${missing})`), null);
  });
  test('no subscription, no claims: null; a claim named like an Object member is not found', () => {
    const ctx = new RequestContext('GET', '/', '', [], '::1', 'a', 'o', {});
    assert.equal(run('subscription.id == null && subscription.product == null', ctx), true);
    assert.equal(run("jwt.claims['sub']", ctx), null);
    assert.equal(run("jwt.claims['constructor']"), null);
    assert.equal(run("jwt.claims['__proto__']"), null);
  });
});

describe('expression: errors name the position', () => {
  const CASES: Array<[string, number, RegExp]> = [
    ["request.method = 'GET'", 16, /equality is ==/],
    ["request.method == 'GET", 19, /unterminated string/],
    ['request.verb', 9, /request\.verb is not an operand/],
    ['reply.status', 1, /unknown name "reply"/],
    ["request.method == 'GET' &&", 27, /expected a value, found the end/],
    ['(true', 6, /expected "\)"/],
    ["size(request.path)", 1, /unknown function "size"/],
    ["contains(request.path)", 1, /contains\(\) takes 2 arguments, got 1/],
    ["matches(request.path, request.method)", 23, /pattern as a string literal/],
    ["matches(request.path, '[')", 23, /invalid pattern/],
    ["matches(request.path, 'a', 'g')", 28, /flags may only be 'i'/],
    ['1 < 2 < 3', 7, /cannot be chained/],
    ["request.headers", 16, /needs a name/],
    ["request.headers[1]", 17, /quoted name/],
    ['null < 1', 6, /null can only be compared with == or !=/],
    ["true true", 6, /unexpected "true" after a complete condition/],
    ["@(context.Request.Method)", 1, /C# policy expressions are not supported/],
    ["'\\q'", 3, /unknown escape/],
  ];
  for (const [source, position, message] of CASES) {
    test(source, () => {
      assert.throws(() => parseExpression(source), (err: unknown) => {
        assert.ok(err instanceof ExpressionError, String(err));
        assert.equal(err.position, position, err.message);
        assert.match(err.message, message);
        assert.match(err.message, new RegExp(`^at ${position}: `));
        return true;
      });
    });
  }
});

describe('expression: limits', () => {
  test(`at most ${MAX_LENGTH} characters`, () => {
    const ok = `'${'a'.repeat(MAX_LENGTH - 2)}'`;
    assert.equal(run(ok), 'a'.repeat(MAX_LENGTH - 2));
    assert.throws(() => parseExpression(`${ok} `), /at most 1024 characters/);
  });
  test(`at most ${MAX_DEPTH} levels of nesting`, () => {
    assert.equal(run(`${'('.repeat(MAX_DEPTH)}true${')'.repeat(MAX_DEPTH)}`), true);
    assert.throws(() => parseExpression(`${'('.repeat(MAX_DEPTH + 1)}true${')'.repeat(MAX_DEPTH + 1)}`), (err: ExpressionError) => err.position === MAX_DEPTH + 1);
    assert.throws(() => parseExpression(`${'!'.repeat(MAX_DEPTH + 1)}true`), /nested more than/);
    assert.throws(() => parseExpression(`${'lower('.repeat(MAX_DEPTH + 1)}'a'${')'.repeat(MAX_DEPTH + 1)}`), /nested more than/);
  });
  test('long && chains stay flat (no depth cost)', () => {
    const source = Array.from({ length: 60 }, () => 'true').join(' && ');
    assert.equal(run(source), true);
  });
});

describe('expression: regexes', () => {
  // Backreferences and lookaround need backtracking: refused, naming the construct.
  for (const [pattern, construct] of [['(a)\\\\1', /backreference/], ['(?<n>a)\\\\k<n>', /named backreference/], ['(?=a)', /lookahead/], ['(?<!a)b', /lookbehind/], ['\\\\p{L}', /property escape/]] as const) {
    test(`refuses ${pattern}`, () => assert.throws(() => parseExpression(`matches(request.path, '${pattern}')`), (err: ExpressionError) => /pattern refused/.test(err.message) && construct.test(err.message) && err.position === 23));
  }
  // Nested quantifiers and overlapping alternatives are safe on the linear engine (regex-engine.test.ts).
  for (const pattern of ['^/orders/\\\\d+$', '^(GET|POST)$', '^(\\\\d+)?x$', '(ab){2}', '[(a+)+]', '^\\\\(a+\\\\)+$', '(?:v\\\\d+)/',
    '(a+)+$', '(\\\\w+\\\\s?)*$', '((ab)*c){2,}', '(x|y?)+', '(a|a)*c']) {
    test(`accepts ${pattern}`, () => assert.doesNotThrow(() => parseExpression(`matches(request.path, '${pattern}')`)));
  }
  test(`input longer than ${MAX_MATCH_INPUT} characters does not match`, () => {
    const ctx = (len: number) => new RequestContext('GET', '/', '', ['x-long', 'a'.repeat(len)], '::1', 'a', 'o', {});
    assert.equal(run("matches(request.headers['x-long'], '^a+$')", ctx(MAX_MATCH_INPUT)), true);
    assert.equal(run("matches(request.headers['x-long'], '^a+$')", ctx(MAX_MATCH_INPUT + 1)), false);
  });
});

describe('expression: query parameters', () => {
  test('first value, decoded, or null', () => {
    assert.equal(queryParam('a=1&a=2', 'a'), '1');
    assert.equal(queryParam('flag&x=1', 'flag'), '');
    assert.equal(queryParam('', 'a'), null);
    assert.equal(queryParam('b%20c=d', 'b c'), 'd');
  });
});

describe('expression: response and error operands (retry, outbound, on-error)', () => {
  test('response.status and error.* read the response being built and lastError', () => {
    const ctx = new RequestContext('GET', '/', '', [], '127.0.0.1', 'a', 'o', {});
    const isServerError = bindCondition(parseExpression('response.status >= 500'));
    const isBackendFailure = bindCondition(parseExpression("error.source == 'backend' and error.reason == 'OUTPOST_ERR_BACKEND_UNREACHABLE'"));
    assert.equal(isServerError(ctx), false);
    ctx.response = { status: 503, reason: '', headers: [], body: null };
    assert.equal(isServerError(ctx), true);
    assert.equal(isBackendFailure(ctx), false);
    ctx.lastError = { source: 'backend', reason: 'OUTPOST_ERR_BACKEND_UNREACHABLE', message: 'x', section: 'backend', policy: null, code: 'OUTPOST_ERR_BACKEND_UNREACHABLE' };
    assert.equal(isBackendFailure(ctx), true);
  });
});
