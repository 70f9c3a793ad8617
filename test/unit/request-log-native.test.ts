/**
 * The addon's request-log writer (native/src/request_log.c) against the JavaScript one, which
 * writes every line: on random lines the addon must write the same bytes, answer every plain
 * line (printable ASCII strings, safe integers, times in years 1970-9999) and decline every
 * other, and never depend on what the buffer held before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon } from '../../src/gateway/native.js';
import { requestLogTexts, operationFragment, RequestLogBatch } from '../../src/gateway/telemetry/request-log.js';
import type { ClientResponse } from '../../src/http1/server/client-response.js';

const skip = nativeAddon() === null && 'native addon not built';

let seed = 20261205;
const next = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)];

/** Characters the addon must refuse: escapes, DEL, non-ASCII (latin1, beyond, a surrogate pair, a lone surrogate). */
const ODD = ['"', '\\', '\u0000', '\u0001', '\n', '\u001f', '\u007f', '\u00e9', '\u00ff', '\u0100', '\u0141', '\u2028', '\ud83d\ude00', '\ud800'];

/** Printable ASCII without `"` and `\`, of lengths around the addon's 8-byte steps. */
function plainString(): string {
  const length = pick([0, 1, 3, 7, 8, 9, 15, 16, 17, 23, 36, 40, next(200)]);
  let s = '';
  for (let i = 0; i < length; i++) {
    let c = 0x20 + next(0x5f);
    if (c === 0x22 || c === 0x5c) c = 0x61;
    s += String.fromCharCode(c);
  }
  return s;
}

function withOdd(s: string): string {
  const at = next(s.length + 1);
  return s.slice(0, at) + pick(ODD) + s.slice(at);
}

const STRING_FIELDS = ['requestId', 'method', 'path', 'query', 'remoteAddress', 'productId', 'subscriptionId', 'cacheResult', 'errorCode'] as const;

function response(fields: Record<string, unknown>): ClientResponse {
  return {
    startedAt: 1000, statusSent: 200, requestBytes: 10, responseBytes: 20, errorCode: null, backendStartedAt: 0, backendEndedAt: 0, backendStatus: 0,
    requestId: '', method: 'GET', path: '/', query: '', subscriptionId: '', productId: '', cacheResult: null, remoteAddress: '127.0.0.1', ...fields,
  } as unknown as ClientResponse;
}

/** A random line's facts: every string plain unless `odd` names one to spoil; numbers in the range the addon writes. */
function randomFields(odd: string | null): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  for (const name of STRING_FIELDS) {
    let s = plainString();
    if (name === 'method' && s === '') s = 'GET';
    if (name === 'path') s = `/${s}`;
    if (name === 'query') s = s.replace(/[&=]/g, 'x'); // redaction leaves it as it is
    // null and '' both stand for absent: the line writes null for either.
    f[name] = (name === 'cacheResult' || name === 'errorCode') && s === '' && next(2) === 0 ? null : s;
  }
  if (next(3) === 0) { f.productId = ''; f.subscriptionId = ''; f.cacheResult = null; f.errorCode = null; } // the addon's shorter call
  if (odd !== null) f[odd] = withOdd((f[odd] as string | null) ?? '');
  f.statusSent = pick([200, 204, 404, 502, 100 + next(500)]);
  f.backendStatus = pick([0, 200, 503]);
  f.requestBytes = pick([0, 1, 97, next(1 << 30), 2 ** 53 - 1]);
  f.responseBytes = pick([0, 187, next(1 << 30), 1234567890123]);
  f.startedAt = next(1_000_000) / pick([1, 7, 1000, 1024]);
  if (next(2) === 0) {
    f.backendStartedAt = (f.startedAt as number) + next(1000) / 1000 + 0.0001;
    f.backendEndedAt = next(3) === 0 ? 0 : (f.backendStartedAt as number) + pick([0, 0.0004, 0.0005, 0.031, 7.9996, next(100_000) / 64]);
  }
  return f;
}

const nowFor = (f: Record<string, unknown>): number => (f.startedAt as number) + pick([0, 0.0004, 0.0005, 0.001, 2.5, 12.0406, next(10_000_000) / 1000]);
const wallFor = (): number => pick([0, 1, 999.9999, Date.UTC(2026, 11, 5, 18, 0, 0, 999), Date.UTC(2024, 1, 29, 23, 59, 59, 999.5), next(2 ** 30) * 1000 + next(1000), 253402300799999]);

