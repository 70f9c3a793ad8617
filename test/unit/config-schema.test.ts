/**
 * Config validation: every problem names the offending field by path (DESIGN rule 6), defaults
 * are filled in, and input is normalised (methods upper-cased).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig, formatPath, type ConfigProblem } from '../../src/shared/config-schema.js';

const op = (id: string, method: string, urlTemplate: string) => ({ id, method, urlTemplate });
const api = (extra: Record<string, unknown> = {}) => ({
  id: 'orders', name: 'Orders', path: 'orders', serviceUrl: 'http://10.0.0.5:8080/api',
  operations: [op('list', 'GET', '/')], ...extra,
});

function problems(input: unknown): ConfigProblem[] {
  const result = validateGatewayConfig(input);
  if (result.ok) assert.fail(`expected problems, config was accepted: ${JSON.stringify(input)}`);
  return result.problems;
}

describe('validateGatewayConfig: problems with field paths', () => {
  test('missing serviceUrl', () => {
    const { serviceUrl: _, ...noUrl } = api();
    assert.deepStrictEqual(problems({ apis: [noUrl] }), [{ path: 'apis[0].serviceUrl', message: 'Required' }]);
  });

  test('serviceUrl that is not a URL', () => {
    assert.deepStrictEqual(problems({ apis: [api({ serviceUrl: 'not a url' })] }), [
      { path: 'apis[0].serviceUrl', message: 'must be an absolute http:// or https:// URL' },
    ]);
  });

  test('serviceUrl with a non-HTTP scheme', () => {
    assert.deepStrictEqual(problems({ apis: [api({ serviceUrl: 'ftp://files.example.com/' })] }), [
      { path: 'apis[0].serviceUrl', message: 'must be an absolute http:// or https:// URL' },
    ]);
  });

  test('unknown method', () => {
    const [p, ...rest] = problems({ apis: [api({ operations: [op('a', 'GET', '/'), op('b', 'FETCH', '/b')] })] });
    assert.equal(rest.length, 0);
    assert.equal(p.path, 'apis[0].operations[1].method');
    assert.match(p.message, /^Invalid enum value\. Expected 'GET' \| 'HEAD' .* \| '\*', received 'FETCH'$/);
  });

  test('urlTemplate without a leading slash', () => {
    assert.deepStrictEqual(problems({ apis: [api({ operations: [op('a', 'GET', 'items')] })] }), [
      { path: 'apis[0].operations[0].urlTemplate', message: 'must start with "/"' },
    ]);
  });

  test('"*" that is not the last segment', () => {
    assert.deepStrictEqual(problems({ apis: [api({ operations: [op('a', 'GET', '/*/items')] })] }), [
      { path: 'apis[0].operations[0].urlTemplate', message: '"*" may only be the last segment' },
    ]);
  });

  test('two parameters side by side in one segment (a literal between them is fine: /{a}.{b})', () => {
    assert.deepStrictEqual(problems({ apis: [api({ operations: [op('a', 'GET', '/x/{a}{b}')] })] }), [
      { path: 'apis[0].operations[0].urlTemplate', message: 'segment "{a}{b}": parameters side by side cannot be told apart; put a literal between them' },
    ]);
    assert.ok(validateGatewayConfig({ apis: [api({ operations: [op('a', 'GET', '/x/{a}.{b}'), op('b', 'GET', '/{Sid}.json')] })] }).ok);
  });

  test('a parameter named twice', () => {
    assert.deepStrictEqual(problems({ apis: [api({ operations: [op('a', 'GET', '/{id}/x/{id}')] })] }), [
      { path: 'apis[0].operations[0].urlTemplate', message: 'parameter {id} appears twice' },
    ]);
  });

  test('duplicate API ids', () => {
    assert.deepStrictEqual(problems({ apis: [api(), api({ path: 'other' }), api({ path: 'third' })] }), [
      { path: 'apis[1].id', message: 'duplicate API id "orders"' },
      { path: 'apis[2].id', message: 'duplicate API id "orders"' },
    ]);
  });

  test('duplicate operation ids', () => {
    const operations = [op('list', 'GET', '/'), op('get', 'GET', '/{id}'), op('list', 'POST', '/')];
    assert.deepStrictEqual(problems({ apis: [api({ operations })] }), [
      { path: 'apis[0].operations[2].id', message: 'duplicate operation id "list"' },
    ]);
  });

  test('duplicate operation shape: same method, parameters named differently', () => {
    const operations = [op('a', 'GET', '/items/{id}'), op('b', 'GET', '/items/{itemId}/')];
    assert.deepStrictEqual(problems({ apis: [api({ operations })] }), [
      { path: 'apis[0].operations[1].urlTemplate', message: 'another GET operation of this API already matches "/items/{itemId}/"' },
    ]);
  });

  test('same shape with different methods is fine', () => {
    const operations = [op('a', 'GET', '/items/{id}'), op('b', 'PUT', '/items/{itemId}'), op('c', '*', '/items/{x}')];
    assert.equal(validateGatewayConfig({ apis: [api({ operations })] }).ok, true);
  });

  test('two host-less APIs on one path, compared without slashes and case', () => {
    assert.deepStrictEqual(problems({ apis: [api(), api({ id: 'orders2', path: '/Orders/' })] }), [
      { path: 'apis[1].path', message: 'another API already uses path "/Orders/" for host *' },
    ]);
  });

  test('unknown key (a typo of serviceUrl)', () => {
    const { serviceUrl, ...rest } = api();
    assert.deepStrictEqual(problems({ apis: [{ ...rest, serviceURL: serviceUrl }] }), [
      { path: 'apis[0].serviceUrl', message: 'Required' },
      { path: 'apis[0].serviceURL', message: 'unknown field' },
    ]);
  });

  test('unknown top-level key', () => {
    assert.deepStrictEqual(problems({ apis: [], gatway: {} }), [{ path: 'gatway', message: 'unknown field' }]);
  });

  test('gateway.port out of range', () => {
    assert.deepStrictEqual(problems({ gateway: { port: 65536 } }), [
      { path: 'gateway.port', message: 'Number must be less than or equal to 65535' },
    ]);
    assert.deepStrictEqual(problems({ gateway: { opsPort: -1 } }), [
      { path: 'gateway.opsPort', message: 'Number must be greater than or equal to 0' },
    ]);
    assert.deepStrictEqual(problems({ gateway: { port: 80.5 } }), [{ path: 'gateway.port', message: 'Expected integer, received float' }]);
  });

  test('nested upstream setting', () => {
    assert.deepStrictEqual(problems({ gateway: { upstream: { connections: 0 } } }), [
      { path: 'gateway.upstream.connections', message: 'Number must be greater than or equal to 1' },
    ]);
    assert.deepStrictEqual(problems({ gateway: { upstream: { connectBackoffMs: -1 } } }), [
      { path: 'gateway.upstream.connectBackoffMs', message: 'Number must be greater than or equal to 0' },
    ]);
    assert.deepStrictEqual(problems({ gateway: { upstream: { connectBackoffMs: 60_001 } } }), [
      { path: 'gateway.upstream.connectBackoffMs', message: 'Number must be less than or equal to 60000' },
    ]);
    assert.deepStrictEqual(problems({ gateway: { upstream: { connectBackoffMs: 2.5 } } }), [
      { path: 'gateway.upstream.connectBackoffMs', message: 'Expected integer, received float' },
    ]);
  });

  test('an API without operations, a bad id, a bad path and a host name with a port', () => {
    assert.deepStrictEqual(problems({ apis: [api({ id: 'a b', path: 'a//b', hostnames: ['x.example.com:8443'], operations: [] })] }), [
      { path: 'apis[0].id', message: 'letters, digits and . _ ~ - only' },
      { path: 'apis[0].path', message: 'must be URL path segments such as "echo" or "v1/orders"' },
      { path: 'apis[0].hostnames[0]', message: 'must be a host name without port' },
      { path: 'apis[0].operations', message: 'an API needs at least one operation' },
    ]);
  });
});

