/**
 * forward-request follow-redirects: the request a redirect leads to (.NET's rules): 303 and a
 * non-GET 301/302 become a bodiless GET, 307/308 keep method and body, a streamed body is not
 * sent twice, another origin loses Authorization and Cookie, only http(s) is followed; and the
 * bound for a body kept to send again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { redirectRequest, replayBodyLimit } from '../../src/gateway/worker/redirect-request.js';
import type { UpstreamRequest } from '../../src/gateway/upstream/upstream-types.js';

const ORIGIN = 'http://10.0.0.5:8080';
const post = (body: UpstreamRequest['body']): UpstreamRequest => ({
  path: '/api/orders?x=1', method: 'POST', body, headersTimeout: 3000,
  headers: ['host', '10.0.0.5:8080', 'content-type', 'application/json', 'content-length', '2', 'authorization', 'Bearer t', 'cookie', 'a=b', 'x-keep', 'yes'],
});

describe('redirectRequest', () => {
  test('a relative Location resolves against the request sent; 302 of a POST becomes a GET without body or body headers', () => {
    const next = redirectRequest(post(Buffer.from('{}')), ORIGIN, 'done?y=2', 302)!;
    assert.equal(next.origin, ORIGIN);
    assert.deepEqual({ ...next.request }, {
      path: '/api/done?y=2', method: 'GET', body: null, headersTimeout: 3000,
      headers: ['authorization', 'Bearer t', 'cookie', 'a=b', 'x-keep', 'yes', 'host', '10.0.0.5:8080'],
    });
  });

  test('307 and 308 keep the method and the held body; a streamed body cannot be sent again', () => {
    const body = Buffer.from('{}');
    const next = redirectRequest(post(body), ORIGIN, '/v2/orders', 307)!;
    assert.deepEqual([next.request.method, next.request.body, next.request.path], ['POST', body, '/v2/orders']);
    assert.ok(next.request.headers.includes('content-length'));
    assert.equal(redirectRequest(post(Readable.from(['{}'])), ORIGIN, '/v2/orders', 308), null);
    assert.notEqual(redirectRequest(post(Readable.from(['{}'])), ORIGIN, '/v2/orders', 303), null, 'a 303 needs no body');
  });

  test('another origin gets the new Host and no Authorization or Cookie; only http and https are followed', () => {
    const next = redirectRequest(post(null), ORIGIN, 'https://other.example/x', 308)!;
    assert.equal(next.origin, 'https://other.example');
    assert.deepEqual(next.request.headers, ['content-type', 'application/json', 'content-length', '2', 'x-keep', 'yes', 'host', 'other.example']);
    const withCredential = post(null);
    withCredential.headers.push('x-backend-key', 's3cret');
    const own = withCredential.headers.slice(0, -2);
    assert.ok(redirectRequest(withCredential, ORIGIN, '/same', 307, own)!.request.headers.includes('x-backend-key'), 'the same backend keeps its credentials');
    assert.ok(!redirectRequest(withCredential, ORIGIN, 'http://elsewhere.example/', 307, own)!.request.headers.includes('x-backend-key'), 'another origin never gets them');
    assert.equal(redirectRequest(post(null), ORIGIN, 'ftp://files.example/x', 302), null);
    assert.equal(redirectRequest(post(null), ORIGIN, 'http://[bad', 302), null);
    assert.equal(redirectRequest(post(null), ORIGIN, `/${'a'.repeat(9000)}`, 302), null);
  });

  test('the replay bound is maxReplayBodyBytes, never over maxBodyBytes (0: no body limit)', () => {
    assert.equal(replayBodyLimit(1_048_576, 100), 100);
    assert.equal(replayBodyLimit(1_048_576, 0), 1_048_576);
    assert.equal(replayBodyLimit(65_536, 104_857_600), 65_536);
  });
});
