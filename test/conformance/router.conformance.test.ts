/**
 * Router conformance (DESIGN rule 8): the shared-memory table and the naive reference matcher run
 * the same case table and must both give the expected route; then they must agree with each other
 * on thousands of seeded random configs and requests; and compilation must be deterministic.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateGatewayConfig, type GatewayConfig } from '../../src/shared/config-schema.js';
import { compileTable } from '../../src/gateway/router/compile-table.js';
import { tableSpace } from '../../src/gateway/primary/table-buffers.js';
import { newParsedPath, parseRequestPath, PATH_OK } from '../../src/gateway/router/request-path.js';
import { referencePathSegments } from '../support/reference-matcher.js';
import { FIXTURES, type FixtureName } from './router-fixtures.js';
import { ROUTER_CASES, type RouterCase } from './router-cases.js';
import { sharedRouter, referenceRouter, type Router, type RouteOutcome } from './shared-matcher.js';
import { Rng, mulberry32, randomConfig, randomRequest } from './random-routes.js';

function validated(raw: unknown): GatewayConfig {
  const result = validateGatewayConfig(raw);
  if (!result.ok) assert.fail(`fixture rejected: ${JSON.stringify(result.problems)}`);
  return result.config;
}

const configs = Object.fromEntries(
  Object.entries(FIXTURES).map(([name, raw]) => [name, validated(raw)]),
) as Record<FixtureName, GatewayConfig>;

function expected(c: RouterCase): RouteOutcome {
  if (c.expect === null || c.expect === 'bad-path') return c.expect;
  const [apiId, opId, params = {}] = c.expect;
  return { apiId, opId, params };
}

const routers: Array<[string, (config: GatewayConfig) => Router]> = [
  ['shared-memory table', sharedRouter],
  ['reference matcher', referenceRouter],
];

describe('router conformance cases', () => {
  assert.ok(ROUTER_CASES.length >= 40);
  for (const [routerName, build] of routers) {
    describe(routerName, () => {
      const built = new Map<FixtureName, Router>();
      const routerFor = (f: FixtureName) => built.get(f) ?? built.set(f, build(configs[f])).get(f)!;
      for (const c of ROUTER_CASES) {
        const todo = routerName === 'shared-memory table' ? c.knownBug : undefined;
        test(`${c.fixture}: ${c.name} (${c.method} ${JSON.stringify(c.path)}${c.host ? ` host ${c.host}` : ''})`, { todo }, () => {
          assert.deepStrictEqual(routerFor(c.fixture)(c.host ?? '', c.method ?? 'GET', c.path), expected(c));
        });
      }
    });
  }
});

describe('router differential: shared-memory table vs reference on seeded random configs', () => {
  const CONFIGS = 250;
  const LOOKUPS_PER_CONFIG = 20;

  test(`${CONFIGS} configs × ${LOOKUPS_PER_CONFIG} lookups agree`, () => {
    const rng = new Rng(mulberry32(0x0c0ffee));
    const tally = { lookups: 0, matched: 0, notFound: 0, badPath: 0, withParams: 0 };
    const ops = new Set<string>();
    for (let i = 0; i < CONFIGS; i++) {
      const raw = randomConfig(rng);
      const config = validated(raw);
      const shared = sharedRouter(config);
      const reference = referenceRouter(config);
      for (let j = 0; j < LOOKUPS_PER_CONFIG; j++) {
        const { host, method, path } = randomRequest(rng, raw);
        const got = shared(host, method, path);
        const want = reference(host, method, path);
        if (!isDeepEqual(got, want)) {
          assert.fail(`config #${i} ${JSON.stringify(raw)}\n${method} ${path} host "${host}"\n` +
            `shared:    ${JSON.stringify(got)}\nreference: ${JSON.stringify(want)}`);
        }
        tally.lookups++;
        if (got === null) tally.notFound++;
        else if (got === 'bad-path') tally.badPath++;
        else {
          tally.matched++;
          ops.add(`${i}/${got.opId}`);
          if (Object.keys(got.params).length > 0) tally.withParams++;
        }
      }
    }
    // Not vacuous: most lookups hit a route, and every outcome kind happens often.
    assert.equal(tally.lookups, CONFIGS * LOOKUPS_PER_CONFIG);
    assert.ok(tally.matched > tally.lookups * 0.4, JSON.stringify(tally));
    assert.ok(tally.notFound > tally.lookups * 0.05, JSON.stringify(tally));
    assert.ok(tally.badPath > 10, JSON.stringify(tally));
    assert.ok(tally.withParams > tally.lookups * 0.1, JSON.stringify(tally));
    assert.ok(ops.size > 1000, `distinct operations hit: ${ops.size}`);
  });

  test('parseRequestPath and the reference decoder give the same segments', () => {
    const rng = new Rng(mulberry32(42));
    const parsed = newParsedPath();
    let compared = 0;
    for (let i = 0; i < 2000; i++) {
      const { path } = randomRequest(rng, randomConfig(rng));
      const want = referencePathSegments(path);
      const code = parseRequestPath(path, parsed);
      assert.equal(code === PATH_OK, want !== null, path);
      if (want !== null) { assert.deepStrictEqual(parsed.segments, want, path); compared++; }
    }
    assert.ok(compared > 1800, `compared ${compared}`);
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try { assert.deepStrictEqual(a, b); return true; } catch { return false; }
}

describe('compileTable determinism', () => {
  test('the same config compiles to identical bytes', () => {
    for (const name of Object.keys(configs) as FixtureName[]) {
      const first = compileTable(configs[name]);
      const second = compileTable(configs[name]);
      assert.ok(first.length > 0);
      assert.deepStrictEqual(Buffer.from(first), Buffer.from(second), name);
    }
  });

  test('laid out into a lent table buffer that held another table: the same bytes as a fresh one', () => {
    const lent = new SharedArrayBuffer(1024 * 1024);
    new Uint8Array(lent).fill(0xa5); // an older table's bytes
    for (const name of Object.keys(configs) as FixtureName[]) {
      const fresh = compileTable(configs[name]);
      const inPlace = compileTable(configs[name], undefined, (size) => tableSpace(size, lent));
      assert.equal(inPlace.buffer, lent, name);
      assert.deepStrictEqual(Buffer.from(inPlace), Buffer.from(fresh), name);
    }
  });

  test('key order in the input does not change the bytes', () => {
    const reordered = {
      apis: FIXTURES.hosts.apis.map((api) => Object.fromEntries(Object.entries(api).reverse())),
      gateway: {},
    };
    const a = compileTable(configs.hosts);
    const b = compileTable(validated(reordered));
    assert.deepStrictEqual(Buffer.from(a), Buffer.from(b));
  });

  test('a different config compiles to different bytes', () => {
    const changed = structuredClone(FIXTURES.hosts) as { apis: Array<{ operations: Array<{ urlTemplate: string }> }> };
    changed.apis[0].operations[0].urlTemplate = '/info2';
    assert.notDeepStrictEqual(Buffer.from(compileTable(configs.hosts)), Buffer.from(compileTable(validated(changed))));
  });

  test('random configs compile deterministically', () => {
    const rng = new Rng(mulberry32(7));
    for (let i = 0; i < 100; i++) {
      const config = validated(randomConfig(rng));
      assert.deepStrictEqual(Buffer.from(compileTable(config)), Buffer.from(compileTable(structuredClone(config))));
    }
  });
});

describe('router differential: wide nodes (an edge directory at 400 and 40 edges, binary search at 12, a scan at 5)', () => {
  test('400 API suffixes × 40, 12 or 5 static operations: shared table and reference agree, hits and misses', () => {
    const words = Array.from({ length: 40 }, (_, i) => `r${i.toString(36)}x${(i * 7919).toString(36)}`);
    // Every third API has all 40 words (a directory: DIRECTORY_MIN_EDGES), then 12 (a binary search), then 5 (a linear scan).
    const wordsOf = (a: number) => words.slice(0, [40, 12, 5][a % 3]);
    const raw = {
      apis: Array.from({ length: 400 }, (_, a) => ({
        id: `w${a}`, name: `w${a}`, path: `svc${a}`, serviceUrl: 'http://127.0.0.1:9', subscriptionRequired: false,
        operations: [...wordsOf(a).map((w, o) => ({ id: `o${o}`, method: 'GET', urlTemplate: `/${w}/{id}` })), { id: 'any', method: 'GET', urlTemplate: '/{x}/*' }],
      })),
    };
    const config = validated(raw);
    const shared = sharedRouter(config);
    const reference = referenceRouter(config);
    const rng = new Rng(mulberry32(0x5eed));
    let matched = 0;
    for (let i = 0; i < 4000; i++) {
      const api = rng.chance(0.9) ? `svc${rng.int(400)}` : `SVC${rng.int(500)}`;
      const word = rng.chance(0.8) ? rng.pick(words) : `zz${rng.int(50)}`;
      const path = `/${api}/${rng.chance(0.2) ? word.toUpperCase() : word}/${rng.int(9)}${rng.chance(0.2) ? '/more' : ''}`;
      const got = shared('', 'GET', path);
      assert.deepEqual(got, reference('', 'GET', path), `GET ${path}`);
      if (got !== null && got !== 'bad-path' && got.opId !== 'any') matched++;
    }
    assert.ok(matched > 1000, `only ${matched} static matches`);
  });
});
