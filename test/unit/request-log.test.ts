/** Request-log pieces: query redaction, correlation ids, the line's JSON (escaping, nulls, time). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactQuery } from '../../src/gateway/telemetry/query-redaction.js';
import { correlationId, isAcceptableRequestId } from '../../src/gateway/telemetry/correlation-id.js';
import { requestLogText, RequestLogBatch } from '../../src/gateway/telemetry/request-log.js';
import type { ClientResponse } from '../../src/http1/server/client-response.js';

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

test('correlation ids: a sane client id is kept, anything else is replaced by a UUID', () => {
  assert.equal(correlationId('abc-123_x.y:z/+=@~'), 'abc-123_x.y:z/+=@~');
  for (const bad of ['', 'has space', 'quo"te', 'x'.repeat(129), 'caf\u00e9', 'a\tb']) {
    assert.ok(!isAcceptableRequestId(bad) || bad === '', bad);
    assert.match(correlationId(bad), /^[0-9a-f-]{36}$/);
  }
  assert.equal(correlationId('x'.repeat(128)), 'x'.repeat(128));
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

test('a batch goes out as one write of whole lines', () => {
  const chunks: string[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  batch.add('{"a":1}');
  batch.add('{"a":2}');
  assert.equal(chunks.length, 0);
  batch.flush();
  assert.deepEqual(chunks, ['{"a":1}\n{"a":2}\n']);
  batch.flush();
  assert.equal(chunks.length, 1);
});

test('while stdout pushes back nothing is written; lines wait (bounded) and go out on drain', () => {
  const chunks: string[] = [];
  let room = false;
  let resume: (() => void) | null = null;
  const batch = new RequestLogBatch((c) => { chunks.push(c); return room; }, (r) => { resume = r; });
  batch.add('1');
  batch.flush(); // written, but the stream is now full
  batch.add('2');
  batch.add('3');
  batch.flush();
  assert.deepEqual(chunks, ['1\n']);
  room = true;
  resume!();
  assert.deepEqual(chunks, ['1\n', '2\n3\n']);
  for (let i = 0; i < 20_000; i++) batch.add('x');
  assert.equal(batch.hasRoom, false);
});