describe('validateGatewayConfig: defaults and normalisation', () => {
  test('trustedProxies: addresses and CIDR ranges; anything else is refused with its field path', () => {
    assert.ok(validateGatewayConfig({ gateway: { trustedProxies: ['10.0.0.0/8', '::1', '2001:db8::/32'] } }).ok);
    const bad = validateGatewayConfig({ gateway: { trustedProxies: ['10.0.0.0/8', 'not-an-ip'] } });
    assert.ok(!bad.ok);
    assert.ok(bad.problems.some((p) => p.path === 'gateway.trustedProxies[1]'), JSON.stringify(bad.problems));
  });

  test('an empty document gets every gateway default', () => {
    const result = validateGatewayConfig(undefined);
    assert.ok(result.ok);
    assert.deepStrictEqual(result.config, {
      gateway: {
        name: 'outpost', port: 8080, opsPort: 9090, workers: 0, maxHeaderBytes: 16_384,
        maxBodyBytes: 104_857_600, maxReplayBodyBytes: 1_048_576, maxHeaderCount: 100, requestHeadTimeoutMs: 10_000, clientIdleTimeoutMs: 5_000,
        requestBodyTimeoutMs: 30_000, trustedProxies: [], drainTimeoutSeconds: 30, warmupRequests: 10_000,
        upstream: { connections: 128, connectTimeoutMs: 5000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000, keepAliveTimeoutMs: 4000, queueLimit: 1024, connectBackoffMs: 250 },
        requestLog: { enabled: true, sample: 1 },
        telemetry: { enabled: true, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
        cache: { maxEntryBytes: 1_048_576, internalMaxBytes: 67_108_864 },
      },
      apis: [],
      products: [],
      subscriptions: [],
      namedValues: [],
      fragments: [],
      backends: [],
      certificates: [],
      authorizations: [],
    });
  });

  test('gateway.cache bounds are checked, naming the field', () => {
    const result = validateGatewayConfig({ gateway: { cache: { maxEntryBytes: 0, internalMaxBytes: -1, colour: 1 } } });
    assert.ok(!result.ok);
    const paths = result.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['gateway.cache.colour', 'gateway.cache.internalMaxBytes', 'gateway.cache.maxEntryBytes']);
  });

  test('given values are kept, the rest defaulted', () => {
    const result = validateGatewayConfig({ gateway: { port: 0, drainTimeoutSeconds: 2.5, upstream: { connections: 4 } } });
    assert.ok(result.ok);
    assert.equal(result.config.gateway.port, 0);
    assert.equal(result.config.gateway.opsPort, 9090);
    assert.equal(result.config.gateway.maxHeaderBytes, 16_384);
    assert.equal(result.config.gateway.drainTimeoutSeconds, 2.5);
    assert.equal(result.config.gateway.upstream.connections, 4);
    assert.equal(result.config.gateway.upstream.keepAliveTimeoutMs, 4000);
  });

  test('lower-case methods are accepted and upper-cased; API defaults filled in', () => {
    const result = validateGatewayConfig({ apis: [api({ operations: [op('a', 'get', '/'), op('b', 'Delete', '/{id}')] })] });
    assert.ok(result.ok);
    const [only] = result.config.apis;
    assert.deepStrictEqual(only.operations.map((o) => o.method), ['GET', 'DELETE']);
    assert.equal(only.preserveHost, false);
    assert.equal(only.hostnames, undefined);
  });

  test('requestLog and telemetry: defaults, per-API opt-out, bad values named by path', () => {
    const result = validateGatewayConfig({ apis: [api({ requestLog: false })] });
    assert.ok(result.ok);
    assert.equal(result.config.apis[0].requestLog, false);
    const plain = validateGatewayConfig({ apis: [api()] });
    assert.ok(plain.ok && plain.config.apis[0].requestLog === true);
    assert.deepStrictEqual(problems({ gateway: { requestLog: { sample: 1.5 } } }).map((p) => p.path), ['gateway.requestLog.sample']);
    assert.deepStrictEqual(problems({ gateway: { requestLog: { enabld: true } } }).map((p) => p.path), ['gateway.requestLog.enabld']);
    assert.deepStrictEqual(problems({ gateway: { telemetry: { buckets: [0.1, 0.05] } } }), [{ path: 'gateway.telemetry.buckets', message: 'must be strictly increasing' }]);
    assert.deepStrictEqual(problems({ gateway: { telemetry: { buckets: [] } } }).map((p) => p.path), ['gateway.telemetry.buckets']);
    assert.deepStrictEqual(problems({ gateway: { telemetry: { buckets: [-1] } } }).map((p) => p.path), ['gateway.telemetry.buckets[0]']);
  });

  test('lower-case and upper-case spellings of one method are one shape', () => {
    assert.deepStrictEqual(problems({ apis: [api({ operations: [op('a', 'get', '/x'), op('b', 'GET', '/x')] })] }), [
      { path: 'apis[0].operations[1].urlTemplate', message: 'another GET operation of this API already matches "/x"' },
    ]);
  });
});

