/**
 * send-request, send-one-way-request, set-body and find-and-replace through real workers and
 * real backends: a second backend's JSON feeds a set-header through an expression; ignore-error
 * on an unreachable URL; a timeout goes to on-error with its code; a one-way call reaches its
 * target without delaying the request; bodies rewritten inbound and outbound with expressions
 * and Liquid (Content-Length follows); find-and-replace on a response; send-request in outbound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

/** Echoes method, URL, headers and the body text as JSON. */
function echoWithBody(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

/** The second backend: a token service, a slow endpoint, and a hook for one-way calls. */
function auxHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url?.startsWith('/big')) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(Buffer.alloc(1536 * 1024, 0x61)); return; }
  if (req.url?.startsWith('/slow')) { setTimeout(() => { res.writeHead(200); res.end('late'); }, 3000).unref(); return; }
  const body = JSON.stringify({ token: 'tok-123', tier: 'gold', asked: req.headers['x-asked-by'] ?? null });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(body);
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('send-request, set-body, find-and-replace through real workers', () => {
  let backend: TestBackend;
  let aux: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoWithBody);
    aux = await startBackend(auxHandler);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const ops = [
      { id: 'send', method: 'GET', urlTemplate: '/send', policies: `<policies><inbound>
        <send-request mode="new" response-variable-name="auth" timeout="5" ignore-error="false">
          <set-url>${aux.url}/token</set-url>
          <set-method>POST</set-method>
          <set-header name="x-asked-by" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
        </send-request>
        <set-header name="x-token" exists-action="override"><value>@((string)((IResponse)context.Variables["auth"]).Body.As<JObject>()["token"])</value></set-header>
        <set-header name="x-asked" exists-action="override"><value>@((string)((IResponse)context.Variables["auth"]).Body.As<JObject>()["asked"])</value></set-header>
        <set-header name="x-aux-status" exists-action="override"><value>@(((IResponse)context.Variables["auth"]).StatusCode.ToString())</value></set-header>
      </inbound></policies>` },
      { id: 'ignore', method: 'GET', urlTemplate: '/ignore', policies: `<policies><inbound>
        <send-request mode="new" response-variable-name="r" timeout="2" ignore-error="true"><set-url>${dead}/x</set-url></send-request>
        <set-header name="x-null" exists-action="override"><value>@(context.Variables["r"] == null ? "null" : "set")</value></set-header>
      </inbound></policies>` },
      { id: 'timeout', method: 'GET', urlTemplate: '/timeout', policies: `<policies><inbound>
        <send-request mode="new" response-variable-name="r" timeout="1"><set-url>${aux.url}/slow</set-url></send-request>
      </inbound><on-error>
        <return-response><set-status code="599" reason="Failed" /><set-body>@(context.LastError.Reason + "|" + context.LastError.Source)</set-body></return-response>
      </on-error></policies>` },
      { id: 'unreachable', method: 'GET', urlTemplate: '/unreachable', policies: `<policies><inbound>
        <send-request mode="new" response-variable-name="r" timeout="2"><set-url>${dead}/x</set-url></send-request>
      </inbound></policies>` },
      { id: 'oneway', method: 'GET', urlTemplate: '/oneway', policies: `<policies><inbound>
        <send-one-way-request mode="new" timeout="5"><set-url>${aux.url}/hook</set-url><set-method>POST</set-method><set-body>@("ping from " + context.Operation.Id)</set-body></send-one-way-request>
      </inbound></policies>` },
      { id: 'body-in', method: 'POST', urlTemplate: '/body-in', policies: `<policies><inbound>
        <set-body>@{ var o = context.Request.Body.As<JObject>(preserveContent: true); o["added"] = true; return o.ToString(Formatting.None); }</set-body>
      </inbound></policies>` },
      { id: 'liquid-in', method: 'POST', urlTemplate: '/liquid-in', policies: `<policies><inbound>
        <set-body template="liquid">{"greeting":"hello {{body.name}}","tier":"{{context.Request.Headers["X-Tier"]}}","count":{{body.items | size}}}</set-body>
      </inbound></policies>` },
      { id: 'body-out', method: 'GET', urlTemplate: '/body-out', policies: `<policies><outbound>
        <set-body>@{ var b = context.Response.Body.As<JObject>(); var o = new JObject(); o["method"] = b["method"]; o["wrapped"] = true; return o.ToString(Formatting.None); }</set-body>
      </outbound></policies>` },
      { id: 'liquid-out', method: 'GET', urlTemplate: '/liquid-out', policies: `<policies><outbound>
        <set-body template="liquid">{"status":{{context.Response.StatusCode}},"m":"{{body.method}}"}</set-body>
      </outbound></policies>` },
      { id: 'replace', method: 'GET', urlTemplate: '/replace', policies: `<policies><outbound>
        <find-and-replace from="&quot;GET&quot;" to="&quot;FETCHED&quot;" />
      </outbound></policies>` },
      { id: 'relay', method: 'GET', urlTemplate: '/relay', policies: `<policies><inbound>
        <send-request mode="new" response-variable-name="auth" timeout="5"><set-url>${aux.url}/token</set-url></send-request>
        <return-response response-variable-name="auth"><set-header name="x-relayed" exists-action="override"><value>yes</value></set-header></return-response>
      </inbound></policies>` },
      { id: 'send-out', method: 'GET', urlTemplate: '/send-out', policies: `<policies><outbound>
        <send-request mode="new" response-variable-name="t" timeout="5"><set-url>${aux.url}/token</set-url></send-request>
        <set-header name="x-tier" exists-action="override"><value>@((string)((IResponse)context.Variables["t"]).Body.As<JObject>()["tier"])</value></set-header>
      </outbound></policies>` },
    ];
    const big = [{ id: 'big', method: 'GET', urlTemplate: '/big', policies: '<policies><outbound><find-and-replace from="a" to="b" /></outbound></policies>' }];
    gw = await startGateway({
      apis: [
        { id: 'sb', name: 'Send and body', path: 'sb', serviceUrl: backend.url, subscriptionRequired: false, operations: ops },
        { id: 'aux', name: 'Aux', path: 'aux', serviceUrl: aux.url, subscriptionRequired: false, operations: big },
      ],
    }, { workers: 1 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); await aux?.close(); });

  const call = async (path: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}) => {
    const res = await request(gw.url(path), { method: init.method ?? 'GET', headers: init.headers, body: init.body });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test("send-request: a second backend's JSON feeds set-header through an expression", async () => {
    const res = await call('/sb/send');
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.text) as { headers: Record<string, string> };
    assert.equal(echoed.headers['x-token'], 'tok-123');
    assert.equal(echoed.headers['x-asked'], 'send');
    assert.equal(echoed.headers['x-aux-status'], '200');
    assert.equal(aux.seen.find((s) => s.url === '/token')?.method, 'POST');
  });

  test('ignore-error on an unreachable URL: the variable is null and the request goes on', async () => {
    const res = await call('/sb/ignore');
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.text) as { headers: Record<string, string> }).headers['x-null'], 'null');
  });

  test('a timeout goes to on-error with OUTPOST_ERR_SEND_REQUEST_TIMEOUT; unreachable is a coded 502', async () => {
    const res = await call('/sb/timeout');
    assert.equal(res.status, 599);
    assert.equal(res.text, 'OUTPOST_ERR_SEND_REQUEST_TIMEOUT|send-request');
    const dead = await call('/sb/unreachable');
    assert.equal(dead.status, 502);
    assert.equal(dead.headers['x-outpost-error'], 'OUTPOST_ERR_SEND_REQUEST_FAILED');
  });

  test('send-one-way-request reaches its target; the request does not wait for it', async () => {
    const res = await call('/sb/oneway');
    assert.equal(res.status, 200);
    for (let i = 0; i < 50 && !aux.seen.some((s) => s.url === '/hook'); i++) await new Promise((r) => setTimeout(r, 100));
    const hook = aux.seen.find((s) => s.url === '/hook');
    assert.ok(hook, 'the one-way call arrived');
    assert.equal(hook.method, 'POST');
    assert.equal(hook.headers['content-length'], String(Buffer.byteLength('ping from oneway')));
  });

  test('set-body inbound with an expression: the backend gets the new body and its length', async () => {
    const res = await call('/sb/body-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"widget"}' });
    assert.equal(res.status, 200);
    const echoed = JSON.parse(res.text) as { headers: Record<string, string>; body: string };
    assert.deepEqual(JSON.parse(echoed.body), { name: 'widget', added: true });
    assert.equal(echoed.headers['content-length'], String(Buffer.byteLength(echoed.body)));
  });

  test('set-body inbound with Liquid', async () => {
    const res = await call('/sb/liquid-in', { method: 'POST', headers: { 'content-type': 'application/json', 'x-tier': 'gold' }, body: '{"name":"ada","items":[1,2,3]}' });
    const echoed = JSON.parse(res.text) as { body: string };
    assert.deepEqual(JSON.parse(echoed.body), { greeting: 'hello ada', tier: 'gold', count: 3 });
  });

  test('set-body outbound, with an expression and with Liquid: the client gets the new body and length', async () => {
    const res = await call('/sb/body-out');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { method: 'GET', wrapped: true });
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.text)));
    const liquid = await call('/sb/liquid-out');
    assert.deepEqual(JSON.parse(liquid.text), { status: 200, m: 'GET' });
  });

  test('find-and-replace on a response (plain text)', async () => {
    const res = await call('/sb/replace');
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.text) as { method: string }).method, 'FETCHED');
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(res.text)));
  });

  test("return-response response-variable-name answers with send-request's response", async () => {
    const res = await call('/sb/relay');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-relayed'], 'yes');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal((JSON.parse(res.text) as { token: string }).token, 'tok-123');
  });

  test('a response over the 1 MiB bound of outbound body policies is a coded 502, not a truncated body', async () => {
    const res = await call('/aux/big');
    assert.equal(res.status, 502);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BODY_TRANSFORM_TOO_LARGE');
    const again = await call('/sb/replace');
    assert.equal(again.status, 200, 'the worker goes on serving');
  });

  test('send-request in outbound: the response waits for it', async () => {
    const res = await call('/sb/send-out');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-tier'], 'gold');
    assert.equal((JSON.parse(res.text) as { method: string }).method, 'GET');
  });
});
