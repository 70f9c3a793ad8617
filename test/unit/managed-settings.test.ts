/**
 * Managed-mode settings: env files as APIM hands them out, endpoint normalisation (a bare host
 * means https), and the gateway token's expiry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile, readEnvFile } from '../../src/gateway/managed/env-file.js';
import { normaliseEndpoint, readSettingsMap, resolveManagedSettings } from '../../src/gateway/managed/managed-settings.js';
import { formatExpiry, parseGatewayToken, tokenStatus } from '../../src/gateway/managed/gateway-token.js';
import { OutpostError } from '../../src/shared/errors.js';
import { testTempDir } from '../support/temp-dir.js';

const code = (fn: () => unknown) => {
  try { fn(); } catch (err) { return (err as OutpostError).code; }
  return assert.fail('expected an error');
};

describe('env file', () => {
  test('KEY=VALUE lines, comments, blanks, values with = & and spaces, CRLF, quotes', () => {
    const text = '\uFEFF# APIM env.conf\r\nconfig.service.endpoint=cp.example.com\r\n\r\n  config.service.auth = GatewayKey gw&202701010000&a/b+c==  \r\nexport OUTPOST_BACKUP_DIR="/var/lib/outpost"\n';
    const parsed = parseEnvFile(text);
    assert.ok(parsed.ok);
    assert.deepEqual([...parsed.values], [
      ['config.service.endpoint', 'cp.example.com'],
      ['config.service.auth', 'GatewayKey gw&202701010000&a/b+c=='],
      ['OUTPOST_BACKUP_DIR', '/var/lib/outpost'],
    ]);
  });

  test('a line without = is reported with its number', () => {
    const parsed = parseEnvFile('# ok\nA=1\nnot a setting\n=x\n');
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.problems.map((p) => p.line), [3, 4]);
  });

  test('a missing file is a settings error', async () => {
    await assert.rejects(readEnvFile('/nonexistent/env.conf'), (err: OutpostError) => err.code === 'OUTPOST_ERR_SETTINGS_INVALID');
  });

  test('the env file wins over the environment; Outpost names and APIM names both work', async () => {
    const dir = testTempDir('outpost-env-');
    const file = join(dir, 'env.conf');
    writeFileSync(file, 'config.service.auth=GatewayKey gw-1&203001010000&sig\nOUTPOST_HEARTBEAT_INTERVAL_MS=500\n');
    const map = await readSettingsMap(file, { 'config.service.auth': 'GatewayKey old&202001010000&x', OUTPOST_CONFIG_SERVICE_ENDPOINT: 'http://10.0.0.1:7070/' });
    const s = resolveManagedSettings(map, { backupDir: '/tmp/b' });
    assert.equal(s.endpoint, 'http://10.0.0.1:7070');
    assert.equal(s.token.gatewayId, 'gw-1');
    assert.equal(s.heartbeatIntervalMs, 500);
    assert.equal(s.syncIntervalMs, 10_000);
    assert.equal(s.longPollSeconds, 30);
    assert.equal(s.backupDir, '/tmp/b');
  });

  test('missing endpoint or token, bad numbers and an unreadable CA file are settings errors', () => {
    const ok = { 'config.service.endpoint': 'cp', 'config.service.auth': 'GatewayKey g&203001010000&s' };
    for (const bad of [
      { 'config.service.auth': ok['config.service.auth'] },
      { 'config.service.endpoint': 'cp' },
      { ...ok, OUTPOST_HEARTBEAT_INTERVAL_MS: 'soon' },
      { ...ok, OUTPOST_LONG_POLL_SECONDS: '120' },
      { ...ok, OUTPOST_CA_FILE: '/nonexistent/ca.pem' },
    ]) assert.equal(code(() => resolveManagedSettings(new Map(Object.entries(bad)))), 'OUTPOST_ERR_SETTINGS_INVALID', JSON.stringify(bad));
  });
});

describe('endpoint normalisation', () => {
  test('a bare host name means https', () => {
    assert.equal(normaliseEndpoint('contoso.configuration.azure-api.net'), 'https://contoso.configuration.azure-api.net');
    assert.equal(normaliseEndpoint('cp.internal:7070'), 'https://cp.internal:7070');
  });
  test('URLs keep scheme, port and base path, without trailing slashes', () => {
    assert.equal(normaliseEndpoint('http://127.0.0.1:7070/'), 'http://127.0.0.1:7070');
    assert.equal(normaliseEndpoint('HTTPS://CP.example.com/outpost//'), 'https://cp.example.com/outpost');
    assert.equal(normaliseEndpoint('https://cp.example.com:443'), 'https://cp.example.com');
  });
  test('other schemes, credentials, queries and junk are refused', () => {
    for (const bad of ['ftp://cp', 'https://user:pw@cp', 'https://cp/?x=1', 'https://cp/#f', 'http://', 'a b c']) {
      assert.equal(code(() => normaliseEndpoint(bad)), 'OUTPOST_ERR_SETTINGS_INVALID', bad);
    }
  });
});

describe('gateway token', () => {
  test('id and UTC expiry are read, with or without the GatewayKey scheme', () => {
    const t = parseGatewayToken('GatewayKey my-gw&202703151230&c2lnbmF0dXJl+/==');
    assert.equal(t.gatewayId, 'my-gw');
    assert.equal(t.expiresAt.toISOString(), '2027-03-15T12:30:00.000Z');
    assert.equal(t.header, 'GatewayKey my-gw&202703151230&c2lnbmF0dXJl+/==');
    assert.equal(parseGatewayToken('my-gw&202703151230&sig').header, 'GatewayKey my-gw&202703151230&sig');
  });
  test('malformed tokens and impossible dates are refused', () => {
    for (const bad of ['GatewayKey gw&202701010000', 'gw&&sig', 'gw&2027-01-01&sig', 'gw&202713010000&sig', 'gw&202702300000&sig', 'gw&202701012460&sig']) {
      assert.equal(code(() => parseGatewayToken(bad)), 'OUTPOST_ERR_SETTINGS_INVALID', bad);
    }
  });
  test('status: ok, expiring within 7 days, expired', () => {
    const now = Date.UTC(2027, 0, 1);
    const at = (days: number) => parseGatewayToken(`gw&${formatExpiry(new Date(now + days * 86_400_000))}&s`);
    assert.equal(tokenStatus(at(8), now).state, 'ok');
    assert.equal(tokenStatus(at(6.5), now).state, 'expiring');
    assert.equal(tokenStatus(at(6.5), now).expiresInSeconds, 6.5 * 86_400);
    assert.equal(tokenStatus(at(-1), now).state, 'expired');
    assert.ok(tokenStatus(at(-1), now).expiresInSeconds < 0);
  });
});
