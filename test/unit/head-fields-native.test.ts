/**
 * The addon's field scanner (native/src/head_fields.c) against scanFieldsJs: the same code, the
 * same count (including where a refusal leaves the list's count alone) and the same offsets, for
 * random heads built from the bytes that matter to the grammar, every byte value at each place
 * of a line, and heads placed anywhere in a registered buffer. Also: only registered buffers go to
 * the addon, and it declines (the JavaScript scanner answers) arguments it cannot check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import {
  FieldList, scanFields, scanFieldsJs, lastScanWasNative,
  FIELDS_OK, FIELDS_BAD_LINE_ENDING, FIELDS_OBS_FOLD, FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_TOO_MANY,
} from '../../src/http1/head-fields.js';
import { mulberry32 } from '../conformance/random-routes.js';
import { nativeSkip, registeredBuffer } from '../support/native-registered.js';
import { registerNativeBuffer } from '../../src/shared/native-buffers.js';

const skip = nativeSkip;
/** As a worker's read buffer. */
const REGISTERED = registeredBuffer(16 * 1024);

const SENTINEL = 7777;
interface Scanned { code: number; count: number; offsets: number[]; native: boolean }

/** Scans `lines` + CRLF placed at `at` in REGISTERED with both scanners; `to` is the empty line's CR. */
function both(lines: Buffer, at: number, capacity: number): { native: Scanned; js: Scanned } {
  lines.copy(REGISTERED, at);
  const to = at + lines.length;
  REGISTERED[to] = 0x0d;
  REGISTERED[to + 1] = 0x0a;
  const run = (scan: typeof scanFields): Scanned => {
    const out = new FieldList(capacity);
    out.count = SENTINEL;
    const code = scan(REGISTERED, at, to, out);
    const native = scan === scanFields && lastScanWasNative;
    const n = out.count === SENTINEL ? 0 : out.count;
    return { code, count: out.count, offsets: Array.from(out.offsets.subarray(0, n * 4)), native };
  };
  return { native: run(scanFields), js: run(scanFieldsJs) };
}

function assertSame(lines: Buffer, at: number, capacity: number, why: string): Scanned {
  const { native, js } = both(lines, at, capacity);
  assert.equal(native.native, true, `${why}: the addon did not answer`);
  assert.deepEqual({ code: native.code, count: native.count, offsets: native.offsets },
    { code: js.code, count: js.count, offsets: js.offsets }, `${why}: ${JSON.stringify(lines.toString('latin1'))}`);
  return native;
}

/** Bytes the grammar cares about, weighted towards valid lines. */
const NAME = Buffer.from('abcXYZ09-_!#$%&\'*+.^`|~', 'latin1');
const VALUE = Buffer.from('abc XYZ 09 ;=,"/\t\x80\xe9\xff', 'latin1');
const SPECIAL = Buffer.from([0x00, 0x01, 0x08, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x3a, 0x7f, 0x80, 0xff, 0x22, 0x28, 0x2c]);

function randomLines(r: () => number): Buffer {
  const bytes: number[] = [];
  const pick = (b: Buffer): number => b[Math.floor(r() * b.length)];
  const lines = Math.floor(r() * 12);
  for (let l = 0; l < lines; l++) {
    if (r() < 0.05) bytes.push(r() < 0.5 ? 0x20 : 0x09); // obs-fold
    const nameLength = r() < 0.03 ? 0 : 1 + Math.floor(r() * 20);
    for (let i = 0; i < nameLength; i++) bytes.push(r() < 0.03 ? pick(SPECIAL) : pick(NAME));
    if (r() < 0.04) bytes.push(r() < 0.5 ? 0x20 : 0x09); // whitespace before the colon
    if (r() > 0.02) bytes.push(0x3a);
    const ows = Math.floor(r() * 3);
    for (let i = 0; i < ows; i++) bytes.push(r() < 0.5 ? 0x20 : 0x09);
    const valueLength = Math.floor(r() * 40);
    for (let i = 0; i < valueLength; i++) bytes.push(r() < 0.02 ? pick(SPECIAL) : pick(VALUE));
    const trailing = Math.floor(r() * 3);
    for (let i = 0; i < trailing; i++) bytes.push(r() < 0.5 ? 0x20 : 0x09);
    const end = r();
    if (end < 0.02) bytes.push(0x0a);
    else if (end < 0.04) bytes.push(0x0d);
    else if (end < 0.05) bytes.push(0x0d, 0x0d, 0x0a);
    else bytes.push(0x0d, 0x0a);
  }
  return Buffer.from(bytes);
}

test('the addon scans 20,000 random heads exactly as scanFieldsJs does (codes, counts, offsets)', { skip }, () => {
  const seed = Date.now() % 100000;
  const r = mulberry32(seed);
  const codes = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    const lines = randomLines(r);
    const at = Math.floor(r() * (REGISTERED.length - lines.length - 2));
    const capacity = 1 + Math.floor(r() * 12);
    const result = assertSame(lines, at, capacity, `seed ${seed}, head ${i}`);
    codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
  }
  // The generator reaches every outcome, so each was compared, not just the accepted heads.
  for (const code of [FIELDS_OK, FIELDS_BAD_LINE_ENDING, FIELDS_OBS_FOLD, FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_TOO_MANY]) {
    assert.ok((codes.get(code) ?? 0) >= 20, `seed ${seed}: code ${code} reached ${codes.get(code) ?? 0} times`);
  }
});

