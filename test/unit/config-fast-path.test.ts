/**
 * validateGatewayConfig and validateInParts take a fast path for plain APIs and operations (large
 * configs: config-fast-path.ts); its output must be exactly the plain zod schema's, and invalid
 * configs must get the plain schema's problems.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayConfigSchema, isHttpUrl, plainApiSchema, validateGatewayConfig } from '../../src/shared/config-schema.js';
import { fastApi } from '../../src/shared/config-fast-path.js';
import { largeConfig } from '../../bench/large-config-gen.js';

const plain = (input: unknown) => gatewayConfigSchema.safeParse(input);

test('valid configs: the same output as the plain schema', () => {
  const configs: unknown[] = [
    {},
    largeConfig({ apis: 120, serviceUrl: 'http://127.0.0.1:9' }),
    { apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://x', operations: [
      { id: 'o1', method: 'get', urlTemplate: '/a' },
      { id: 'o2', method: 'Post', urlTemplate: '/a/{id}', policies: { inbound: [{ 'set-header': { name: 'x', value: 'y' } }] } },
      { urlTemplate: '/b', method: '*', id: 'o3' },
    ] }, { id: 'b', name: 'B', path: 'b', serviceUrl: 'http://x', operations: [
      // Upper case but its keys out of the schema's order: copied in order, not used as it is.
      { urlTemplate: '/c', method: 'GET', id: 'o4' },
      { id: 'o5', method: 'GET', urlTemplate: '/d' },
    ] }] },
  ];
  for (const input of configs) {
    const want = plain(input);
    assert.ok(want.success);
    const got = validateGatewayConfig(input);
    assert.ok(got.ok);
    assert.deepStrictEqual(got.config, want.data);
    assert.equal(JSON.stringify(got.config), JSON.stringify(want.data));
  }
});

test('invalid operations: the plain schema problems, paths and messages', () => {
  const bad = { apis: [{ id: 'a', name: 'A', path: 'a', serviceUrl: 'http://x', operations: [
    { id: '', method: 'FETCH', urlTemplate: 'a' }, { id: 'x', method: 'GET', urlTemplate: '/x', extra: 1 }, { id: 'y', method: 3, urlTemplate: '/y' },
  ] }] };
  const got = validateGatewayConfig(bad);
  assert.equal(got.ok, false);
  if (got.ok) return;
  assert.deepEqual(got.problems.map((p) => p.path), [
    'apis[0].operations[0].id', 'apis[0].operations[0].method', 'apis[0].operations[0].urlTemplate',
    'apis[0].operations[1].extra', 'apis[0].operations[2].method',
  ]);
  assert.ok(!plain(bad).success);
});

/** A small deterministic PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const API_FIELDS = ['id', 'name', 'path', 'serviceUrl', 'hostnames', 'preserveHost', 'operations', 'subscriptionRequired', 'subscriptionKeyParameterNames', 'policies', 'backendTls', 'requestLog', 'extra'];
const VALUES: unknown[] = [
  undefined, null, '', 'a', 'A-b.c_~9', 'a b', 'x"y', 'café', 'v1/orders', '/v1/orders/', '//x', 'a/%2e', 'http://h', 'https://h:8443/base/', 'http://', 'ftp://h', 'http://u:p@h/x',
  'HTTP://H', 0, 1, -1, 1.5, true, false, [], {}, ['api.example.com'], ['a.b', 'c-d.e'], ['bad host'], [''], [1], ['h:80'],
  { header: 'X-Key' }, { query: 'k' }, { header: 'bad header' }, { header: 'X', query: 'q', other: 1 },
  [{ id: 'o', method: 'GET', urlTemplate: '/x' }], [{ id: 'o', method: 'get', urlTemplate: '/x' }], [{ id: 'o', method: 'FETCH', urlTemplate: '/x' }],
  [{ id: '', method: 'GET', urlTemplate: '/x' }], [{ id: 'o', method: 'GET', urlTemplate: 'x' }], [{ method: 'GET', id: 'o', urlTemplate: '/x' }],
  [{ id: 'o', method: 'GET', urlTemplate: '/x', policies: '<policies/>' }], [{ id: 'o', method: 'POST', urlTemplate: '/{id}' }, { id: 'p', method: '*', urlTemplate: '/*' }],
  '<policies><inbound><base /></inbound></policies>', { inbound: [{ base: {} }] }, { verifyCertificate: false },
];

/** A copy of `api` with one to three random changes: a field deleted, set to another value, or the keys reordered. */
function mutate(api: Record<string, unknown>, rand: () => number): unknown {
  const out: Record<string, unknown> = { ...api };
  const changes = 1 + Math.floor(rand() * 3);
  for (let c = 0; c < changes; c++) {
    const field = API_FIELDS[Math.floor(rand() * API_FIELDS.length)];
    const r = rand();
    if (r < 0.25) delete out[field];
    else if (r < 0.9) out[field] = VALUES[Math.floor(rand() * VALUES.length)];
    else return Object.fromEntries(Object.entries(out).sort(() => rand() - 0.5));
  }
  return out;
}

