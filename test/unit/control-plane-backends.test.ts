/**
 * Backends in the control plane, against the real store (SQLite in a temp directory): which
 * backends a gateway's view holds (constant ids, pool members, included fragments, named values in
 * backend-id, any expression = all), the named values their credentials use, write checks (400 at
 * the backend's field paths, 409 naming the API, fragment or pool that still names a backend), and
 * literal credentials shown as null and kept when PUT back as null.
 */
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Store, type Doc, type Kind } from '../../src/control-plane/store.js';
import { buildConfig } from '../../src/control-plane/gateway-view.js';
import { checkChange, prepareDoc, present, type Rejection } from '../../src/control-plane/resources.js';
import { validateGatewayConfig } from '../../src/shared/config-schema.js';
import { compilePolicies } from '../../src/gateway/pipeline/compile-policies.js';
import { testTempDir } from '../support/temp-dir.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function newStore(): Store {
  const dir = testTempDir('outpost-cp-backends-');
  dirs.push(dir);
  return new Store(dir);
}

/** What the management API does on PUT: prepare, check, store. Returns the rejection, if any. */
function put(store: Store, kind: Kind, id: string, body: Doc): Rejection | undefined {
  const prepared = prepareDoc(kind, id, body, store.get(kind, id)?.doc);
  if (!('doc' in prepared)) return prepared;
  const rejection = checkChange(store, kind, id, prepared.doc);
  if (rejection === undefined) store.put(kind, id, prepared.doc);
  return rejection;
}
const ok = (r: Rejection | undefined): void => assert.equal(r, undefined, JSON.stringify(r));

const setBackend = (id: string) => `<policies><inbound><base /><set-backend-service backend-id="${id}" /></inbound></policies>`;
const api = (id: string, policies?: string) => ({
  name: id, path: id, serviceUrl: 'http://127.0.0.1:9', operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
  ...(policies === undefined ? {} : { policies }),
});
const single = (url: string, extra: Doc = {}) => ({ url, ...extra });

/** A gateway `gw` with `apis` assigned; returns the ids of the backends its view holds. */
function viewBackends(store: Store, apis: string[]): string[] {
  if (store.get('gateways', 'gw') === undefined) store.put('gateways', 'gw', { id: 'gw', name: 'gw' });
  for (const a of store.assignedApis('gw')) store.unassign('gw', a);
  for (const a of apis) store.assign('gw', a);
  return buildConfig(store, 'gw').backends.map((b) => String(b.id));
}

