/** Request-log pieces: query redaction, correlation ids, the line's JSON (escaping, nulls, time). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactQuery } from '../../src/gateway/telemetry/query-redaction.js';
import { correlationId, isAcceptableRequestId, jsUuid, newUuid, UUID_SOURCE } from '../../src/gateway/telemetry/correlation-id.js';
import { nativeAddon } from '../../src/gateway/native.js';
import { LOG_BATCH_BYTES, operationFragment, requestLogText, RequestLogBatch } from '../../src/gateway/telemetry/request-log.js';
import type { ClientResponse } from '../../src/http1/server/client-response.js';
import { mulberry32 } from '../conformance/random-routes.js';

test('redactQuery: the default key parameter goes, credential-like values are redacted, the rest is untouched', () => {
  assert.equal(redactQuery(''), '');
  assert.equal(redactQuery('a=1&b=2'), 'a=1&b=2');
  assert.equal(redactQuery('subscription-key=abc&a=1'), 'a=1');
  assert.equal(redactQuery('Subscription-Key=abc'), '');
  assert.equal(redactQuery('access_token=t&api_key=k&client_secret=s&password=p&sig=x&code=c&page=2'),
    'access_token=REDACTED&api_key=REDACTED&client_secret=REDACTED&password=REDACTED&sig=REDACTED&code=REDACTED&page=2');
  assert.equal(redactQuery('%74oken=t'), '%74oken=REDACTED'); // an encoded name is decoded before the check
  assert.equal(redactQuery('flag&token'), 'flag&token'); // no value, nothing to hide
});

/** redactQuery as it was before its one-scan fast path: the reference the fast path must agree with. */
function referenceRedact(query: string): string {
  const parts = ['key', 'token', 'secret', 'password', 'passwd', 'pwd', 'signature', 'sig', 'auth', 'credential', 'session'];
  const secret = (raw: string): boolean => {
    let name = raw.toLowerCase();
    if (name.includes('%')) { try { name = decodeURIComponent(name); } catch { /* raw */ } }
    return name === 'code' || parts.some((p) => name.includes(p));
  };
  const verdict = (pair: string): string => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name.toLowerCase() === 'subscription-key') return 'remove';
    return eq >= 0 && secret(name) ? 'redact' : 'keep';
  };
  if (query === '') return '';
  const pairs = query.split('&');
  if (pairs.every((p) => verdict(p) === 'keep')) return query;
  return pairs.filter((p) => verdict(p) !== 'remove').map((p) => (verdict(p) === 'redact' ? `${p.slice(0, p.indexOf('='))}=REDACTED` : p)).join('&');
}

test('redactQuery agrees with the pair-by-pair reference on random queries (names and values from secret parts, cases, encodings)', () => {
  const atoms = ['a', 'page', 'KEY', 'Token', 'x%41', '%74oken', 'code', 'Code', 'codes', 'subscription-key', 'SUBSCRIPTION-KEY', 'sig', 'Auth', 'pwd', 'passwd', 'session', 'credential', '1', '', '%', 'v%20w', 'signature'];
  // mulberry32: the LCG `(seed * 1103515245 + 12345) & 0x7fffffff` lost bits above 2^53 and its
  // low bits cycled, so `% n` picked a few entries of a list only (test/unit/request-log-native.test.ts).
  const random = mulberry32(12345);
  const next = (n: number): number => Math.floor(random() * n);
  const atomsUsed = new Set<number>();
  for (let i = 0; i < 5000; i++) {
    const pairs: string[] = [];
    for (let j = 0, n = 1 + next(4); j < n; j++) {
      const atom = (): string => { const k = next(atoms.length); atomsUsed.add(k); return atoms[k]; };
      const name = atom() + (next(3) === 0 ? atom() : '');
      pairs.push(next(4) === 0 ? name : `${name}=${atom()}`);
    }
    const q = pairs.join('&');
    assert.equal(redactQuery(q), referenceRedact(q), q);
  }
  assert.equal(atomsUsed.size, atoms.length, 'every atom was tried');
});

