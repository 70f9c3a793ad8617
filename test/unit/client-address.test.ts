/** Peer addresses as Node reports them on a dual-stack listener, turned into the usual written forms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddressText } from '../../src/http1/server/peer-address.js';

const cases: Array<[raw: string, text: string]> = [
  ['::ffff:127.0.0.1', '127.0.0.1'],
  ['::ffff:10.0.0.5', '10.0.0.5'],
  ['::1', '::1'],
  ['2001:db8::ff00:42:8329', '2001:db8::ff00:42:8329'],
  ['::ffff:abcd', '::ffff:abcd'],
  ['127.0.0.1', '127.0.0.1'],
  ['', ''],
];
for (const [raw, text] of cases) {
  test(`clientAddressText ${JSON.stringify(raw)} → ${JSON.stringify(text)}`, () => assert.equal(clientAddressText(raw), text));
}
