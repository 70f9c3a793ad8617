/**
 * Brute-force throttling and cross-site checks on the control plane: failed admin tokens,
 * dashboard logins and gateway tokens with a bad signature count per client address (each case
 * below uses its own loopback address, 127.0.0.x); after the free failures the address gets 429
 * with Retry-After, doubling, even for a good credential, while other addresses are unaffected.
 * Dashboard POSTs (login, logout) from another site are refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { signGatewayToken } from '../../src/control-plane/gateway-token.js';
import { FREE_FAILURES } from '../../src/control-plane/auth-throttle.js';
import { ADMIN_TOKEN, startControlPlane, type ControlPlaneProcess } from '../support/control-plane-process.js';

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

describe('control plane: throttling and cross-site checks', () => {
  let cp: ControlPlaneProcess;
  let gatewayToken: string;

  /** One request from a chosen loopback source address. */
  const send = (from: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) => new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: cp.port, localAddress: from, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const admin = (from: string, token: string) => send(from, 'GET', '/apis', { authorization: `Bearer ${token}` });
  const sameSite = (cookie?: string) => ({ origin: `http://127.0.0.1:${cp.port}`, 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) });
  const login = (from: string, token: string, headers: Record<string, string> = sameSite()) => send(from, 'POST', '/dashboard/login', headers, `token=${encodeURIComponent(token)}`);
  /** Waits out a throttle (bounded by the Retry-After it was given). */
  const waitOut = async (first: Answer, retry: () => Promise<Answer>) => {
    const seconds = Number(first.headers['retry-after']);
    for (let i = 0; i < seconds * 20 + 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await retry();
      if (r.status !== 429) return r;
    }
    throw new Error('still throttled');
  };

  before(async () => {
    cp = await startControlPlane();
    assert.equal((await cp.admin('PUT', '/gateways/gw', { name: 'gw' })).status, 201);
    const t = await cp.admin('POST', '/gateways/gw/token', { keyType: 'primary', expiry: new Date(Date.now() + 86_400_000).toISOString() });
    gatewayToken = t.body.value as string;
  });
  after(async () => {
    assert.deepEqual(cp?.badLines ?? [], [], 'every log line is JSON');
    await cp?.stop();
  });

  test('admin tokens: free failures, then 429 with Retry-After even for the right token; other addresses unaffected; waits double', async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < FREE_FAILURES + 1; i++) assert.equal((await admin(from, `wrong-${i}-0123456789abcdef`)).status, 401, `failure ${i + 1}`);
    const throttled = await admin(from, ADMIN_TOKEN);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['x-outpost-error'], 'OUTPOST_ERR_AUTH_THROTTLED');
    assert.equal(throttled.headers['retry-after'], '1');
    assert.equal(JSON.parse(throttled.body).statusCode, 429);
    assert.equal((await admin('127.0.0.3', ADMIN_TOKEN)).status, 200);
    // Once the wait is over, the next failure blocks for twice as long.
    const wrong = () => admin(from, 'wrong-again-0123456789abcdef');
    assert.equal((await waitOut(throttled, wrong)).status, 401);
    const longer = await admin(from, ADMIN_TOKEN);
    assert.equal(longer.status, 429);
    assert.equal(longer.headers['retry-after'], '2');
    // The right token, once let through, clears the address.
    assert.equal((await waitOut(longer, () => admin(from, ADMIN_TOKEN))).status, 200);
    assert.equal((await admin(from, 'wrong-once-more-0123456789abcdef')).status, 401);
    assert.equal((await admin(from, ADMIN_TOKEN)).status, 200);
  });

  test('dashboard login: failures throttle the address (429 with Retry-After); a login from elsewhere works', async () => {
    const from = '127.0.0.4';
    for (let i = 0; i < FREE_FAILURES + 1; i++) assert.equal((await login(from, `wrong-${i}`)).status, 401);
    const throttled = await login(from, ADMIN_TOKEN);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['x-outpost-error'], 'OUTPOST_ERR_AUTH_THROTTLED');
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
    assert.equal((await login('127.0.0.5', ADMIN_TOKEN)).status, 303);
  });

  test('gateway tokens with a bad signature count too; a good token from another address still passes', async () => {
    const from = '127.0.0.6';
    const forged = signGatewayToken('gw', new Date(Date.now() + 86_400_000), 'not-the-key-of-this-gateway-0123456789');
    for (let i = 0; i < FREE_FAILURES + 1; i++) {
      const r = await send(from, 'GET', '/gateway/config', { authorization: forged });
      assert.equal(r.status, 401);
      assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_GATEWAY_TOKEN_BAD_SIGNATURE');
    }
    const throttled = await send(from, 'GET', '/gateway/config', { authorization: gatewayToken });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['x-outpost-error'], 'OUTPOST_ERR_AUTH_THROTTLED');
    assert.equal((await send('127.0.0.7', 'GET', '/gateway/config', { authorization: gatewayToken })).status, 200);
  });

  test('dashboard POSTs from another site are refused (403); same-site and non-browser ones pass', async () => {
    const from = '127.0.0.8';
    const ok = await login(from, ADMIN_TOKEN);
    assert.equal(ok.status, 303);
    const cookie = String(ok.headers['set-cookie']).split(';')[0];
    const page = () => send(from, 'GET', '/dashboard', { cookie });
    assert.equal((await page()).status, 200);

    const crossSite: Array<Record<string, string>> = [
      { origin: 'http://evil.example', cookie },
      { origin: 'null', cookie },
      { referer: 'http://evil.example/page', cookie },
      { 'sec-fetch-site': 'cross-site', cookie },
      { origin: `http://127.0.0.1:${cp.port}`, 'sec-fetch-site': 'same-site', cookie },
    ];
    for (const headers of crossSite) {
      const r = await send(from, 'POST', '/dashboard/logout', headers);
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.headers['x-outpost-error'], 'OUTPOST_ERR_CROSS_SITE_REQUEST');
    }
    assert.equal((await page()).status, 200, 'the session survived the cross-site logouts');
    const forcedLogin = await login(from, ADMIN_TOKEN, { ...sameSite(), origin: 'http://evil.example' });
    assert.equal(forcedLogin.status, 403);
    assert.equal(forcedLogin.headers['set-cookie'], undefined);

    const logout = await send(from, 'POST', '/dashboard/logout', { ...sameSite(cookie), 'sec-fetch-site': 'same-origin' });
    assert.equal(logout.status, 303);
    assert.equal((await page()).status, 303, 'logged out');
    assert.equal((await login(from, ADMIN_TOKEN, { 'content-type': 'application/x-www-form-urlencoded' })).status, 303, 'no Origin: not a browser, passes');
  });
});
