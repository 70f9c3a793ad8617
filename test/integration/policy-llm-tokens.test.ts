/**
 * The LLM token policies through the real gateway (2 workers) in front of a fake model backend
 * that answers with token usage (JSON, or server-sent events for `stream: true`):
 * llm-token-limit lets a key use its tokens-per-minute, counting down in the remaining-tokens
 * header, then answers 429 with Retry-After; llm-emit-token-metric's values on /metrics are the
 * usage the backend sent; a streamed answer reaches the client byte for byte; a stream without
 * a usage chunk is estimated.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { scrape } from '../support/prometheus.js';

let backend: TestBackend;
let gw: GatewayProcess;

const USAGE = { prompt_tokens: 10, completion_tokens: 15, total_tokens: 25 };
const SSE_PARTS = [
  'data: {"choices":[{"delta":{"content":"Hel"}}],"usage":null}\n\n',
  'data: {"choices":[{"delta":{"content":"lo"}}],"usage":null}\n\n',
  `data: {"choices":[],"usage":${JSON.stringify(USAGE)}}\n\n`,
  'data: [DONE]\n\n',
];

const POLICY = `<policies><inbound>
  <llm-token-limit counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-team&quot;, &quot;none&quot;))"
      tokens-per-minute="100" estimate-prompt-tokens="false" remaining-tokens-header-name="x-remaining-tokens" />
  <llm-emit-token-metric namespace="llm">
    <dimension name="API ID" />
    <dimension name="Team" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-team&quot;, &quot;none&quot;))" />
  </llm-emit-token-metric>
</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>`;

interface Answer { status: number; headers: IncomingHttpHeaders; body: string }

/** One POST on a fresh connection, so requests spread over the workers. */
function post(path: string, team: string, body: object): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(gw.url(path), { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-team': team } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

const chat = (stream = false) => ({ model: 'm', stream, messages: [{ role: 'user', content: 'hello' }] });

/**
 * tokens-per-minute slides over minute windows: a test that crossed a minute boundary would see the
 * previous minute's share. Start well inside a minute (waits at most 16 s, once).
 */
async function awayFromMinuteEnd(): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 44_000) await new Promise((r) => setTimeout(r, 60_000 - into + 200));
}

before(async () => {
  backend = await startBackend((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const asked = JSON.parse(raw) as { stream?: boolean };
      if (asked.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // Written apart, so the gateway sees the usage chunk in a later read than the head.
        // Without stream_options.include_usage, OpenAI sends no usage chunk.
        const parts = (asked as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === false ? SSE_PARTS.filter((p) => !p.includes('total_tokens')) : SSE_PARTS;
        let i = 0;
        const next = () => { if (i < parts.length) { res.write(parts[i++]); setTimeout(next, 5); } else res.end(); };
        next();
        return;
      }
      const body = JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage: USAGE });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  gw = await startGateway({
    gateway: { drainTimeoutSeconds: 5 },
    apis: [{ id: 'llm', name: 'LLM', path: 'llm', serviceUrl: backend.url, subscriptionRequired: false, policies: POLICY,
      operations: [{ id: 'chat', method: 'POST', urlTemplate: '/chat/completions' }] }],
  }, { workers: 2 });
});

after(async () => {
  await gw?.stop();
  await backend?.close();
});

test('the remaining-tokens header counts down by the usage the model reports, then 429 with Retry-After', async () => {
  await awayFromMinuteEnd();
  const remaining: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await post('/llm/chat/completions', 'alpha', chat());
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).usage.total_tokens, 25, 'the body reaches the client unchanged');
    remaining.push(String(r.headers['x-remaining-tokens']));
  }
  assert.deepEqual(remaining, ['100', '75', '50', '25']);
  const refused = await post('/llm/chat/completions', 'alpha', chat());
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['x-outpost-error'], 'OUTPOST_ERR_TOKEN_LIMIT_EXCEEDED');
  const wait = Number(refused.headers['retry-after']);
  assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${refused.headers['retry-after']}`);
  assert.equal(refused.headers['x-remaining-tokens'], '0');
  assert.equal(JSON.parse(refused.body).statusCode, 429);
  assert.equal(backend.seen.filter((s) => s.headers['x-team'] === 'alpha').length, 4, 'the refused request never reached the model');
  // Another key has its own tokens.
  assert.equal((await post('/llm/chat/completions', 'beta', chat())).status, 200);
});

test('a streamed answer passes byte for byte; its usage chunk is charged (the stream\'s prompt estimated up front)', async () => {
  await awayFromMinuteEnd();
  const streamed = await post('/llm/chat/completions', 'gamma', chat(true));
  assert.equal(streamed.status, 200);
  assert.equal(streamed.body, SSE_PARTS.join(''));
  // "hello" is 5 bytes: 2 tokens, plus 3 for the message, charged before forwarding.
  assert.equal(streamed.headers['x-remaining-tokens'], '95');
  const after = await post('/llm/chat/completions', 'gamma', chat());
  assert.equal(after.headers['x-remaining-tokens'], '75', 'the stream was charged its reported 25 tokens in all');
});

test('a stream without a usage chunk is estimated (as APIM): prompt up front, streamed text after', async () => {
  await awayFromMinuteEnd();
  const streamed = await post('/llm/chat/completions', 'delta', { ...chat(true), stream_options: { include_usage: false } });
  assert.equal(streamed.status, 200);
  assert.ok(!streamed.body.includes('total_tokens'));
  const after = await post('/llm/chat/completions', 'delta', chat());
  // "hello": 2 + 3 tokens; "Hel" + "lo" streamed: 5 bytes, 2 tokens.
  assert.equal(after.headers['x-remaining-tokens'], '93');
});

test('Prompt, Completion and Total Tokens on /metrics equal the usage the backend sent', async () => {
  const labels = (name: string, team: string) => ({ namespace: 'llm', name, api_id: 'llm', team });
  const total = (m: Awaited<ReturnType<typeof scrape>>) => ['alpha', 'gamma', 'delta'].reduce((n, team) => n + m.value('outpost_custom_metric_count', labels('Total Tokens', team)), 0);
  // Each worker reports once a second, on its own clock: wait until every response is in.
  let m = await scrape(gw.opsPort);
  for (const deadline = Date.now() + 10_000; total(m) < 8 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    m = await scrape(gw.opsPort);
  }
  assert.equal(m.value('outpost_custom_metric_count', labels('Total Tokens', 'alpha')), 4, 'the refused request emitted nothing');
  assert.equal(m.value('outpost_custom_metric_sum', labels('Prompt Tokens', 'alpha')), 40);
  assert.equal(m.value('outpost_custom_metric_sum', labels('Completion Tokens', 'alpha')), 60);
  assert.equal(m.value('outpost_custom_metric_sum', labels('Total Tokens', 'alpha')), 100);
  assert.equal(m.value('outpost_custom_metric_sum', labels('Total Tokens', 'gamma')), 50, 'one streamed and one JSON answer');
  assert.equal(m.value('outpost_custom_metric_sum', labels('Prompt Tokens', 'gamma')), 20);
  // The stream without usage (estimated: 5 prompt, 2 completion) and one JSON answer (10, 15).
  assert.equal(m.value('outpost_custom_metric_sum', labels('Prompt Tokens', 'delta')), 15);
  assert.equal(m.value('outpost_custom_metric_sum', labels('Completion Tokens', 'delta')), 17);
  assert.equal(m.value('outpost_custom_metric_sum', labels('Total Tokens', 'delta')), 32);
});
