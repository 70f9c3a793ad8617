/**
 * Gateway tokens (src/control-plane/gateway-token.ts): APIM's format, the exact signed string,
 * and every refusal reason.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { formatExpiry, parseExpiry, parseGatewayToken, signGatewayToken, verifyGatewayToken } from '../../src/control-plane/gateway-token.js';

const PRIMARY = 'primary-key-0123456789abcdef0123456789';
const SECONDARY = 'secondary-key-0123456789abcdef012345678';
const keys = (id: string) => (id === 'gw1' ? [PRIMARY, SECONDARY] : undefined);
const NOW = Date.UTC(2027, 0, 15, 12, 0);
const LATER = new Date(Date.UTC(2027, 0, 31, 12, 0, 42));

describe('gateway tokens', () => {
  test('format: GatewayKey <id>&<yyyyMMddHHmm UTC>&<base64 HMAC-SHA512 of "id\\nexpiry">', () => {
    const value = signGatewayToken('gw1', LATER, PRIMARY);
    const expected = createHmac('sha512', PRIMARY).update('gw1\n202701311200').digest('base64');
    assert.equal(value, `GatewayKey gw1&202701311200&${expected}`);
  });

  test('expiry round trip, and impossible times refused', () => {
    assert.equal(formatExpiry(new Date(Date.UTC(2027, 1, 3, 4, 5))), '202702030405');
    assert.equal(parseExpiry('202702030405')?.toISOString(), '2027-02-03T04:05:00.000Z');
    for (const bad of ['202713010000', '202702300000', '20270203040', '2027020304051', 'abcdefghijkl']) assert.equal(parseExpiry(bad), undefined, bad);
  });

  test('either key verifies', () => {
    for (const key of [PRIMARY, SECONDARY]) {
      const r = verifyGatewayToken(signGatewayToken('gw1', LATER, key), keys, NOW);
      assert.ok(r.ok);
      assert.equal(r.token.gatewayId, 'gw1');
      assert.equal(r.token.expiresAt.toISOString(), '2027-01-31T12:00:00.000Z');
    }
  });

  test('the scheme is optional when parsing (APIM env files carry it, some tools strip it)', () => {
    const value = signGatewayToken('gw1', LATER, PRIMARY);
    assert.ok(verifyGatewayToken(value.replace('GatewayKey ', ''), keys, NOW).ok);
  });

  const reason = (value: string | undefined) => {
    const r = verifyGatewayToken(value, keys, NOW);
    return r.ok ? 'ok' : r.reason;
  };

  test('refusals: missing, malformed, unknown gateway, bad signature, expired', () => {
    const good = signGatewayToken('gw1', LATER, PRIMARY);
    assert.equal(reason(undefined), 'missing');
    assert.equal(reason('  '), 'missing');
    assert.equal(reason('Bearer abc'), 'malformed');
    assert.equal(reason('GatewayKey gw1&202701311200'), 'malformed');
    assert.equal(reason('GatewayKey gw1&2027013112&sig'), 'malformed');
    assert.equal(reason(good.replace('gw1&', 'gw2&')), 'unknown-gateway');
    assert.equal(reason(signGatewayToken('gw1', LATER, 'some-other-key-0123456789abcdef0123')), 'bad-signature');
    // Same signature, a later expiry: the signature covers the expiry.
    assert.equal(reason(good.replace('202701311200', '202701311300')), 'bad-signature');
    // Stray characters that lenient base64 decoding would skip are still refused.
    assert.equal(reason(`${good}!`), 'bad-signature');
    assert.equal(reason(signGatewayToken('gw1', new Date(NOW - 60_000), PRIMARY)), 'expired');
    assert.equal(reason(signGatewayToken('gw1', new Date(NOW), PRIMARY)), 'expired');
  });

  test('a forged token is "bad signature" even when its expiry has passed', () => {
    assert.equal(reason(signGatewayToken('gw1', new Date(NOW - 60_000), 'not-the-key-0123456789abcdef0123456')), 'bad-signature');
  });

  test('parseGatewayToken reads id and expiry without any key', () => {
    const r = parseGatewayToken(signGatewayToken('gw1', LATER, PRIMARY));
    assert.ok(r.ok);
    assert.equal(r.token.expiry, '202701311200');
  });
});