describe('formatPath', () => {
  test('joins keys with dots and indices with brackets', () => {
    assert.equal(formatPath(['apis', 1, 'operations', 0, 'urlTemplate']), 'apis[1].operations[0].urlTemplate');
    assert.equal(formatPath([]), '');
    assert.equal(formatPath([0, 'x']), '[0].x');
  });
});

/**
 * Configs the router could not serve as written (found by the conformance work): validation
 * compares what the router compares, so each is rejected at the offending field.
 */
describe('validateGatewayConfig: what the router cannot serve is rejected', () => {
  const rejected = (input: unknown, path: string) => {
    const result = validateGatewayConfig(input);
    assert.equal(result.ok, false, 'accepted');
    if (!result.ok) assert.ok(result.problems.some((p) => p.path === path), JSON.stringify(result.problems));
  };

  test('API path with bad percent-encoding ', () => {
    rejected({ apis: [api({ path: 'a%zz' })] }, 'apis[0].path');
  });

  test('API path with a dot segment (unreachable: request paths are dot-normalised)', () => {
    rejected({ apis: [api({ path: 'x/../y' })] }, 'apis[0].path');
  });

  test('encoded dot segment in a template (unreachable)', () => {
    rejected({ apis: [api({ operations: [op('a', 'GET', '/%2e%2e/x')] })] }, 'apis[0].operations[0].urlTemplate');
  });

  test('GET /Users and GET /users are one shape to the case-insensitive router', () => {
    rejected({ apis: [api({ operations: [op('a', 'GET', '/Users'), op('b', 'GET', '/users')] })] }, 'apis[0].operations[1].urlTemplate');
  });

  test('API paths "aa" and "a%41" are one suffix to the router', () => {
    rejected({ apis: [api({ path: 'aa' }), api({ id: 'other', path: 'a%41' })] }, 'apis[1].path');
  });

  test('/a%2Fb (one segment) and /a/b (two) are different shapes', () => {
    const result = validateGatewayConfig({ apis: [api({ operations: [op('a', 'GET', '/a%2Fb'), op('b', 'GET', '/a/b')] })] });
    assert.equal(result.ok, true, JSON.stringify(!result.ok && result.problems));
  });
});

