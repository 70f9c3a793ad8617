/**
 * The response parser's head-end search (findBlankLine: native/src/head_end.c in a registered
 * buffer, Node's indexOf elsewhere) against a plain scan: the first CR LF CR LF wholly inside
 * [from, to), or -1, for random bytes rich in CR and LF, with stale bytes (and stale blank lines)
 * past `to` that must never be found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { findBlankLine } from '../../src/http1/response-parser.js';
import { nativeAddon } from '../../src/gateway/native.js';
import { NATIVE_IO, nativeBufferIndex } from '../../src/shared/native-buffers.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

const REGISTERED = registeredBuffer(8 * 1024);

function reference(buf: Uint8Array, from: number, to: number): number {
  for (let p = from; p + 4 <= to; p++) {
    if (buf[p] === 13 && buf[p + 1] === 10 && buf[p + 2] === 13 && buf[p + 3] === 10) return p;
  }
  return -1;
}

test('findBlankLine answers as a plain scan: 30,000 random ranges, in a registered buffer and in an unregistered one', () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const plain = Buffer.alloc(REGISTERED.length);
  const outcomes = { found: 0, notFound: 0, straddling: 0 };
  const crlfRich = [13, 10, 13, 10, 0x41, 0x3a, 0x20];
  const crlfPoor = [13, 10, 0x41, 0x42, 0x43, 0x3a, 0x20, 0x61, 0x62, 0x63];
  for (let i = 0; i < 30_000; i++) {
    const from = Math.floor(r() * 300);
    const to = from + Math.floor(r() * (r() < 0.2 ? 3000 : 120));
    const alphabet = r() < 0.5 ? crlfRich : crlfPoor;
    for (let p = from; p < Math.min(to + 8, REGISTERED.length); p++) REGISTERED[p] = alphabet[Math.floor(r() * alphabet.length)];
    // Now and then a blank line ending exactly at `to` (inside), or straddling it (not inside).
    if (r() < 0.15 && to - from >= 4) REGISTERED.write('\r\n\r\n', to - 4, 'latin1');
    else if (r() < 0.15 && to - from >= 2) { REGISTERED.write('\r\n\r\n', to - 2, 'latin1'); outcomes.straddling++; }
    REGISTERED.copy(plain);
    const expected = reference(REGISTERED, from, to);
    assert.equal(findBlankLine(REGISTERED, from, to), expected, `seed ${seed}, case ${i}: registered [${from}, ${to})`);
    assert.equal(findBlankLine(plain, from, to), expected, `seed ${seed}, case ${i}: unregistered [${from}, ${to})`);
    if (expected >= 0) outcomes.found++;
    else outcomes.notFound++;
  }
  assert.ok(outcomes.found > 3_000 && outcomes.notFound > 3_000 && outcomes.straddling > 1_000, JSON.stringify(outcomes));
});

test('the addon declines a buffer it does not know and a range outside its buffer or reversed', { skip: nativeSkip }, () => {
  const find = nativeAddon()!.findBlankLine;
  const io = NATIVE_IO!;
  const id = nativeBufferIndex(REGISTERED);
  assert.ok(id >= 0);
  REGISTERED.write('ab\r\n\r\ncd', 0, 'latin1');
  io[0] = id; io[1] = 0; io[2] = 8;
  assert.equal(find(), 2);
  for (const [buffer, from, to] of [[99, 0, 8], [-1, 0, 8], [id, -1, 8], [id, 6, 5], [id, 0, REGISTERED.length + 1]]) {
    io[0] = buffer; io[1] = from; io[2] = to;
    assert.equal(find(), -100, `buffer ${buffer} [${from}, ${to})`);
  }
  io[0] = id; io[1] = 0; io[2] = REGISTERED.length;
  assert.notEqual(find(), -100, 'the whole buffer is a range it takes');
});
