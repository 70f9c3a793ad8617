/**
 * Transformation and small policies through real workers and a real backend: json-to-xml on a
 * request body (the backend sees XML and its Content-Type), xml-to-json on a response (Content-Type
 * and Content-Length follow), jsonp wrapping with the callback parameter, redirect-content-urls
 * rewriting backend links in a body, cross-domain serving /crossdomain.xml, wait running two
 * send-requests at once (the backend sees both before it answers either), and limit-concurrency
 * holding its slot while an enclosed send-request runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

/** Requests parked until their partner arrives (/gate/*) or the test lets them go (/hold). */
const gate: ServerResponse[] = [];
const held: ServerResponse[] = [];
let backendUrl = '';

function handler(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const url = req.url ?? '';
    const send = (type: string, body: string) => { res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) }); res.end(body); };
    if (url.startsWith('/gate/')) {
      // Answers nobody until both calls are here: sent one after the other, the first would time out.
      gate.push(res);
      if (gate.length === 2) for (const [i, r] of gate.splice(0).entries()) { r.writeHead(200, { 'content-type': 'text/plain' }); r.end(`gate${i}`); }
      return;
    }
    if (url.startsWith('/hold')) { held.push(res); return; }
    if (url.startsWith('/to-json')) return send('application/xml; charset=utf-8', '<order id="7"><item>a</item><item>b</item></order>');
    if (url.startsWith('/jsonp')) return send('application/json', '{"n":1}');
    if (url.startsWith('/links')) return send('application/json', JSON.stringify({ self: `${backendUrl}/links/1`, next: `${backendUrl}/links/2` }));
    send('application/json', JSON.stringify({ url, contentType: req.headers['content-type'] ?? null, body: Buffer.concat(parts).toString() }));
  });
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(pred(), `timed out waiting for ${what}`);
}

