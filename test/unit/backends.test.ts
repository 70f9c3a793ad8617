/**
 * Backend entities: config validation with field paths, pool selection (priority, then smooth
 * weighted round-robin among healthy members), the circuit breaker's trip and recovery on an
 * injected clock, and set-backend-service backend-id at compile time and per request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { parseIsoDuration } from '../../src/shared/backend-schema.js';
import { compileBackends } from '../../src/gateway/backends/compiled-backend.js';
import { BackendDirectory, BreakerRegistry, type RuntimeBackend } from '../../src/gateway/backends/backend-directory.js';
import { CircuitBreaker } from '../../src/gateway/backends/circuit-breaker.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { instantiateChain, runSection } from '../../src/gateway/pipeline/chain-runtime.js';
import { CONTINUE, FAIL } from '../../src/gateway/pipeline/phases.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';

const API = { id: 'a', name: 'A', path: 'a', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false };

function problemsOf(backends: unknown[]): string[] {
  const r = validateGatewayConfig({ backends });
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

function configOf(backends: unknown[], inbound: unknown[]) {
  const r = validateGatewayConfig({ backends, apis: [{ ...API, operations: [{ id: 'o', method: 'GET', urlTemplate: '/x', policies: { inbound } }] }] });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.config;
}

const BREAKER = { rules: [{ failureCondition: { count: 2, interval: 'PT10S', statusCodeRanges: [{ min: 500, max: 599 }] }, tripDuration: 'PT1M' }] };

function directory(backends: unknown[], clock: { t: number }): BackendDirectory {
  const r = validateGatewayConfig({ backends });
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return new BackendDirectory(compileBackends(r.config.backends), new BreakerRegistry(), () => clock.t);
}

function idOf(picked: RuntimeBackend | 'open' | null): string {
  return picked === null || picked === 'open' ? String(picked) : picked.compiled.id;
}

describe('backends config', () => {
  test('ISO 8601 durations', () => {
    assert.equal(parseIsoDuration('PT1M'), 60_000);
    assert.equal(parseIsoDuration('PT1H30M'), 5_400_000);
    assert.equal(parseIsoDuration('PT0.5S'), 500);
    assert.equal(parseIsoDuration('P1D'), 86_400_000);
    for (const bad of ['P', 'PT', '1M', 'P1M', 'PT1X', '']) assert.equal(parseIsoDuration(bad), null, bad);
  });

  test('a valid single and pool backend pass', () => {
    assert.deepEqual(problemsOf([
      { id: 'b1', url: 'http://127.0.0.1:1/api', credentials: { header: { 'x-key': ['k'] }, query: { code: ['c'] }, authorization: { scheme: 'Bearer', parameter: 't' } }, circuitBreaker: BREAKER },
      { id: 'b2', url: 'https://example.com' },
      { id: 'p', type: 'pool', pool: { services: [{ id: 'b1', priority: 1, weight: 3 }, { id: 'b2', priority: 2 }] } },
    ]), []);
  });

  test('problems name the field path', () => {
    assert.deepEqual(problemsOf([{ id: 'b1' }]), ['backends[0].url: a single backend needs a url']);
    assert.match(problemsOf([{ id: 'b1', url: 'ftp://x' }])[0], /^backends\[0\]\.url: must be an absolute/);
    assert.match(problemsOf([{ id: 'b1', url: 'http://x?a=1' }])[0], /^backends\[0\]\.url: may not have a query/);
    assert.deepEqual(problemsOf([{ id: 'b', url: 'http://x' }, { id: 'b', url: 'http://y' }]), ['backends[1].id: duplicate backend id "b"']);
    assert.deepEqual(problemsOf([{ id: 'p', type: 'pool', pool: { services: [{ id: 'nope' }] } }]), ['backends[0].pool.services[0].id: no backend with id "nope"']);
    assert.match(problemsOf([{ id: 'p', type: 'pool', pool: { services: [{ id: 'q' }] } }, { id: 'q', type: 'pool', pool: { services: [{ id: 'p' }] } }])[0], /^backends\[0\]\.pool\.services\[0\]\.id: "q" is a pool/);
    assert.match(problemsOf([{ id: 'b', url: 'http://x', circuitBreaker: { rules: [{ failureCondition: { count: 1, interval: 'soon' }, tripDuration: 'PT1M' }] } }])[0], /^backends\[0\]\.circuitBreaker\.rules\[0\]\.failureCondition\.interval: must be an ISO 8601 duration/);
    assert.match(problemsOf([{ id: 'b', url: 'http://x', tls: { validateCertificateChain: false } }])[0], /^backends\[0\]\.tls\.validateCertificateChain: must be true/);
    assert.match(problemsOf([{ id: 'b', url: 'http://x', credentials: { header: { 'x-k': ['a\r\nb'] } } }])[0], /^backends\[0\]\.credentials\.header\.x-k\[0\]/);
    assert.match(problemsOf([{ id: 'p', type: 'pool', url: 'http://x', pool: { services: [] } }]).join('\n'), /backends\[0\]\.url: a pool backend takes this from its services/);
    assert.deepEqual(problemsOf([{ id: 'b', url: 'http://x', colour: 'red' }]), ['backends[0].colour: unknown field']);
  });

  test('credentials may use named values: filled at compile, unknown names and bad filled values refused', () => {
    const namedValues = [{ name: 'key', value: 'k1' }, { name: 'crlf', value: 'a\r\nx-evil: 1' }];
    const backends = [{ id: 'b', url: 'http://x', credentials: { header: { 'x-key': ['{{key}}'] }, query: { k: ['{{key}}!'] }, authorization: { scheme: 'Bearer', parameter: 't-{{key}}' } } }];
    const ok = validateGatewayConfig({ namedValues, backends });
    assert.ok(ok.ok);
    const [compiled] = compileBackends(ok.config.backends, ok.config.namedValues);
    assert.deepEqual(compiled.headers, ['x-key', 'k1', 'authorization', 'Bearer t-k1']);
    assert.equal(compiled.query, 'k=k1!');
    const bad = validateGatewayConfig({ namedValues, backends: [{ id: 'b', url: 'http://x', credentials: { header: { 'x-a': ['{{nope}}'], 'x-b': ['{{crlf}}'] } } }] });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.problems.map((p) => p.path), ['backends[0].credentials.header.x-a[0]', 'backends[0].credentials.header.x-b[0]']);
    assert.doesNotMatch(bad.problems[1].message, /evil/, 'a filled value is never quoted');
  });
});

describe('pool selection', () => {
  const pool = (services: unknown[]) => [
    { id: 'a', url: 'http://a', circuitBreaker: BREAKER }, { id: 'b', url: 'http://b', circuitBreaker: BREAKER }, { id: 'c', url: 'http://c' },
    { id: 'p', type: 'pool', pool: { services } },
  ];

  test('the lowest priority first; weights share traffic smoothly', () => {
    const dir = directory(pool([{ id: 'c', priority: 2 }, { id: 'a', priority: 1, weight: 3 }, { id: 'b', priority: 1, weight: 1 }]), { t: 0 });
    const picks = Array.from({ length: 8 }, () => idOf(dir.pick('p')));
    assert.deepEqual(picks, ['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
  });

  test('an open member is skipped; the next priority takes over when a tier is all open', () => {
    const clock = { t: 1_000 };
    const dir = directory(pool([{ id: 'a', priority: 1 }, { id: 'b', priority: 1 }, { id: 'c', priority: 2 }]), clock);
    const a = dir.pick('p') as RuntimeBackend;
    assert.equal(a.compiled.id, 'a');
    a.reportStatus(500, null); a.reportStatus(503, null);
    assert.deepEqual(Array.from({ length: 3 }, () => idOf(dir.pick('p'))), ['b', 'b', 'b']);
    const b = dir.pick('p') as RuntimeBackend;
    b.reportError('OUTPOST_ERR_BACKEND_UNREACHABLE'); b.reportError('OUTPOST_ERR_BACKEND_TIMEOUT');
    assert.equal(idOf(dir.pick('p')), 'c');
    clock.t += 60_000; // both trips are over
    assert.deepEqual(new Set(Array.from({ length: 4 }, () => idOf(dir.pick('p')))), new Set(['a', 'b']));
  });

  test('a pool whose members are all open, or a single open backend, is "open"; an unknown id is null', () => {
    const dir = directory(pool([{ id: 'a' }]), { t: 5 });
    const a = dir.pick('a') as RuntimeBackend;
    a.reportStatus(502, null); a.reportStatus(502, null);
    assert.equal(dir.pick('a'), 'open');
    assert.equal(dir.pick('p'), 'open');
    assert.equal(dir.pick('nope'), null);
  });
});

describe('circuit breaker', () => {
  const rule = { count: 3, intervalMs: 10_000, statusRanges: [[500, 599]] as Array<[number, number]>, errorReasons: null, tripMs: 30_000, acceptRetryAfter: false };

  test('trips on count failures within the interval, not on spread-out ones or successes', () => {
    const b = new CircuitBreaker(rule);
    b.recordStatus(500, null, 0); b.recordStatus(200, null, 1); b.recordStatus(404, null, 2); b.recordStatus(500, null, 5_000);
    b.recordStatus(500, null, 10_001); // the first failure is older than the interval now
    assert.equal(b.isOpen(10_001), false);
    b.recordStatus(500, null, 12_000);
    assert.equal(b.isOpen(12_000), true);
    assert.equal(b.isOpen(41_999), true);
    assert.equal(b.isOpen(42_000), false, 'closes after tripDuration');
    b.recordStatus(500, null, 42_001);
    assert.equal(b.isOpen(42_001), false, 'history cleared on trip: one failure does not reopen it');
  });

  test('errorReasons limit which failures count; acceptRetryAfter sets the trip length', () => {
    const b = new CircuitBreaker({ ...rule, count: 1, errorReasons: ['OUTPOST_ERR_BACKEND_TIMEOUT'], acceptRetryAfter: true });
    b.recordError('OUTPOST_ERR_BACKEND_UNREACHABLE', 0);
    assert.equal(b.isOpen(0), false);
    b.recordError('OUTPOST_ERR_BACKEND_TIMEOUT', 0);
    assert.equal(b.isOpen(29_999), true);
    assert.equal(b.isOpen(30_000), false);
    b.recordStatus(503, '5', 100_000);
    assert.equal(b.isOpen(104_999), true);
    assert.equal(b.isOpen(105_000), false);
  });
});

describe('set-backend-service backend-id', () => {
  const backends = [{ id: 'orders', url: 'http://10.0.0.9:8080/v1', credentials: { header: { 'x-key': ['a', 'b'] }, query: { code: ['c d'] } } }];

  test('authentication-certificate: an unknown certificate-id is a compile error', () => {
    const { problems } = compilePolicies(configOf(backends, [{ 'authentication-certificate': { 'certificate-id': 'nope' } }]));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /authentication-certificate.*@certificate-id: no certificate with id "nope"/);
  });

  test('an unknown constant id is a compile error naming the attribute', () => {
    const { problems } = compilePolicies(configOf(backends, [{ 'set-backend-service': { 'backend-id': 'nope' } }]));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /set-backend-service.*@backend-id: no backend with id "nope"/);
  });

  test('a known id routes the request: origin, base path, Host, credentials carried for the forward', async () => {
    const config = configOf(backends, [{ 'set-backend-service': { 'backend-id': '@("ord" + "ers")' } }]);
    const { problems, chains } = compilePolicies(config);
    assert.deepEqual(problems, []);
    const dir = new BackendDirectory(compileBackends(config.backends), new BreakerRegistry(), Date.now);
    const chain = instantiateChain(chains[0]![''], { counters: { hit: () => 1, peek: () => 0, hitPaired: () => 1, peekPaired: () => 0 }, now: Date.now, backends: dir });
    const ctx = new RequestContext('GET', '/x', '', ['host', 'client'], '10.0.0.1', 'a', 'o', {});
    assert.equal(await runSection(chain.inbound!, ctx), CONTINUE);
    assert.equal(ctx.backendOrigin, 'http://10.0.0.9:8080');
    assert.equal(ctx.backendBasePath, '/v1');
    assert.equal(ctx.header('host'), '10.0.0.9:8080');
    assert.deepEqual(ctx.backendEntity!.headers, ['x-key', 'a,b']);
    assert.equal(ctx.backendEntity!.query, 'code=c%20d');
  });

  test('an expression naming an unknown backend fails to on-error with a coded error', async () => {
    const config = configOf(backends, [{ 'set-backend-service': { 'backend-id': '@(context.Request.Headers.GetValueOrDefault("x-b", "none"))' } }]);
    const { chains } = compilePolicies(config);
    const dir = new BackendDirectory(compileBackends(config.backends), new BreakerRegistry(), Date.now);
    const chain = instantiateChain(chains[0]![''], { counters: { hit: () => 1, peek: () => 0, hitPaired: () => 1, peekPaired: () => 0 }, now: Date.now, backends: dir });
    const ctx = new RequestContext('GET', '/x', '', ['host', 'client'], '10.0.0.1', 'a', 'o', {});
    assert.equal(await runSection(chain.inbound!, ctx), FAIL);
    assert.equal(ctx.lastError!.code, 'OUTPOST_ERR_BACKEND_NOT_FOUND');
    assert.equal(ctx.lastError!.policy, 'set-backend-service');
  });
});
