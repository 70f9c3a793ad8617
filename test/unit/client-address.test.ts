/** Peer addresses as uWS reports them (full IPv6 text), turned into the usual written forms. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddressText, compressIpv6 } from '../../src/gateway/worker/client-address.js';

const bytes = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer as ArrayBuffer;

describe('clientAddressText', () => {
  const cases: Array<[raw: string, text: string]> = [
    ['0000:0000:0000:0000:0000:ffff:7f00:0001', '127.0.0.1'],
    ['0000:0000:0000:0000:0000:ffff:0a00:0005', '10.0.0.5'],
    ['0000:0000:0000:0000:0000:ffff:c0a8:ff01', '192.168.255.1'],
    ['0000:0000:0000:0000:0000:ffff:0000:0000', '0.0.0.0'],
    ['0000:0000:0000:0000:0000:ffff:ffff:ffff', '255.255.255.255'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['fe80:0000:0000:0000:0202:b3ff:fe1e:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['127.0.0.1', '127.0.0.1'],
    ['', ''],
  ];
  for (const [raw, text] of cases) {
    test(`${JSON.stringify(raw)} → ${JSON.stringify(text)}`, () => assert.equal(clientAddressText(bytes(raw)), text));
  }
});

describe('compressIpv6 (RFC 5952)', () => {
  const cases: Array<[full: string, text: string]> = [
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0000', '2001:db8::'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // tie: the first run
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // the longest run
    ['2001:0DB8:ABCD:0012:0000:0000:0000:0000', '2001:db8:abcd:12::'], // lower-case hex
    ['0000:0000:0000:0000:0000:ffff:0a00:0001', '::ffff:a00:1'],
    ['1111:2222:3333:4444:5555:6666:7777:8888', '1111:2222:3333:4444:5555:6666:7777:8888'],
  ];
  for (const [full, text] of cases) {
    test(`${full} → ${text}`, () => assert.equal(compressIpv6(full), text));
  }
});
