/**
 * The request path's once-a-second caches, expired on purpose (the warm-up does it every 10 ms,
 * src/gateway/worker/warm-up.ts): the next use reads the clock afresh and gives what it would have
 * given anyway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { ClientResponse } from '../../src/http1/server/client-response.js';
import { dateLine, forgetDateLine } from '../../src/http1/server/date-header.js';
import { forgetClockReadings, requestLogText } from '../../src/gateway/telemetry/request-log.js';

function response(startedAt: number): ClientResponse {
  return {
    startedAt, statusSent: 200, requestBytes: 10, responseBytes: 20, errorCode: null, backendStartedAt: 0, backendEndedAt: 0, backendStatus: 0,
    requestId: 'id-1', method: 'GET', path: '/p', query: '', subscriptionId: '', productId: '', cacheResult: null, remoteAddress: '::1',
  } as unknown as ClientResponse;
}

test('the Date line is rebuilt after forgetDateLine, and is the current second', () => {
  for (let i = 0; i < 3; i++) {
    forgetDateLine();
    const before = Math.floor(Date.now() / 1000) * 1000;
    const line = dateLine();
    const after = Date.now();
    assert.match(line, /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT\r\n$/);
    const at = Date.parse(line.slice(6, -2));
    assert.ok(at >= before && at <= after, `${line.trim()} within [${before}, ${after}]`);
    assert.equal(dateLine(), line, 'the same line until the second changes');
  }
});

test("a request-log line's time after forgetClockReadings is still its request's start on the wall clock", () => {
  for (let i = 0; i < 3; i++) {
    forgetClockReadings();
    const start = performance.now() - 250;
    const wallStart = Date.now() - 250;
    const line = JSON.parse(requestLogText(response(start), 'a', 'o', start + 250)) as { time: string; totalMs: number };
    assert.equal(line.totalMs, 250);
    assert.ok(Math.abs(Date.parse(line.time) - wallStart) <= 20, `${line.time} against ${new Date(wallStart).toISOString()}`);
  }
});