test('plain lines: the addon answers every one, byte for byte what the JavaScript writer writes', { skip }, () => {
  let compared = 0;
  for (let i = 0; i < 20_000; i++) {
    const f = randomFields(null);
    const { js, native } = requestLogTexts(response(f), pick(['api', 'a"b', 'caf\u00e9', '']), pick(['op', 'get-item']), nowFor(f), wallFor());
    assert.notEqual(native, null, `declined a plain line: ${js}`);
    assert.equal(native, js);
    JSON.parse(js);
    compared++;
  }
  assert.equal(compared, 20_000);
});

test('a string the addon cannot copy as it is (an escape, a control character, DEL, anything above U+007E): it declines, the JavaScript writer writes the line', { skip }, () => {
  for (let i = 0; i < 5_000; i++) {
    const odd = pick(STRING_FIELDS);
    const f = randomFields(odd);
    const { js, native } = requestLogTexts(response(f), 'api', 'op', nowFor(f), wallFor());
    assert.equal(native, null, `wrote a line with ${JSON.stringify(f[odd])} in ${odd}: ${native}`);
    const back = JSON.parse(js) as Record<string, unknown>;
    assert.equal(typeof back.url, 'string');
  }
});

test('numbers and times outside the plain case are declined, and the JavaScript writer still writes them', { skip }, () => {
  const cases: Array<[string, Record<string, unknown>, number]> = [
    ['a fractional byte count', { requestBytes: 1.5 }, 0],
    ['a negative byte count', { responseBytes: -1 }, 0],
    ['a byte count past 2^53', { responseBytes: 2 ** 53 + 2 }, 0],
    ['a NaN status', { statusSent: Number.NaN }, 0],
    ['a time before 1970', {}, -1],
    ['a time after 9999', {}, 253402300800000],
    ['a duration of years', { startedAt: 0 }, 0],
  ];
  for (const [what, fields, wall] of cases) {
    const res = response(fields);
    const now = what === 'a duration of years' ? 1e13 : 1001;
    const { js, native } = requestLogTexts(res, 'api', 'op', now, wall);
    assert.equal(native, null, what);
    assert.ok(js.startsWith('{"type":"request"'), what);
  }
  // Just inside: the last millisecond of 9999, a byte count of 2^53 - 1, ~12 days.
  for (const [fields, wall, now] of [[{}, 253402300799999, 1001], [{ responseBytes: 2 ** 53 - 1 }, 0, 1001], [{ startedAt: 0 }, 0, 1_099_511_627]] as const) {
    const { js, native } = requestLogTexts(response(fields), 'api', 'op', now, wall);
    assert.equal(native, js);
  }
});

test('a batch written by the addon holds the same lines as JavaScript would write, and goes out whole', { skip }, () => {
  const chunks: Buffer[] = [];
  const batch = new RequestLogBatch((c) => { chunks.push(c); return true; });
  const lines: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 3_000; i++) {
    const f = randomFields(i % 10 === 0 ? pick(STRING_FIELDS) : null);
    f.startedAt = 1000;
    batch.add(response(f), operationFragment('api', 'op'), 1001);
    lines.push(f);
  }
  batch.flush();
  const written = Buffer.concat(chunks).toString('utf8').split('\n');
  assert.equal(written.pop(), '');
  assert.equal(written.length, 3_000);
  for (let i = 0; i < written.length; i++) {
    const back = JSON.parse(written[i]) as Record<string, unknown>;
    const f = lines[i];
    assert.equal(back.url, f.query === '' ? f.path : `${f.path as string}?${f.query as string}`);
    assert.equal(back.clientIp, f.remoteAddress);
    assert.equal(back.correlationId, f.requestId === '' ? null : f.requestId);
    assert.equal(back.errorCode, f.errorCode === '' ? null : f.errorCode);
    assert.equal(back.responseBytes, f.responseBytes);
  }
});

test('milliseconds at halves of a thousandth round up as Math.round does, in both writers', { skip }, () => {
  for (const ms of [0.0005, 0.0015, 0.0025, 2.5005, 7.9995, 123.4565, 0.0004999, 1e-7, 86_400_000.0005]) {
    const { js, native } = requestLogTexts(response({ startedAt: 0 }), 'api', 'op', ms, 0);
    assert.equal(native, js, String(ms));
    assert.equal((JSON.parse(js) as { totalMs: number }).totalMs, Math.round(ms * 1000) / 1000, String(ms));
  }
});
