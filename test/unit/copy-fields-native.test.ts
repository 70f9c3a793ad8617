/**
 * The addon's field-line copier (native/src/copy_fields.c), which writes a backend's kept fields
 * into the client's head as bytes (ResponseHeaders.writeFieldsCoded): the same bytes as the
 * JavaScript copy and as the fields' text would give, for random heads and codes; and every
 * argument it cannot vouch for refused with -1 and nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { FieldList, scanFields, lastScanWasNative, FIELDS_OK } from '../../src/http1/head-fields.js';
import { ResponseHeaders } from '../../src/gateway/upstream/response-headers.js';
import { HeadWriter } from '../../src/shared/head-writer.js';
import { NATIVE_IO, NATIVE_IO_HEAD, nativeBufferIndex } from '../../src/shared/native-buffers.js';
import { nativeAddon } from '../../src/gateway/native.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';

const skip = nativeSkip;
/** As a worker's read buffer and its staging buffer. */
const SOURCE = registeredBuffer(16 * 1024);
const STAGING = registeredBuffer(16 * 1024);

const NAME = 'abcXYZ09-_!#$%&\'*+.^`|~';
const VALUE = 'abc XYZ 09 ;=,"/\t\x80\xe9\xff';

function pick(r: () => number, chars: string, min: number, max: number): string {
  let s = '';
  const n = min + Math.floor(r() * (max - min + 1));
  for (let i = 0; i < n; i++) s += chars[Math.floor(r() * chars.length)];
  return s;
}

/** A valid head's field lines with random names, values and OWS (a colon with or without spaces, tabs around the value). */
function randomFields(r: () => number): { lines: Buffer; fields: Array<[string, string]> } {
  const fields: Array<[string, string]> = [];
  let text = '';
  const count = Math.floor(r() * 14);
  for (let i = 0; i < count; i++) {
    const name = pick(r, NAME, 1, 24);
    // A value neither starts nor ends with whitespace (the scanner trims OWS).
    const value = r() < 0.1 ? '' : `${pick(r, 'abcXYZ09', 1, 1)}${pick(r, VALUE, 0, 40)}${pick(r, 'abcXYZ09', 1, 1)}`;
    const before = ['', ' ', '  ', '\t', ' \t'][Math.floor(r() * 5)];
    const after = ['', '', ' ', '\t '][Math.floor(r() * 4)];
    text += `${name}:${before}${value}${after}\r\n`;
    fields.push([name, value]);
  }
  return { lines: Buffer.from(text, 'latin1'), fields };
}

/** Scans `lines` placed at `at` in SOURCE: the field list (and the scan was the addon's). */
function scanAt(lines: Buffer, at: number): FieldList {
  lines.copy(SOURCE, at);
  const to = at + lines.length;
  SOURCE[to] = 0x0d;
  SOURCE[to + 1] = 0x0a;
  const list = new FieldList(64);
  assert.equal(scanFields(SOURCE, at, to, list), FIELDS_OK);
  assert.equal(lastScanWasNative, true, 'the addon scanned the head');
  return list;
}

test('the addon copies the coded fields as "Name: value" CRLF, the same bytes as the JavaScript copy and as the fields\' text', { skip }, () => {
  const r = mulberry32(20261206);
  const headers = new ResponseHeaders();
  const scratch = new HeadWriter(Buffer.alloc(16 * 1024));
  const staged = new HeadWriter(STAGING);
  let cases = 0;
  let native = 0;
  for (let round = 0; round < 400; round++) {
    const { lines, fields } = randomFields(r);
    const list = scanAt(lines, Math.floor(r() * 2000));
    const codes = new Uint8Array(64);
    for (let i = 0; i < fields.length; i++) codes[i] = r() < 0.7 ? 0 : 1 + Math.floor(r() * 4);
    headers.reset(SOURCE, list, null);
    const expected = Buffer.from(fields.filter((_, i) => codes[i] === 0).map(([n, v]) => `${n}: ${v}\r\n`).join(''), 'latin1');
    // Into the registered staging buffer, anywhere in it (the addon), and into an unregistered one (JavaScript).
    const at = Math.floor(r() * 4000);
    STAGING.fill(0xee);
    staged.pos = at;
    const before = Buffer.from(STAGING);
    NATIVE_IO![0] = -5; // anything the addon leaves behind would show in the result
    headers.writeFieldsCoded(codes, 0, staged);
    assert.deepEqual(STAGING.subarray(at, staged.pos), expected, `fields ${JSON.stringify(fields)}`);
    // Nothing outside the lines written.
    assert.deepEqual(STAGING.subarray(0, at), before.subarray(0, at));
    assert.deepEqual(STAGING.subarray(staged.pos), before.subarray(staged.pos));
    scratch.pos = 7;
    headers.writeFieldsCoded(codes, 0, scratch);
    assert.deepEqual(scratch.buf.subarray(7, scratch.pos), expected);
    cases++;
    if (NATIVE_IO![0] === nativeBufferIndex(SOURCE)) native++;
  }
  assert.equal(cases, 400);
  assert.equal(native, 400, 'the addon copied every registered case');
});

test('copyFields refuses what it cannot vouch for: -1 and nothing written', { skip }, () => {
  const copyFields = nativeAddon()!.copyFields;
  const io = NATIVE_IO!;
  const src = nativeBufferIndex(SOURCE);
  const dst = nativeBufferIndex(STAGING);
  Buffer.from('Name: value\r\n', 'latin1').copy(SOURCE, 100);
  const call = (a: number, b: number, at: number, ranges: number[][]): number => {
    io[0] = a; io[1] = b; io[2] = at; io[3] = ranges.length;
    ranges.forEach((o, i) => { for (let k = 0; k < 4; k++) io[NATIVE_IO_HEAD + i * 4 + k] = o[k]; });
    return copyFields();
  };
  const good = [100, 104, 106, 111];
  STAGING.fill(0xee);
  assert.equal(call(src, dst, 10, [good]), 10 + 'Name: value\r\n'.length);
  assert.equal(STAGING.toString('latin1', 10, 23), 'Name: value\r\n');
  const refused: Array<[string, number, number, number, number[][]]> = [
    ['source index out of range', 9, dst, 0, [good]],
    ['destination index negative', src, -1, 0, [good]],
    ['source and destination the same buffer', src, src, 0, [good]],
    ['negative position', src, dst, -1, [good]],
    ['position past the destination', src, dst, STAGING.length + 1, [good]],
    ['lines that do not fit at the end', src, dst, STAGING.length - 5, [good]],
    ['a range past the source', src, dst, 0, [[100, 104, 106, SOURCE.length + 1]]],
    ['a negative offset', src, dst, 0, [[-1, 104, 106, 111]]],
    ['a range that ends before it starts', src, dst, 0, [[104, 100, 106, 111]]],
    ['one bad range among good ones', src, dst, 0, [good, good, [100, 104, 111, 106]]],
  ];
  for (const [why, a, b, at, ranges] of refused) {
    STAGING.fill(0xee);
    assert.equal(call(a, b, at, ranges), -1, why);
    assert.ok(STAGING.every((x) => x === 0xee), `${why}: nothing written`);
  }
  // More fields than io holds.
  io[0] = src; io[1] = dst; io[2] = 0; io[3] = (io.length - NATIVE_IO_HEAD) / 4 + 1;
  assert.equal(copyFields(), -1, 'a count past io');
  io[3] = -1;
  assert.equal(copyFields(), -1, 'a negative count');
});