describe('validateGatewayConfig: products, subscriptions, named values', () => {
  const KEY = 'k'.repeat(32);
  const base = () => ({ apis: [api()] });

  test('an API requires a subscription by default, with APIM\'s key names', () => {
    const result = validateGatewayConfig(base());
    assert.ok(result.ok);
    assert.equal(result.config.apis[0].subscriptionRequired, true);
    assert.deepStrictEqual(result.config.apis[0].subscriptionKeyParameterNames, { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key' });
  });

  test('references must exist: product APIs, subscription scopes', () => {
    assert.deepStrictEqual(problems({
      ...base(),
      products: [{ id: 'gold', name: 'Gold', apis: ['nope'] }],
      subscriptions: [{ id: 's1', scope: '/products/silver', primaryKey: KEY }, { id: 's2', scope: '/apis/ghost', primaryKey: 'x'.repeat(20) }],
    }), [
      { path: 'products[0].apis[0]', message: 'no API with id "nope"' },
      { path: 'subscriptions[0].scope', message: 'no product with id "silver"' },
      { path: 'subscriptions[1].scope', message: 'no API with id "ghost"' },
    ]);
  });

  test('bad scope, short key, malformed hash, bad state, bad date, duplicate key', () => {
    assert.deepStrictEqual(problems({
      ...base(),
      subscriptions: [
        { id: 'a', scope: '/everything', primaryKey: 'short' },
        { id: 'b', scope: '/apis', primaryKey: 'sha256:abc', state: 'paused', expiresAt: 'tomorrow' },
      ],
    }).map((p) => p.path), ['subscriptions[0].scope', 'subscriptions[0].primaryKey', 'subscriptions[1].primaryKey', 'subscriptions[1].state', 'subscriptions[1].expiresAt']);
    assert.deepStrictEqual(problems({
      ...base(),
      subscriptions: [{ id: 'a', scope: '/apis', primaryKey: KEY }, { id: 'b', scope: '/apis', primaryKey: 'z'.repeat(20), secondaryKey: KEY }],
    }), [{ path: 'subscriptions[1].secondaryKey', message: 'the same key is already used by subscription "a"' }]);
  });

  test('policies must be a section mapping or an XML string', () => {
    assert.deepStrictEqual(problems({ ...base(), policies: 42 }).map((p) => p.path), ['policies']);
    const ok = validateGatewayConfig({ ...base(), policies: '<policies><inbound><base /></inbound></policies>', namedValues: [{ name: 'n', value: 'v', secret: true }] });
    assert.ok(ok.ok);
  });
});
