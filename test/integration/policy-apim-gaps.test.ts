/**
 * APIM forms that real documents use, through a real gateway (worker threads, real sockets), a
 * backend written here and the real Redis at 127.0.0.1:6379 (keys under a prefix of this run,
 * removed afterwards):
 * - cache-lookup-value with caching-type="external" in OUTBOUND waits on Redis (192);
 * - rate-limit-by-key with increment-condition on the response status: backend 503s are not
 *   counted, 200s are, then 429 (191); a calls expression that is not a number fails with
 *   OUTPOST_ERR_LIMIT_VALUE_INVALID;
 * - quota bandwidth: the request that crosses it completes, the next is refused with 403 and
 *   Retry-After; an <operation> quota inside quota (232);
 * - trace's older text form logs its text (028);
 * - validate-jwt <decryption-keys>: an encrypted token passes, a wrong key's is 401 (246).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { CompactEncrypt, SignJWT } from 'jose';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

const POLICIES = `<policies>
  <inbound><base /></inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>`;

const op = (id: string, urlTemplate: string, inbound: string, outbound = '') => ({
  id, method: 'GET', urlTemplate,
  policies: `<policies><inbound><base />${inbound}</inbound><backend><base /></backend><outbound><base />${outbound}</outbound><on-error><base /></on-error></policies>`,
});

const SIGNING = Buffer.alloc(32, 1);
const WRAP = Buffer.alloc(32, 2);
const JWT_POLICY = `<validate-jwt><issuer-signing-keys><key>${SIGNING.toString('base64')}</key></issuer-signing-keys><decryption-keys><key>${WRAP.toString('base64')}</key></decryption-keys></validate-jwt>`;
async function encryptedToken(wrapKey: Buffer): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  const signed = await new SignJWT({ sub: 'u1' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(nowSec).setExpirationTime(nowSec + 300).sign(SIGNING);
  return new CompactEncrypt(new TextEncoder().encode(signed)).setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', cty: 'JWT' }).encrypt(wrapKey);
}

async function call(gw: GatewayProcess, path: string, headers: Record<string, string> = {}) {
  const res = await request(gw.url(path), { headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

async function workersConnected(gw: GatewayProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (gw.logs.some((l) => l.msg === 'Redis connected' && l.role === 'worker')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the worker never connected to Redis');
}

describe('APIM forms real documents use, through the gateway', () => {
  const prefix = `outpost-test-${randomBytes(6).toString('hex')}:`;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    // /status/<code> (as the backend sees it): answers that status; /big: a 2 KB body; anything else: a small 200.
    backend = await startBackend((req, res) => {
      const status = /^\/status\/(\d{3})/.exec(req.url ?? '');
      const body = req.url?.startsWith('/big') ? 'x'.repeat(2048) : 'ok';
      res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const config = oneApiConfig(backend.url, { redis: { url: 'redis://127.0.0.1:6379', keyPrefix: prefix, commandTimeoutMs: 500 } }, {
      policies: POLICIES,
      operations: [
        op('store', '/store', '<cache-store-value key="greeting" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-greeting&quot;, &quot;&quot;))" duration="60" caching-type="external" />'),
        op('lookup', '/lookup', '', '<cache-lookup-value key="greeting" variable-name="g" default-value="none" caching-type="external" /><set-header name="x-cached" exists-action="override"><value>@((string)context.Variables["g"])</value></set-header>'),
        op('limited', '/status/{code}', '<rate-limit-by-key counter-key="ip" calls="2" renewal-period="300" increment-condition="@(context.Response.StatusCode != 503)" remaining-calls-header-name="x-left" />'),
        op('bad-limit', '/bad-limit', '<rate-limit-by-key counter-key="ip" calls="@(context.Request.Headers.GetValueOrDefault(&quot;x-limit&quot;, &quot;&quot;))" renewal-period="10" />'),
        op('bandwidth', '/big', '<quota bandwidth="1" renewal-period="3600" />'),
        op('per-op', '/op/{name}', '<quota calls="100" renewal-period="3600"><api id="echo" calls="50"><operation id="per-op" calls="1" /></api></quota>'),
        op('jwe', '/jwe', JWT_POLICY),
        op('traced', '/traced', '<trace source="older-form">\n  The message is the text\n</trace>'),
      ],
    });
    gw = await startGateway(config, { workers: 1 });
    await workersConnected(gw);
  });

  after(async () => {
    await gw?.stop();
    await backend?.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('cache-lookup-value in outbound with caching-type="external" waits on Redis (192)', async () => {
    const before = await call(gw, '/echo/lookup');
    assert.equal(before.status, 200);
    assert.equal(before.headers['x-cached'], 'none', 'a miss: the default value');
    assert.equal(before.body, 'ok', 'the backend\'s body still reaches the client');
    assert.equal((await call(gw, '/echo/store', { 'x-greeting': 'hello from redis' })).status, 200);
    // The store does not wait: look until the value is in Redis.
    let found = '';
    for (let i = 0; i < 80 && found !== 'hello from redis'; i++) {
      found = String((await call(gw, '/echo/lookup')).headers['x-cached']);
      if (found !== 'hello from redis') await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(found, 'hello from redis');
  });

  test('rate-limit-by-key increment-condition: responses it rejects do not count; then 429 (191)', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await call(gw, '/echo/status/503')).status, 503, `503 #${i + 1} passes and is not counted`);
    const first = await call(gw, '/echo/status/200');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-left'], '2', 'nothing counted so far: 2 left before this one');
    assert.equal((await call(gw, '/echo/status/200')).status, 200);
    const refused = await call(gw, '/echo/status/200');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['x-outpost-error'], 'OUTPOST_ERR_RATE_LIMITED');
    assert.match(String(refused.headers['retry-after']), /^\d+$/);
  });

  test('a calls expression that gives no whole number fails the request with OUTPOST_ERR_LIMIT_VALUE_INVALID', async () => {
    const bad = await call(gw, '/echo/bad-limit', { 'x-limit': 'lots' });
    assert.equal(bad.status, 500);
    assert.equal(bad.headers['x-outpost-error'], 'OUTPOST_ERR_LIMIT_VALUE_INVALID');
    assert.equal((await call(gw, '/echo/bad-limit', { 'x-limit': '5' })).status, 200);
  });

  test('quota bandwidth: the request that crosses 1 KB completes, the next gets 403 with Retry-After', async () => {
    const first = await call(gw, '/echo/big');
    assert.equal(first.status, 200);
    assert.equal(first.body.length, 2048);
    const refused = await call(gw, '/echo/big');
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-outpost-error'], 'OUTPOST_ERR_QUOTA_EXCEEDED');
    assert.match(JSON.parse(refused.body).message, /^Out of bandwidth quota\./);
    assert.match(String(refused.headers['retry-after']), /^\d+$/);
  });

  test('an <operation> quota inside quota holds that operation to its own calls (232)', async () => {
    assert.equal((await call(gw, '/echo/op/a')).status, 200);
    const refused = await call(gw, '/echo/op/b');
    assert.equal(refused.status, 403);
    assert.match(JSON.parse(refused.body).message, /^Out of call volume quota\./);
    assert.equal((await call(gw, '/echo/lookup')).status, 200, 'other operations are not held by it');
  });

  test('validate-jwt decrypts an encrypted token with <decryption-keys>; another key\'s token is 401 (246)', async () => {
    const ok = await call(gw, '/echo/jwe', { authorization: `Bearer ${await encryptedToken(WRAP)}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'ok');
    const wrong = await call(gw, '/echo/jwe', { authorization: `Bearer ${await encryptedToken(Buffer.alloc(32, 3))}` });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['x-outpost-error'], 'OUTPOST_ERR_JWT_INVALID');
  });

  test('trace in the older form logs its text as the message (028)', async () => {
    assert.equal((await call(gw, '/echo/traced')).status, 200);
    const line = await gw.waitForLog((l) => l.type === 'trace' && l.source === 'older-form', 5000);
    assert.equal(line.message, 'The message is the text');
  });
});