test('correlation ids: a sane client id is kept, anything else is replaced by a UUID', () => {
  assert.equal(correlationId('abc-123_x.y:z/+=@~'), 'abc-123_x.y:z/+=@~');
  for (const bad of ['', 'has space', 'quo"te', 'x'.repeat(129), 'caf\u00e9', 'a\tb']) {
    assert.ok(!isAcceptableRequestId(bad) || bad === '', bad);
    assert.match(correlationId(bad), /^[0-9a-f-]{36}$/);
  }
  assert.equal(correlationId('x'.repeat(128)), 'x'.repeat(128));
});

const native = nativeAddon();
const uuidMakers: Array<[string, () => string]> = [['newUuid', newUuid], ['jsUuid (without the addon)', jsUuid]];
if (native !== null) uuidMakers.push(['the addon\'s newUuid', () => native.newUuid()!]);

for (const [name, make] of uuidMakers) {
  test(`${name}: version 4 UUIDs, distinct across entropy refills, every digit at every free position`, () => {
    const seen = new Set<string>();
    // Per position of the 32 hex digits, the digits seen there: 13 (version) is always 4, 17 (variant) 8-b.
    const atPosition = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 4_000; i++) { // sixteen refills of the entropy pool
      const id = make();
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      [...id.replace(/-/g, '')].forEach((c, at) => atPosition[at].add(c));
    }
    assert.equal(seen.size, 4_000);
    atPosition.forEach((digits, at) => assert.equal(digits.size, at === 12 ? 1 : at === 16 ? 4 : 16, `position ${at}: ${[...digits].sort().join('')}`));
  });
}

test('with the addon loaded, newUuid takes its ids from the addon; without it, from JavaScript', () => {
  assert.equal(UUID_SOURCE, native === null ? 'javascript' : 'addon');
  // One thread's pool in the addon and crypto's behind jsUuid never hand out the same id.
  const ids = new Set<string>();
  for (let i = 0; i < 600; i++) { ids.add(newUuid()); ids.add(jsUuid()); }
  assert.equal(ids.size, 1_200);
});

function fakeResponse(fields: Partial<Record<keyof ClientResponse, unknown>>): ClientResponse {
  return {
    startedAt: 1000, statusSent: 200, requestBytes: 10, responseBytes: 20, errorCode: null, backendStartedAt: 0, backendEndedAt: 0, backendStatus: 0,
    requestId: 'id-1', method: 'GET', path: '/p', query: '', subscriptionId: '', productId: '', cacheResult: null, remoteAddress: '::1', ...fields,
  } as unknown as ClientResponse;
}

test('the line is valid JSON with every field, nulls for what is absent, odd characters escaped', () => {
  const line = JSON.parse(requestLogText(fakeResponse({ path: '/a"b\\c', query: 'x=%22&token=s' }), '', 'op"1', 1002.5)) as Record<string, unknown>;
  assert.equal(line.url, '/a"b\\c?x=%22&token=REDACTED');
  assert.equal(line.operationId, 'op"1');
  assert.equal(line.apiId, null);
  assert.equal(line.backendMs, null);
  assert.equal(line.backendStatus, null);
  assert.equal(line.totalMs, 2.5);
  assert.equal(line.clientIp, '::1');
  assert.match(line.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const withBackend = JSON.parse(requestLogText(fakeResponse({ backendStartedAt: 1000.25, backendEndedAt: 1001.25, backendStatus: 502, errorCode: 'OUTPOST_ERR_BACKEND_PROTOCOL', cacheResult: 'hit' }), 'api', 'op', 1002)) as Record<string, unknown>;
  assert.equal(withBackend.backendMs, 1);
  assert.equal(withBackend.backendStatus, 502);
  assert.equal(withBackend.errorCode, 'OUTPOST_ERR_BACKEND_PROTOCOL');
  assert.equal(withBackend.cache, 'hit');
});

/** The logged URL of each line in `chunks` (what identifies a line in the batch tests). */
const urlsIn = (chunks: Buffer[]): string[] => Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { url: string }).url);

