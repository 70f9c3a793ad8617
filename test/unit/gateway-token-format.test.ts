/**
 * The token form is one module (src/shared/gateway-token-format.ts) used by both sides: what the
 * control plane signs, the gateway reads back unchanged, and both refuse the same malformed forms.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signGatewayToken, parseGatewayToken as parseOnControlPlane } from '../../src/control-plane/gateway-token.js';
import { parseGatewayToken as parseOnGateway } from '../../src/gateway/managed/gateway-token.js';
import { OutpostError } from '../../src/shared/errors.js';

const EXPIRES = new Date(Date.UTC(2027, 0, 31, 12, 0, 42));

describe('gateway token form, shared by both sides', () => {
  test('a signed token is read back by the gateway with the same id, expiry and header', () => {
    const value = signGatewayToken('dc-1', EXPIRES, 'key-0123456789abcdef0123456789');
    const gw = parseOnGateway(value);
    const cp = parseOnControlPlane(value);
    assert.ok(cp.ok);
    assert.equal(gw.gatewayId, cp.token.gatewayId);
    assert.equal(gw.expiresAt.toISOString(), cp.token.expiresAt.toISOString());
    assert.equal(gw.header, value);
    // Case-insensitive scheme on input; the canonical one on output.
    assert.equal(parseOnGateway(value.replace('GatewayKey', 'gatewaykey')).header, value);
  });

  test('both sides refuse the same malformed forms', () => {
    for (const bad of ['Bearer gw&202701010000&sig', 'gw&202701010000', 'gw&202713010000&sig', 'gw&&sig']) {
      const cp = parseOnControlPlane(bad);
      assert.equal(cp.ok, false, bad);
      assert.throws(() => parseOnGateway(bad), (err: OutpostError) => err.code === 'OUTPOST_ERR_SETTINGS_INVALID' && err.message.startsWith('config.service.auth: Malformed'), bad);
    }
  });
});
