/** The dashboard's pure parts: escaping, the bounded session map, cookies, env.conf. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envConf } from '../../src/control-plane/dashboard/deploy.js';
import { html } from '../../src/control-plane/dashboard/html.js';
import { readCookie, sessionCookie, Sessions } from '../../src/control-plane/dashboard/sessions.js';
import { verifyGatewayToken } from '../../src/control-plane/gateway-token.js';

test('every interpolation is escaped', () => {
  assert.equal(html`<p title="${'"x"'}">${'<script>&'}</p>`.html, '<p title="&quot;x&quot;">&lt;script&gt;&amp;</p>');
});

test('sessions expire, are destroyed, and the map stays bounded', () => {
  const s = new Sessions(1000, 3);
  const a = s.create(0);
  assert.equal(s.valid(a.id, 500), true);
  assert.equal(s.valid(a.id, 1000), false);
  assert.equal(s.valid('made-up', 0), false);
  const ids = [1, 2, 3, 4].map(() => s.create(10_000).id);
  assert.equal(s.valid(ids[0], 10_001), false, 'the oldest is evicted when full');
  assert.equal(ids.slice(1).every((id) => s.valid(id, 10_001)), true);
  s.destroy(ids[3]);
  assert.equal(s.valid(ids[3], 10_001), false);
});

test('cookies: HttpOnly, SameSite=Strict, read back by name', () => {
  const c = sessionCookie('abc', 60, false);
  assert.match(c, /HttpOnly/);
  assert.match(c, /SameSite=Strict/);
  assert.equal(readCookie('x=1; outpost_session=abc; y=2', 'outpost_session'), 'abc');
});

test('env.conf holds the endpoint and a valid 30-day primary-key token', () => {
  const key = 'k'.repeat(40);
  const { text, expiresAt } = envConf('dc1', key, 'http://cp:7070', Date.UTC(2030, 0, 1));
  assert.match(text, /^config\.service\.endpoint=http:\/\/cp:7070$/m);
  const auth = /^config\.service\.auth=(.+)$/m.exec(text)![1];
  const check = verifyGatewayToken(auth, () => [key], Date.UTC(2030, 0, 30));
  assert.equal(check.ok, true);
  assert.equal(expiresAt.toISOString(), '2030-01-30T23:59:00.000Z');
});