describe('control plane: the backends a gateway is sent', () => {
  let store: Store;
  beforeEach(() => {
    store = newStore();
    for (const id of ['b1', 'b2', 'eu', 'us', 'unused']) ok(put(store, 'backends', id, single(`http://127.0.0.1:9/${id}`)));
    ok(put(store, 'backends', 'pool1', { type: 'pool', pool: { services: [{ id: 'eu' }, { id: 'us', priority: 2 }] } }));
  });

  test('constant ids, with the members of the pools among them; nothing else', () => {
    ok(put(store, 'apis', 'a', api('a', setBackend('b1'))));
    ok(put(store, 'apis', 'p', api('p', setBackend('pool1'))));
    ok(put(store, 'apis', 'none', api('none')));
    assert.deepEqual(viewBackends(store, ['a']), ['b1']);
    assert.deepEqual(viewBackends(store, ['p']), ['eu', 'pool1', 'us']);
    assert.deepEqual(viewBackends(store, ['none']), []);
    assert.deepEqual(viewBackends(store, []), []);
  });

  test('operation and product policies, inside choose, and a backend-id from a named value', () => {
    ok(put(store, 'namedValues', 'which', { value: 'b2' }));
    ok(put(store, 'apis', 'a', { ...api('a'), operations: [{ id: 'op', method: 'GET', urlTemplate: '/*', policies: setBackend('b1') }] }));
    ok(put(store, 'apis', 'c', api('c', '<policies><inbound><choose><when condition="@(true)"><set-backend-service backend-id="{{which}}" /></when></choose></inbound></policies>')));
    ok(put(store, 'products', 'gold', { name: 'Gold', apis: ['c'], policies: { inbound: ['base', { 'set-backend-service': { 'backend-id': 'eu' } }] } }));
    assert.deepEqual(viewBackends(store, ['a']), ['b1']);
    assert.deepEqual(viewBackends(store, ['c']), ['b2', 'eu']);
  });

  test('a fragment the gateway includes brings its backends; one it does not include does not', () => {
    ok(put(store, 'fragments', 'to-b2', { policy: '<fragment><set-backend-service backend-id="b2" /></fragment>' }));
    ok(put(store, 'fragments', 'to-eu', { policy: '<fragment><set-backend-service backend-id="eu" /></fragment>' }));
    ok(put(store, 'apis', 'a', api('a', '<policies><inbound><include-fragment fragment-id="to-b2" /></inbound></policies>')));
    assert.deepEqual(viewBackends(store, ['a']), ['b2']);
  });

  test('a backend-id expression anywhere in the view sends every backend', () => {
    ok(put(store, 'apis', 'a', api('a', setBackend('b1'))));
    ok(put(store, 'apis', 'x', api('x', setBackend('@(context.Request.Headers.GetValueOrDefault("x-backend", "b1"))'))));
    assert.deepEqual(viewBackends(store, ['a']), ['b1']);
    assert.deepEqual(viewBackends(store, ['a', 'x']), ['b1', 'b2', 'eu', 'pool1', 'unused', 'us']);
  });

  test('the named values of the backends sent go along (only theirs), and the view compiles', () => {
    ok(put(store, 'namedValues', 'b1-key', { value: 'key-of-b1', secret: true }));
    ok(put(store, 'namedValues', 'us-token', { value: 'token-of-us', secret: true }));
    ok(put(store, 'namedValues', 'unused-key', { value: 'key-of-unused', secret: true }));
    ok(put(store, 'backends', 'b1', single('http://127.0.0.1:9/b1', { credentials: { header: { 'x-key': ['{{b1-key}}'] } } })));
    ok(put(store, 'backends', 'us', single('http://127.0.0.1:9/us', { credentials: { authorization: { scheme: 'Bearer', parameter: '{{us-token}}' } } })));
    ok(put(store, 'backends', 'unused', single('http://127.0.0.1:9/unused', { credentials: { query: { code: ['{{unused-key}}'] } } })));
    ok(put(store, 'apis', 'a', api('a', setBackend('b1'))));
    ok(put(store, 'apis', 'p', api('p', setBackend('pool1'))));
    store.put('gateways', 'gw', { id: 'gw', name: 'gw' });
    store.assign('gw', 'a');
    store.assign('gw', 'p');
    const config = buildConfig(store, 'gw');
    assert.deepEqual(config.backends.map((b) => b.id), ['b1', 'eu', 'pool1', 'us']);
    assert.deepEqual(config.namedValues.map((v) => v.name), ['b1-key', 'us-token']);
    assert.ok(!JSON.stringify(config).includes('key-of-unused'));
    const valid = validateGatewayConfig(config);
    assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.problems));
    assert.deepEqual(compilePolicies(valid.config).problems, []);
  });
});

