/** scanFields case by case: offsets of accepted fields, and the code of each refusal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldList, scanFields, nameIs, FIELDS_OK, FIELDS_BAD_LINE_ENDING, FIELDS_OBS_FOLD, FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_TOO_MANY } from '../../src/http1/head-fields.js';

/** Scans `lines` (each ending CRLF, then the empty line's CRLF is appended) → code and [name, value] pairs. */
function scan(lines: string, capacity = 8): { code: number; fields: string[][] } {
  const buf = Buffer.from(lines + '\r\n', 'latin1');
  const out = new FieldList(capacity);
  const code = scanFields(buf, 0, buf.length - 2, out);
  const fields: string[][] = [];
  if (code === FIELDS_OK) {
    for (let i = 0; i < out.count; i++) fields.push([buf.toString('latin1', out.nameStart(i), out.nameEnd(i)), buf.toString('latin1', out.valueStart(i), out.valueEnd(i))]);
  }
  return { code, fields };
}

test('scanFields: names, values trimmed of OWS, empty values, obs-text kept', () => {
  assert.deepEqual(scan('A: 1\r\nB-c:\t two words \t\r\nD:\r\nE: caf\xe9\r\n'), {
    code: FIELDS_OK, fields: [['A', '1'], ['B-c', 'two words'], ['D', ''], ['E', 'caf\xe9']],
  });
  assert.deepEqual(scan(''), { code: FIELDS_OK, fields: [] });
});

const refused: Array<[string, string, number]> = [
  ['bare LF', 'A: 1\nB: 2\r\n', FIELDS_BAD_LINE_ENDING],
  ['bare CR', 'A: 1\rB: 2\r\n', FIELDS_BAD_LINE_ENDING],
  ['obs-fold (SP)', 'A: 1\r\n 2\r\n', FIELDS_OBS_FOLD],
  ['obs-fold (HTAB)', 'A: 1\r\n\t2\r\n', FIELDS_OBS_FOLD],
  ['space in the name', 'A B: 1\r\n', FIELDS_BAD_NAME],
  ['space before the colon', 'A : 1\r\n', FIELDS_BAD_NAME],
  ['empty name', ': 1\r\n', FIELDS_BAD_NAME],
  ['no colon', 'Abc\r\n', FIELDS_BAD_NAME],
  ['non-token byte in the name', 'A\xe9: 1\r\n', FIELDS_BAD_NAME],
  ['NUL in the value', 'A: 1\x002\r\n', FIELDS_BAD_VALUE],
  ['DEL in the value', 'A: 1\x7f\r\n', FIELDS_BAD_VALUE],
  ['more lines than the list holds', 'A: 1\r\nB: 2\r\nC: 3\r\n', FIELDS_TOO_MANY],
];
for (const [name, lines, code] of refused) {
  test(`scanFields refuses ${name}`, () => assert.equal(scan(lines, 2).code, code));
}

test('nameIs compares ASCII case-insensitively and by length', () => {
  const buf = Buffer.from('Content-LENGTH');
  assert.equal(nameIs(buf, 0, buf.length, 'content-length'), true);
  assert.equal(nameIs(buf, 0, 7, 'content-length'), false);
  assert.equal(nameIs(buf, 0, 7, 'content'), true);
});
