/**
 * retry as APIM has it, through the real gateway against a backend written here: children re-run
 * each attempt (a set-header whose value counts the rounds reaches the backend), a POST body
 * replayed byte for byte with buffer-request-body (chunked, over the 64 KiB small-body bound),
 * the bound on that buffer (413), children after forward-request that wait on Redis while the
 * answer's body is held, an outbound retry around send-request (APIM's "mask async as sync"
 * sample), and forward-request's fail-on-error-status-code and follow-redirects.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A deterministic large answer, so a held and resumed body can be checked byte for byte. */
const BIG = Buffer.alloc(300_000, 'outpost-retry-');

/** What the backend saw on each attempt of one key. */
interface Attempt { round: string | undefined; bytes: number; sha: string; method: string }

async function workersConnected(gw: GatewayProcess, workers: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (gw.logs.filter((l) => l.msg === 'Redis connected' && l.role === 'worker').length >= workers) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the workers never connected to Redis');
}

const api = (id: string, policies: string, serviceUrl: string): object => ({
  id, name: id, path: id, serviceUrl, subscriptionRequired: false, policies, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }],
});

describe('retry (APIM): children per attempt, replayed bodies, outbound retry, forward-request attributes', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;
  const prefix = `outpost-test-retry-${randomBytes(6).toString('hex')}:`;
  const attempts = new Map<string, Attempt[]>();
  const polls = new Map<string, number>();

  before(async () => {
    backend = await startBackend((req, res) => {
      const [path, query = ''] = (req.url ?? '').split('?');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (path.startsWith('/flaky/')) {
          // 503 twice (with Retry-After), then 200: the attempts are counted per key.
          const list = attempts.get(path) ?? [];
          list.push({ round: req.headers['x-round'] as string | undefined, bytes: body.length, sha: sha(body), method: req.method ?? '' });
          attempts.set(path, list);
          if (list.length <= 2) { res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }); res.end('busy'); return; }
          const answer = query.includes('big=1') ? BIG : Buffer.from(JSON.stringify({ attempts: list.length }));
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': answer.length });
          res.end(answer);
          return;
        }
        if (path.startsWith('/start/')) {
          res.writeHead(202, { location: `${backend.url}/poll/${path.slice(7)}` });
          res.end();
          return;
        }
        if (path.startsWith('/poll/')) {
          const n = (polls.get(path) ?? 0) + 1;
          polls.set(path, n);
          if (n < 3) { res.writeHead(202, { location: `${backend.url}${path}` }); res.end(); return; }
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`done after ${n} polls`);
          return;
        }
        if (path === '/down') { res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }); res.end('down'); return; }
        if (path === '/moved') { res.writeHead(302, { location: '/landing?from=302' }); res.end('moved'); return; }
        if (path === '/moved-keep') { res.writeHead(307, { location: `${backend.url}/landing?from=307` }); res.end(); return; }
        const echo = JSON.stringify({ method: req.method, url: req.url, bytes: body.length, sha: sha(body) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(echo);
      });
    });
    const rounds = `<policies><inbound /><backend>
      <retry condition="@(context.Response.StatusCode == 503)" count="3" interval="0" first-fast-retry="true">
        <set-variable name="round" value="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;round&quot;, 0) + 1)" />
        <set-header name="x-round" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("round", 0).ToString())</value></set-header>
        <forward-request timeout="10" buffer-request-body="true" />
        <set-variable name="last-status" value="@(context.Response.StatusCode)" />
      </retry></backend>
      <outbound><set-header name="x-rounds" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("round", 0) + "/" + context.Variables.GetValueOrDefault&lt;int&gt;("last-status", 0))</value></set-header></outbound>
      <on-error /></policies>`;
    // The children after forward-request wait on Redis (cache-lookup-value, prefer-external): the answer is held meanwhile.
    const waiting = `<policies><inbound /><backend>
      <retry condition="@(context.Response.StatusCode == 503)" count="3" interval="0">
        <forward-request timeout="10" />
        <cache-lookup-value key="retry-test-seen" variable-name="seen" default-value="none" />
        <set-variable name="checked" value="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;checked&quot;, 0) + 1)" />
      </retry></backend>
      <outbound><set-header name="x-checked" exists-action="override"><value>@(context.Variables.GetValueOrDefault&lt;int&gt;("checked", 0).ToString())</value></set-header></outbound>
      <on-error /></policies>`;
    // APIM's "mask async calls as synchronous" sample: poll in outbound until the answer is no longer 202.
    const polling = (interval: number) => `<policies><inbound /><backend><forward-request /></backend><outbound>
      <retry condition="@(((IResponse)context.Variables[&quot;var&quot;]).StatusCode == 202)" count="10" interval="${interval}">
        <send-request mode="new" response-variable-name="var" timeout="5" ignore-error="false">
          <set-url>@(context.Response.Headers["location"][0])</set-url><set-method>GET</set-method>
        </send-request>
      </retry>
      <return-response response-variable-name="var" /></outbound><on-error /></policies>`;
    const errorStatus = `<policies><inbound /><backend><forward-request fail-on-error-status-code="true" /></backend><outbound />
      <on-error><choose><when condition="@(context.Response.StatusCode == 503)">
        <set-header name="x-error-source" exists-action="override"><value>@(context.LastError.Source)</value></set-header>
        <set-status code="429" reason="Too Many Requests" /></when></choose></on-error></policies>`;
    const retriedStatus = `<policies><inbound /><backend>
      <retry condition="@(context.Response.StatusCode == 503)" count="3" interval="0" first-fast-retry="true">
        <forward-request fail-on-error-status-code="true" /></retry></backend><outbound /><on-error /></policies>`;
    // The genai-gateway-toolkit's pattern: a choose on the previous answer switches the backend for the retry.
    const failover = `<policies><inbound /><backend>
      <retry condition="@(context.Response.StatusCode == 503)" count="2" interval="0" first-fast-retry="true">
        <choose>
          <when condition="@(context.Response.StatusCode == 503)">
            <set-variable name="selected" value="secondary" /><set-backend-service base-url="${backend.url}/secondary" />
          </when>
          <otherwise><set-variable name="selected" value="primary" /></otherwise>
        </choose>
        <forward-request timeout="10" />
      </retry></backend>
      <outbound><set-header name="x-selected" exists-action="override"><value>@((string)context.Variables["selected"])</value></set-header></outbound>
      <on-error /></policies>`;
    const follow = '<policies><inbound /><backend><forward-request follow-redirects="true" /></backend><outbound /><on-error /></policies>';
    gw = await startGateway({
      gateway: { maxReplayBodyBytes: 200_000, redis: { url: 'redis://127.0.0.1:6379', keyPrefix: prefix, commandTimeoutMs: 500 } },
      apis: [
        api('rounds', rounds, `${backend.url}/flaky`),
        api('waiting', waiting, `${backend.url}/flaky`),
        api('polling', polling(0), `${backend.url}/start`),
        api('polling-slow', polling(1), `${backend.url}/start`),
        api('errstatus', errorStatus, backend.url),
        api('retried-status', retriedStatus, `${backend.url}/flaky`),
        api('follow', follow, backend.url),
        api('failover', failover, `${backend.url}/flaky`),
        api('bad-condition', `<policies><inbound /><backend>
          <retry condition="@((int)context.Variables[&quot;missing&quot;] > 0)" count="2" interval="0"><forward-request /></retry></backend>
          <outbound /><on-error /></policies>`, `${backend.url}/flaky`),
        api('nofollow', '<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>', backend.url),
      ],
    }, { workers: 1 });
    await workersConnected(gw, 1);
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('503 twice then 200: three attempts, children re-run each (x-round 1, 2, 3), a chunked POST body replayed exactly', async () => {
    const payload = randomBytes(100_000); // over the 64 KiB bound for bodies kept without buffer-request-body
    const res = await request(gw.url('/rounds/a'), { method: 'POST', body: Readable.from([payload.subarray(0, 40_000), payload.subarray(40_000)]) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { attempts: 3 });
    assert.equal(res.headers['x-rounds'], '3/200', 'the children after forward-request saw each answer; the last was 200');
    const seen = attempts.get('/flaky/a')!;
    assert.deepEqual(seen.map((a) => a.round), ['1', '2', '3']);
    for (const a of seen) assert.deepEqual([a.method, a.bytes, a.sha], ['POST', payload.length, sha(payload)]);
  });

  test('buffer-request-body is bounded: a body over gateway.maxReplayBodyBytes gets 413, chunked or with a length', async () => {
    const chunked = await request(gw.url('/rounds/too-big'), { method: 'POST', body: Readable.from([randomBytes(150_000), randomBytes(150_000)]) });
    assert.equal(chunked.statusCode, 413);
    assert.equal(chunked.headers['x-outpost-error'], 'OUTPOST_ERR_REPLAY_BODY_TOO_LARGE');
    await chunked.body.dump();
    const sized = await request(gw.url('/rounds/too-big-sized'), { method: 'POST', body: randomBytes(250_000) });
    assert.equal(sized.statusCode, 413);
    assert.equal(sized.headers['x-outpost-error'], 'OUTPOST_ERR_REPLAY_BODY_TOO_LARGE');
    await sized.body.dump();
    assert.equal(attempts.get('/flaky/too-big'), undefined, 'nothing reached the backend');
  });

  test('children after forward-request that wait (Redis): the answer is held, then passed on whole', async () => {
    const res = await request(gw.url('/waiting/big?big=1'));
    assert.equal(res.statusCode, 200);
    const body = Buffer.from(await res.body.arrayBuffer());
    assert.equal(body.length, BIG.length);
    assert.ok(body.equals(BIG), 'the held and resumed body is the backend\'s, byte for byte');
    assert.equal(res.headers['x-checked'], '3');
    assert.equal(attempts.get('/flaky/big')!.length, 3);
  });

  test('an outbound retry around send-request polls until the answer is no longer 202', async () => {
    const res = await request(gw.url('/polling/job-1'));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'done after 3 polls');
    assert.equal(polls.get('/poll/job-1'), 3);
  });

  test('an outbound retry that waits between rounds (interval 1 s) still answers', async () => {
    polls.set('/poll/job-2', 1); // ready at the second poll: one wait
    const res = await request(gw.url('/polling-slow/job-2'));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'done after 3 polls');
  });

  test('fail-on-error-status-code: a 503 goes to on-error, which sees the backend\'s status and headers', async () => {
    const res = await request(gw.url('/errstatus/down'));
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '7', 'the backend\'s Retry-After passes through on-error');
    assert.equal(res.headers['x-error-source'], 'forward-request', 'APIM names the element where the error occurred');
    await res.body.dump();
  });

  test('fail-on-error-status-code inside retry: the condition is asked first, so a retried 503 still reaches the 200', async () => {
    const res = await request(gw.url('/retried-status/b'));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { attempts: 3 });
  });

  test('children before forward-request see the previous answer: a choose on its 503 sends the retry to another backend', async () => {
    const res = await request(gw.url('/failover/c?q=1'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-selected'], 'secondary');
    assert.equal((await res.body.json() as { url: string }).url, '/secondary/c?q=1');
    assert.equal(attempts.get('/flaky/c')!.length, 1, 'the primary was tried once');
  });

  test('a condition that fails to evaluate sends the request to on-error (500 OUTPOST_ERR_EXPRESSION_FAILED), as any expression', async () => {
    const res = await request(gw.url('/bad-condition/d'));
    assert.equal(res.statusCode, 500);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_EXPRESSION_FAILED');
    await res.body.dump();
    assert.equal(attempts.get('/flaky/d')!.length, 1);
  });

  test('follow-redirects: the gateway follows a 302 (as a GET) and a 307 (method and body kept); without it the 302 is passed on', async () => {
    const moved = await request(gw.url('/follow/moved'));
    assert.equal(moved.statusCode, 200);
    assert.deepEqual(await moved.body.json(), { method: 'GET', url: '/landing?from=302', bytes: 0, sha: sha(Buffer.alloc(0)) });
    const payload = Buffer.from('keep me');
    const kept = await request(gw.url('/follow/moved-keep'), { method: 'POST', body: payload });
    assert.equal(kept.statusCode, 200);
    assert.deepEqual(await kept.body.json(), { method: 'POST', url: '/landing?from=307', bytes: payload.length, sha: sha(payload) });
    const passed = await request(gw.url('/nofollow/moved'));
    assert.equal(passed.statusCode, 302);
    assert.equal(passed.headers.location, '/landing?from=302');
    await passed.body.dump();
  });
});