test('a batch goes out as one write of whole lines', () => {
  const chunks: Buffer[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  batch.add(fakeResponse({ path: '/1' }), operationFragment('a', 'o'), 1001);
  batch.add(fakeResponse({ path: '/2' }), operationFragment('a', 'o'), 1001);
  assert.equal(chunks.length, 0);
  batch.flush();
  assert.equal(chunks.length, 1);
  assert.deepEqual(urlsIn(chunks), ['/1', '/2']);
  assert.equal(chunks[0].at(-1), 0x0a);
  batch.flush();
  assert.equal(chunks.length, 1);
  // The buffer is reused after a small batch: the bytes handed out earlier must not change.
  batch.add(fakeResponse({ path: '/3' }), operationFragment('a', 'o'), 1001);
  batch.flush();
  assert.deepEqual(urlsIn(chunks), ['/1', '/2', '/3']);
});

test('while stdout pushes back nothing is written; lines wait (bounded) and go out on drain', () => {
  const chunks: Buffer[] = [];
  let room = false;
  let resume: (() => void) | null = null;
  const batch = new RequestLogBatch((c) => { chunks.push(c); return room; }, (r) => { resume = r; });
  batch.add(fakeResponse({ path: '/1' }), operationFragment('a', 'o'), 1001);
  batch.flush(); // written, but the stream is now full
  batch.add(fakeResponse({ path: '/2' }), operationFragment('a', 'o'), 1001);
  batch.add(fakeResponse({ path: '/3' }), operationFragment('a', 'o'), 1001);
  batch.flush();
  assert.deepEqual(urlsIn(chunks), ['/1']);
  room = true;
  resume!();
  assert.deepEqual(urlsIn(chunks), ['/1', '/2', '/3']);
  room = false;
  const long = fakeResponse({ path: `/${'x'.repeat(4000)}` });
  let added = 0;
  while (batch.hasRoom && added < 10_000) { batch.add(long, operationFragment('a', 'o'), 1001); added++; }
  assert.equal(batch.hasRoom, false, 'held bytes are bounded while stdout pushes back');
  assert.ok(added > 500 && added < 2000, `about 4 MiB of 4 KB lines are held (${added})`);
});

test('the byte encoder: numbers, escapes, non-ASCII and a line longer than a batch', () => {
  const line = JSON.parse(requestLogText(fakeResponse({
    statusSent: 503, requestBytes: 0, responseBytes: 1234567890123, startedAt: 1000, backendStartedAt: 1000.0004, backendEndedAt: 1000.031,
    backendStatus: 200, path: '/caf\u00e9/\u65e5\u672c/\ud83d\ude00', method: 'GET', remoteAddress: '10.0.0.1', requestId: 'a\u0001b',
  }), 'api', 'op', 1012.0406)) as Record<string, unknown>;
  assert.equal(line.status, 503);
  assert.equal(line.requestBytes, 0);
  assert.equal(line.responseBytes, 1234567890123);
  assert.equal(line.totalMs, 12.041);
  assert.equal(line.backendMs, 0.031);
  assert.equal(line.url, '/caf\u00e9/\u65e5\u672c/\ud83d\ude00');
  assert.equal(line.correlationId, 'a\u0001b');
  // Path and query are written as one JSON string; an escape in either takes the general encoder.
  for (const [path, query] of [['/a', 'b=1'], ['/a"b', 'c=1'], ['/a', 'q=\u00e9"\\'], ['/a\u0001', '']]) {
    const back = JSON.parse(requestLogText(fakeResponse({ path, query }), 'a', 'o', 1)) as { url: string };
    assert.equal(back.url, query === '' ? path : `${path}?${query}`);
  }
  for (const ms of [0, 0.0004, 0.0005, 0.001, 0.1, 1, 9.999, 10, 123.4565, 86_400_000.5]) {
    const back = JSON.parse(requestLogText(fakeResponse({ startedAt: 0 }), 'a', 'o', ms)) as { totalMs: number };
    assert.equal(back.totalMs, Math.round(ms * 1000) / 1000, String(ms));
  }
  const chunks: Buffer[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  const huge = `/${'\u00e9'.repeat(100_000)}`; // 200 KB of UTF-8, 600 KB worst-case bound
  batch.add(fakeResponse({ path: '/before' }), operationFragment('a', 'o'), 1001);
  batch.add(fakeResponse({ path: huge }), operationFragment('a', 'o'), 1001);
  batch.add(fakeResponse({ path: '/after' }), operationFragment('a', 'o'), 1001);
  batch.flush();
  assert.deepEqual(urlsIn(chunks), ['/before', huge, '/after']);
});

test('the byte encoder writes any string the way JSON.stringify does, whatever its length and wherever an escape falls', () => {
  // Plain strings are copied four characters a store: lengths around the word size, with a
  // character to escape (or a non-ASCII one) before, inside and after the last whole word.
  const odd = ['"', '\\', '\u0001', '\u007f', '\u00e9', '\u2028', '\ud83d\ude00', '\n'];
  // mulberry32: the LCG `(seed * 1103515245 + 12345) & 0x7fffffff` lost bits above 2^53 and its
  // low bits cycled, so `% n` picked a few entries of a list only (test/unit/request-log-native.test.ts).
  const random = mulberry32(7);
  const next = (n: number): number => Math.floor(random() * n);
  const oddUsed = new Set<number>();
  for (let round = 0; round < 2000; round++) {
    const length = next(14);
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(0x20 + next(0x5f));
    if (round % 3 !== 0 && length > 0) {
      const at = next(length);
      const k = next(odd.length);
      oddUsed.add(k);
      s = s.slice(0, at) + odd[k] + s.slice(at + 1);
    }
    const query = round % 2 === 0 ? '' : s.replace(/[&=]/g, 'x');
    const line = requestLogText(fakeResponse({ path: `/${s}`, query, method: s === '' ? 'GET' : s, remoteAddress: s, requestId: s }), s, s, 1001);
    const back = JSON.parse(line) as Record<string, unknown>;
    assert.equal(back.url, query === '' ? `/${s}` : `/${s}?${query}`, JSON.stringify(s));
    assert.equal(back.method, s === '' ? 'GET' : s);
    assert.equal(back.clientIp, s);
    assert.equal(back.correlationId, s === '' ? null : s);
    assert.equal(back.apiId, s === '' ? null : s);
    assert.equal(back.operationId, s === '' ? null : s);
    // Nothing but the line: word stores past the end never show up in the text.
    assert.ok(line.endsWith('}'), line);
  }
  assert.equal(oddUsed.size, odd.length, 'every odd character was tried');
});

test('a written batch buffer given back is filled again by the next batch; one of another size is not kept', () => {
  const chunks: Buffer[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  const spare = new ArrayBuffer(LOG_BATCH_BYTES);
  batch.reuse(new ArrayBuffer(1024));
  batch.reuse(spare);
  const urls: string[] = [];
  for (let i = 0; chunks.length < 2; i++) {
    const path = `/${i}/${'x'.repeat(2_000)}`;
    urls.push(path);
    batch.add(fakeResponse({ path }), operationFragment('a', 'o'), 1001);
  }
  batch.flush();
  assert.notEqual(chunks[0].buffer, spare);
  assert.equal(chunks[1].buffer, spare, 'the second batch was written into the buffer given back');
  assert.deepEqual(urlsIn(chunks), urls);
});

test('the line as text: fields in their order, the shared runs and the field-by-field path alike, milliseconds without trailing zeros', () => {
  const KEYS = ['type', 'time', 'correlationId', 'method', 'url', 'status', 'backendStatus', 'totalMs', 'backendMs', 'requestBytes', 'responseBytes',
    'apiId', 'operationId', 'productId', 'subscriptionId', 'clientIp', 'cache', 'errorCode'];
  const cases: Array<[Partial<Record<keyof ClientResponse, unknown>>, Record<string, unknown>]> = [
    [{}, { method: 'GET', productId: null, subscriptionId: null, cache: null, errorCode: null }],
    [{ method: 'POST', productId: 'gold', subscriptionId: 's1', cacheResult: 'hit' }, { method: 'POST', productId: 'gold', subscriptionId: 's1', cache: 'hit', errorCode: null }],
    [{ method: 'PROPFIND', subscriptionId: 's2', errorCode: 'OUTPOST_ERR_RATE_LIMITED' }, { method: 'PROPFIND', productId: null, subscriptionId: 's2', cache: null, errorCode: 'OUTPOST_ERR_RATE_LIMITED' }],
    [{ method: 'DELETE', productId: 'p' }, { method: 'DELETE', productId: 'p', subscriptionId: null }],
  ];
  for (const [fields, expected] of cases) {
    const text = requestLogText(fakeResponse({ remoteAddress: '10.1.2.3', ...fields }), 'a', 'o', 1002.5);
    const line = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line), KEYS, text);
    for (const [k, v] of Object.entries(expected)) assert.equal(line[k], v, `${k} in ${text}`);
    assert.equal(line.clientIp, '10.1.2.3');
    assert.match(text, /^\{"type":"request","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","correlationId":"id-1",/);
  }
  for (const [ms, written] of [[2.5, '2.5'], [0.031, '0.031'], [0.05, '0.05'], [0.005, '0.005'], [12.04, '12.04'], [1, '1'], [0.1, '0.1'], [0.0004, '0'], [7.999, '7.999'], [7.9996, '8']] as const) {
    const text = requestLogText(fakeResponse({ startedAt: 0 }), 'a', 'o', ms);
    assert.ok(text.includes(`"totalMs":${written},`), `${ms} → ${text}`);
  }
});

test('a line\'s time is its request\'s start on the wall clock', () => {
  for (const ago of [0, 250, 1500]) {
    const now = performance.now();
    const line = JSON.parse(requestLogText(fakeResponse({ startedAt: now - ago }), 'a', 'o', now)) as { time: string };
    const expected = Date.now() - ago;
    assert.ok(Math.abs(Date.parse(line.time) - expected) <= 20, `${ago} ms ago: ${line.time} against ${new Date(expected).toISOString()}`);
  }
});

test('a small batch flushed by the timer goes out in its own buffer when a written one is back to replace it, copied when none is', () => {
  const chunks: Buffer[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  batch.add(fakeResponse({ path: '/1' }), operationFragment('a', 'o'), 1001);
  batch.flush(); // no spare yet: copied into a buffer of its size
  assert.equal(chunks[0].buffer.byteLength, chunks[0].length);
  const spare = new ArrayBuffer(LOG_BATCH_BYTES);
  batch.reuse(spare);
  batch.add(fakeResponse({ path: '/2' }), operationFragment('a', 'o'), 1001);
  batch.flush(); // a spare is at hand: the batch buffer itself goes (transferable, no copy)
  assert.equal(chunks[1].buffer.byteLength, LOG_BATCH_BYTES);
  assert.notEqual(chunks[1].buffer, spare);
  batch.add(fakeResponse({ path: '/3' }), operationFragment('a', 'o'), 1001);
  batch.flush(); // the next lines went into the spare; no spare left: copied again
  assert.equal(chunks[2].buffer.byteLength, chunks[2].length);
  assert.deepEqual(urlsIn(chunks), ['/1', '/2', '/3']);
});