test('fastApi: every API it answers gets exactly the plain schema\'s output, key order included', () => {
  const base = (largeConfig({ apis: 200, serviceUrl: 'http://127.0.0.1:9' }) as { apis: Array<Record<string, unknown>> }).apis;
  const handMade: Array<Record<string, unknown>> = [
    { id: 'a', name: 'A', path: '', serviceUrl: 'https://h/x', operations: [{ id: 'o', method: 'GET', urlTemplate: '/' }], preserveHost: true, requestLog: false },
    { id: 'b', name: 'B', path: '/b/', serviceUrl: 'http://h', hostnames: [], subscriptionRequired: true, operations: [{ id: 'o', method: 'delete', urlTemplate: '/x' }] },
    { operations: [{ id: 'o', method: 'GET', urlTemplate: '/x' }], serviceUrl: 'http://h:1/', path: 'c', name: 'C', id: 'c' },
  ];
  const rand = prng(7);
  const cases: unknown[] = [...base, ...handMade, Object.assign(Object.create(null) as object, handMade[0]), [handMade[0]], null, 'api'];
  for (let i = 0; i < 6000; i++) cases.push(mutate(i % 4 === 0 ? handMade[i % handMade.length] : base[i % base.length], rand));
  let answered = 0;
  let declinedValid = 0;
  for (const value of cases) {
    const fast = fastApi(value, isHttpUrl, new Map());
    const want = plainApiSchema.safeParse(value);
    if (fast === null) { if (want.success) declinedValid++; continue; }
    answered++;
    assert.ok(want.success, `fastApi answered an API the schema refuses: ${JSON.stringify(value)}`);
    assert.deepStrictEqual(fast, want.data, JSON.stringify(value));
    assert.equal(JSON.stringify(fast), JSON.stringify(want.data), JSON.stringify(value));
  }
  // Not a test that a path answering nothing would pass: the plain APIs are answered, and the
  // declined valid ones are those with fields it leaves to the schema (policies, backendTls, key names).
  assert.ok(answered > 1000, `answered ${answered}`);
  const plainBase = base.filter((api) => !('policies' in api));
  assert.ok(plainBase.every((api) => fastApi(api, isHttpUrl, new Map()) !== null));
  assert.ok(declinedValid > 0);
});

test('fastApi: a serviceUrl is checked once per distinct URL, and a refused URL stays refused', () => {
  const seen: string[] = [];
  const check = (url: string) => { seen.push(url); return isHttpUrl(url); };
  const urls = new Map<string, boolean>();
  const api = (n: number, serviceUrl: string) => ({ id: `a${n}`, name: 'A', path: `p${n}`, serviceUrl, operations: [{ id: 'o', method: 'GET', urlTemplate: '/x' }] });
  assert.notEqual(fastApi(api(1, 'http://h/x'), check, urls), null);
  assert.notEqual(fastApi(api(2, 'http://h/x'), check, urls), null);
  assert.equal(fastApi(api(3, 'ftp://h'), check, urls), null);
  assert.equal(fastApi(api(4, 'ftp://h'), check, urls), null);
  assert.deepEqual(seen, ['http://h/x', 'ftp://h']);
});