describe('transformation policies, wait and enclosing limit-concurrency through real workers', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(handler);
    backendUrl = backend.url;
    const ops = [
      { id: 'to-xml', method: 'POST', urlTemplate: '/to-xml', policies: '<policies><inbound><json-to-xml apply="always" consider-accept-header="false" /></inbound></policies>' },
      { id: 'to-json', method: 'GET', urlTemplate: '/to-json', policies: '<policies><outbound><xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="true" /></outbound></policies>' },
      { id: 'jsonp', method: 'GET', urlTemplate: '/jsonp', policies: '<policies><outbound><jsonp callback-parameter-name="cb" /></outbound></policies>' },
      { id: 'links', method: 'GET', urlTemplate: '/links', policies: '<policies><outbound><redirect-content-urls /></outbound></policies>' },
      { id: 'crossdomain', method: 'GET', urlTemplate: '/crossdomain.xml', policies: '<policies><inbound><cross-domain><cross-domain-policy><allow-access-from domain="*" /></cross-domain-policy></cross-domain></inbound></policies>' },
      { id: 'wait', method: 'GET', urlTemplate: '/wait', policies: `<policies><inbound>
        <wait for="all">
          <send-request mode="new" response-variable-name="a" timeout="5"><set-url>${backend.url}/gate/a</set-url></send-request>
          <send-request mode="new" response-variable-name="b" timeout="5"><set-url>${backend.url}/gate/b</set-url></send-request>
        </wait>
        <return-response><set-status code="200" reason="OK" /><set-body>@(((IResponse)context.Variables["a"]).Body.As<string>() + "+" + ((IResponse)context.Variables["b"]).Body.As<string>())</set-body></return-response>
      </inbound></policies>` },
      { id: 'limited', method: 'GET', urlTemplate: '/limited', policies: `<policies><inbound>
        <limit-concurrency key="@(&quot;one&quot;)" max-count="1">
          <send-request mode="new" response-variable-name="h" timeout="10"><set-url>${backend.url}/hold</set-url></send-request>
        </limit-concurrency>
        <return-response><set-status code="200" reason="OK" /><set-body>@(((IResponse)context.Variables["h"]).Body.As<string>())</set-body></return-response>
      </inbound></policies>` },
    ];
    gw = await startGateway({ apis: [{ id: 'tr', name: 'Transform', path: 'tr', serviceUrl: backend.url, subscriptionRequired: false, operations: ops }] }, { workers: 2 });
  });
  after(async () => {
    for (const r of [...gate.splice(0), ...held.splice(0)]) r.destroy();
    await gw?.stop();
    await backend?.close();
  });

  const call = async (path: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}) => {
    const res = await request(gw.url(path), { method: init.method ?? 'GET', headers: init.headers, body: init.body });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('json-to-xml: the backend gets the request body as XML with its Content-Type', async () => {
    const res = await call('/tr/to-xml', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":{"id":7,"tags":["a","b"]}}' });
    assert.equal(res.status, 200);
    const seen = JSON.parse(res.text) as { contentType: string; body: string };
    assert.equal(seen.contentType, 'application/xml');
    assert.equal(seen.body, '<order><id>7</id><tags>a</tags><tags>b</tags></order>');
  });

  test('xml-to-json: the client gets JSON when it asks for it, with Content-Type and Content-Length', async () => {
    const res = await call('/tr/to-json', { headers: { accept: 'application/json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.text));
    assert.deepEqual(JSON.parse(res.text), { order: { '@id': '7', item: ['a', 'b'] } });
    const xml = await call('/tr/to-json', { headers: { accept: 'application/xml' } });
    assert.equal(xml.text, '<order id="7"><item>a</item><item>b</item></order>');
  });

  test('jsonp: wrapped in the callback the query names; plain JSON without it; a bad name is a 400', async () => {
    const wrapped = await call('/tr/jsonp?cb=handle');
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.text, 'handle({"n":1});');
    assert.equal(wrapped.headers['content-type'], 'application/javascript');
    const plain = await call('/tr/jsonp');
    assert.equal(plain.text, '{"n":1}');
    assert.equal(plain.headers['content-type'], 'application/json');
    const bad = await call('/tr/jsonp?cb=alert(1)');
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['x-outpost-error'], 'OUTPOST_ERR_JSONP_CALLBACK_INVALID');
    assert.equal(JSON.parse(bad.text).statusCode, 400);
  });

  test('redirect-content-urls: backend links in the body point to the gateway', async () => {
    const res = await call('/tr/links');
    assert.equal(res.status, 200);
    const gateway = `http://127.0.0.1:${gw.port}/tr`;
    assert.deepEqual(JSON.parse(res.text), { self: `${gateway}/links/1`, next: `${gateway}/links/2` });
  });

  test('cross-domain: /crossdomain.xml is answered by the gateway', async () => {
    const before = backend.seen.length;
    const res = await call('/tr/crossdomain.xml');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/x-cross-domain-policy');
    assert.equal(res.text, '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*" /></cross-domain-policy>');
    assert.equal(backend.seen.length, before);
  });

  test('wait for="all": both send-requests reach the backend before either is answered', async () => {
    const res = await call('/tr/wait');
    assert.equal(res.status, 200);
    assert.match(res.text, /^gate[01]\+gate[01]$/);
    assert.notEqual(res.text.slice(0, 5), res.text.slice(6));
  });

  test('limit-concurrency holds its slot while the enclosed send-request runs, and gives it back', async () => {
    const first = call('/tr/limited');
    await until(() => held.length === 1, 'the first call to reach /hold');
    const second = await call('/tr/limited');
    assert.equal(second.status, 429);
    assert.equal(JSON.parse(second.text).statusCode, 429);
    assert.equal(held.length, 1);
    const r = held.shift()!;
    r.writeHead(200, { 'content-type': 'text/plain' });
    r.end('released');
    assert.deepEqual(await first.then((x) => [x.status, x.text]), [200, 'released']);
    const third = call('/tr/limited');
    await until(() => held.length === 1, 'the third call to reach /hold');
    const h = held.shift()!;
    h.writeHead(200);
    h.end('again');
    assert.equal((await third).status, 200);
  });
});