describe('control plane: backend writes are checked against the whole state', () => {
  let store: Store;
  beforeEach(() => { store = newStore(); });

  test('a bad backend is refused (400) at its own field paths', () => {
    const r = put(store, 'backends', 'bad', { url: 'ftp://x', circuitBreaker: { rules: [] }, colour: 'red' });
    assert.equal(r?.status, 400);
    assert.deepEqual(r.problems.map((p) => p.path).sort(), ['circuitBreaker.rules', 'colour', 'url']);
    assert.ok(r.problems.every((p) => p.resource === undefined), 'problems on the resource itself carry no resource');
    const pool = put(store, 'backends', 'pool', { type: 'pool', pool: { services: [{ id: 'missing' }] } });
    assert.equal(pool?.status, 400);
    assert.deepEqual(pool.problems, [{ path: 'pool.services[0].id', message: 'no backend with id "missing"' }]);
    const mismatch = put(store, 'backends', 'b1', { id: 'b2', url: 'http://127.0.0.1:9' });
    assert.equal(mismatch?.status, 400);
    assert.equal(mismatch.problems[0].path, 'id');
    const missingNv = put(store, 'backends', 'b1', single('http://127.0.0.1:9', { credentials: { header: { 'x-key': ['{{nope}}'] } } }));
    assert.equal(missingNv?.status, 400);
    assert.deepEqual(missingNv.problems, [{ path: 'credentials.header.x-key[0]', message: 'no named value "nope" (config: namedValues)' }]);
  });

  test('an API naming a missing backend is refused (400 at its policies)', () => {
    const r = put(store, 'apis', 'a', api('a', setBackend('nope')));
    assert.equal(r?.status, 400);
    assert.match(JSON.stringify(r.problems), /no backend with id \\"nope\\"/);
    assert.equal(r.problems[0].path.startsWith('policies'), true);
  });

  test('deleting a backend still named is a 409 naming the API, the fragment or the pool; unused it goes', () => {
    ok(put(store, 'backends', 'b1', single('http://127.0.0.1:9')));
    ok(put(store, 'backends', 'b2', single('http://127.0.0.1:9')));
    ok(put(store, 'backends', 'b3', single('http://127.0.0.1:9')));
    ok(put(store, 'backends', 'pool', { type: 'pool', pool: { services: [{ id: 'b3' }] } }));
    ok(put(store, 'apis', 'a', api('a', setBackend('b1'))));
    ok(put(store, 'fragments', 'f', { policy: '<fragment><set-backend-service backend-id="b2" /></fragment>' }));
    const byApi = checkChange(store, 'backends', 'b1', null);
    assert.equal(byApi?.status, 409);
    assert.deepEqual(byApi.problems.map((p) => p.resource), ['/apis/a']);
    const byFragment = checkChange(store, 'backends', 'b2', null);
    assert.equal(byFragment?.status, 409);
    assert.deepEqual(byFragment.problems, [{ resource: '/policy-fragments/f', path: 'policy', message: 'set-backend-service: no backend with id "b2" (config: backends)' }]);
    const byPool = checkChange(store, 'backends', 'b3', null);
    assert.equal(byPool?.status, 409);
    assert.deepEqual(byPool.problems, [{ resource: '/backends/pool', path: 'pool.services[0].id', message: 'no backend with id "b3"' }]);
    // A fragment naming a missing backend is refused on write, like an API.
    const badFragment = put(store, 'fragments', 'g', { policy: '<fragment><set-backend-service backend-id="zz" /></fragment>' });
    assert.equal(badFragment?.status, 400);
    assert.deepEqual(badFragment.problems, [{ path: 'policy', message: 'set-backend-service: no backend with id "zz" (config: backends)' }]);
    ok(put(store, 'apis', 'a', api('a')));
    assert.equal(checkChange(store, 'backends', 'b1', null), undefined);
  });

  test('a named value a backend credential uses cannot be deleted (409 naming the backend)', () => {
    ok(put(store, 'namedValues', 'k', { value: 'v', secret: true }));
    ok(put(store, 'backends', 'b1', single('http://127.0.0.1:9', { credentials: { query: { code: ['{{k}}'] } } })));
    const r = checkChange(store, 'namedValues', 'k', null);
    assert.equal(r?.status, 409);
    assert.equal(r.problems[0].resource, '/backends/b1');
  });
});

describe('control plane: backend credentials are write-only unless they refer to named values', () => {
  test('GET shows literal values as null; PUT of null keeps them; a reference is shown', () => {
    const store = newStore();
    ok(put(store, 'namedValues', 'tok', { value: 't', secret: true }));
    const credentials = {
      header: { 'x-api-key': ['literal-secret-1', '{{tok}}'] },
      query: { code: ['literal-secret-2'] },
      authorization: { scheme: 'Basic', parameter: 'dXNlcjpwYXNz' },
    };
    ok(put(store, 'backends', 'b1', single('http://127.0.0.1:9', { credentials })));
    const shown = present('backends', store.get('backends', 'b1')!);
    assert.deepEqual(shown.credentials, {
      header: { 'x-api-key': [null, '{{tok}}'] },
      query: { code: [null] },
      authorization: { scheme: 'Basic', parameter: null },
    });
    assert.ok(!JSON.stringify(shown).includes('literal-secret'));
    // GET → edit → PUT: the masked values come back as they were.
    ok(put(store, 'backends', 'b1', { ...shown, url: 'http://127.0.0.1:9/v2' }));
    const stored = store.get('backends', 'b1')!.doc;
    assert.deepEqual(stored.credentials, credentials);
    assert.equal(stored.url, 'http://127.0.0.1:9/v2');
    // A null where nothing was stored is a problem at its path.
    const r = put(store, 'backends', 'b1', { ...shown, credentials: { ...(shown.credentials as Doc), query: { other: [null] } } });
    assert.equal(r?.status, 400);
    assert.equal(r.problems[0].path, 'credentials.query.other[0]');
  });
});