test('every byte value as the first byte of a line, inside a name, after the colon, inside and at the end of a value', { skip }, () => {
  const shapes: Array<(b: number) => number[]> = [
    (b) => [0x41, 0x3a, 0x31, 0x0d, 0x0a, b, 0x42, 0x3a, 0x32, 0x0d, 0x0a],
    (b) => [0x41, b, 0x42, 0x3a, 0x20, 0x31, 0x0d, 0x0a],
    (b) => [0x41, 0x3a, b, 0x31, 0x0d, 0x0a],
    (b) => [0x41, 0x3a, 0x20, 0x31, b, 0x32, 0x0d, 0x0a],
    (b) => [0x41, 0x3a, 0x20, 0x31, b, 0x0d, 0x0a],
    (b) => [0x41, 0x3a, 0x20, 0x31, 0x0d, b],
  ];
  for (let s = 0; s < shapes.length; s++) {
    for (let b = 0; b < 256; b++) assertSame(Buffer.from(shapes[s](b)), 100 + b, 4, `shape ${s}, byte ${b}`);
  }
});

test('the refusals of head-fields.test.ts, through the addon', { skip }, () => {
  const cases: Array<[string, number]> = [
    ['A: 1\nB: 2\r\n', FIELDS_BAD_LINE_ENDING], ['A: 1\rB: 2\r\n', FIELDS_BAD_LINE_ENDING],
    ['A: 1\r\n 2\r\n', FIELDS_OBS_FOLD], ['A: 1\r\n\t2\r\n', FIELDS_OBS_FOLD],
    ['A B: 1\r\n', FIELDS_BAD_NAME], ['A : 1\r\n', FIELDS_BAD_NAME], [': 1\r\n', FIELDS_BAD_NAME],
    ['Abc\r\n', FIELDS_BAD_NAME], ['A\xe9: 1\r\n', FIELDS_BAD_NAME], ['A: 1\x002\r\n', FIELDS_BAD_VALUE],
    ['A: 1\x7f\r\n', FIELDS_BAD_VALUE], ['A: 1\r\nB: 2\r\nC: 3\r\n', FIELDS_TOO_MANY],
    ['A: 1\r\nB-c:\t two words \t\r\nD:\r\nE: caf\xe9\r\n', FIELDS_TOO_MANY], ['', FIELDS_OK],
  ];
  for (const [lines, code] of cases) assert.equal(assertSame(Buffer.from(lines, 'latin1'), 0, 2, lines).code, code, lines);
  const accepted = assertSame(Buffer.from('A: 1\r\nB-c:\t two words \t\r\n', 'latin1'), 9, 2, 'two fields');
  assert.deepEqual(accepted, { code: FIELDS_OK, count: 2, offsets: [9, 10, 12, 13, 15, 18, 21, 30], native: true });
});

test('a buffer nobody registered, and arguments the addon cannot check, go to the JavaScript scanner', { skip }, () => {
  const other = Buffer.from('A: 1\r\n\r\n');
  const out = new FieldList(4);
  assert.equal(scanFields(other, 0, 6, out), FIELDS_OK);
  assert.equal(lastScanWasNative, false);
  assert.equal(out.count, 1);
  // `to` not on a CR: declined, and the JavaScript scanner gives its answer.
  Buffer.from('A: 1\r\nB: 2\r\n').copy(REGISTERED, 0);
  const js = new FieldList(4);
  assert.equal(scanFields(REGISTERED, 0, 5, out), scanFieldsJs(REGISTERED, 0, 5, js));
  assert.equal(lastScanWasNative, false);
  // A range past the buffer's end: declined, never read.
  assert.equal(scanFields(REGISTERED, REGISTERED.length - 2, REGISTERED.length + 10, out) >= 0, true);
  assert.equal(lastScanWasNative, false);
  // More fields than the io array could take back: declined.
  Buffer.from('A: 1\r\n\r\n').copy(REGISTERED, 0);
  assert.equal(scanFields(REGISTERED, 0, 6, new FieldList(5000)), FIELDS_OK);
  assert.equal(lastScanWasNative, false);
  assert.equal(scanFields(REGISTERED, 0, 6, out), FIELDS_OK);
  assert.equal(lastScanWasNative, true);
});

test('registerNativeBuffer takes a buffer once and at most four in all', { skip }, () => {
  assert.equal(registerNativeBuffer(REGISTERED), 0);
  const extra = [Buffer.alloc(64), Buffer.alloc(64), Buffer.alloc(64), Buffer.alloc(64)];
  const taken = extra.map((b) => registerNativeBuffer(b));
  // REGISTERED and, in this process, no read buffer of the gateway's: three more fit.
  assert.deepEqual(taken, [1, 2, 3, -1]);
  assert.equal(registerNativeBuffer(extra[1]), 2);
  Buffer.from('X: y\r\n\r\n').copy(extra[2], 0);
  const out = new FieldList(2);
  assert.equal(scanFields(extra[2], 0, 6, out), FIELDS_OK);
  assert.equal(lastScanWasNative, true);
  assert.deepEqual(Array.from(out.offsets.subarray(0, 4)), [0, 1, 3, 4]);
});
