/**
 * The proxy path end to end: real gateway process, real worker threads, real backends on port 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { rawExchange, rawRequest } from '../support/raw-http.js';

describe('proxying', () => {
  let backend: TestBackend;
  let special: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    special = await startBackend((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/fixed')) { res.writeHead(200, { 'content-length': 11, 'x-fixed': 'yes' }); res.end(req.method === 'HEAD' ? undefined : 'hello world'); return; }
      if (url.startsWith('/no-content')) { res.writeHead(204, { 'x-kind': 'empty' }); res.end(); return; }
      if (url.startsWith('/not-modified')) { res.writeHead(304, { etag: '"v1"' }); res.end(); return; }
      if (url.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'x-secret', 'x-secret': 'drop-me', 'keep-alive': 'timeout=5' });
        let n = 0;
        const timer = setInterval(() => { res.write(`part${n}\n`); if (++n === 5) { clearInterval(timer); res.end(); } }, 5);
        return;
      }
      if (url.startsWith('/keep-alive-first')) {
        // close or keep-alive, then a comma: the list scan once stopped on that comma for good.
        res.setHeader('connection', 'Keep-Alive, x-d, close');
        res.setHeader('x-d', 'drop-d');
        res.setHeader('x-e', 'keep-e');
        res.end('ok');
        return;
      }
      if (url.startsWith('/two-connections')) {
        // Two Connection fields, mixed case: every header either names is hop-by-hop.
        res.setHeader('connection', ['x-a, Keep-Alive', 'X-B']);
        res.setHeader('x-a', 'drop-a');
        res.setHeader('x-b', 'drop-b');
        res.setHeader('x-c', 'keep-c');
        res.end('ok');
        return;
      }
      if (url.startsWith('/slow')) { setTimeout(() => { res.writeHead(200); res.end('late'); }, 3_000); return; }
      if (url.startsWith('/hang')) { req.on('close', () => { hangClosed++; }); return; }
      echoHandler(req, res);
    });
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5, upstream: { headersTimeoutMs: 1_000, connectTimeoutMs: 1_000 } },
      apis: [
        {
          id: 'echo', name: 'Echo', path: 'echo', serviceUrl: `${backend.url}/base`, subscriptionRequired: false,
          operations: [
            { id: 'get-item', method: 'GET', urlTemplate: '/items/{id}' },
            { id: 'post', method: 'POST', urlTemplate: '/upload' },
            { id: 'any', method: '*', urlTemplate: '/open/*' },
          ],
        },
        { id: 'special', name: 'Special', path: 'special', serviceUrl: special.url, subscriptionRequired: false, operations: [{ id: 'all', method: '*', urlTemplate: '/*' }] },
        { id: 'hosted', name: 'Hosted', path: 'echo', serviceUrl: `${backend.url}/hosted`, subscriptionRequired: false, hostnames: ['api.example.test'], preserveHost: true, operations: [{ id: 'h', method: 'GET', urlTemplate: '/items/{id}' }] },
        { id: 'dead', name: 'Dead', path: 'dead', serviceUrl: 'http://127.0.0.1:1', subscriptionRequired: false, operations: [{ id: 'd', method: 'GET', urlTemplate: '/*' }] },
      ],
    });
  });
  let hangClosed = 0;

  after(async () => {
    await gw?.stop();
    await backend?.close();
    await special?.close();
  });

  test('forwards serviceUrl + the path after the suffix, query kept, with X-Forwarded-* and the backend Host', async () => {
    const res = await request(gw.url('/echo/items/42?a=1&b=%20x'), { headers: { 'x-forwarded-for': '10.1.1.1', 'x-custom': 'yes' } });
    assert.equal(res.statusCode, 200);
    const body = await res.body.json() as { method: string; url: string; headers: Record<string, string> };
    assert.equal(body.url, '/base/items/42?a=1&b=%20x');
    assert.equal(body.headers.host, `127.0.0.1:${backend.port}`);
    // The client is not a trusted proxy: what it claims is replaced (forwarding-headers.test.ts has the trusted case).
    assert.equal(body.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(body.headers['x-forwarded-proto'], 'http');
    assert.equal(body.headers['x-forwarded-host'], `127.0.0.1:${gw.port}`);
    assert.equal(body.headers['x-custom'], 'yes');
  });

  test('removes hop-by-hop request headers, including those named by Connection', async () => {
    // undici (the test client) refuses to send these headers, so this goes over a raw socket.
    const raw = await rawRequest(gw.port, 'GET /echo/items/1 HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, x-hop\r\n'
      + 'X-Hop: secret\r\nTE: trailers\r\nProxy-Authorization: Basic abc\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\nX-Stay: 1\r\n\r\n');
    assert.equal(raw.status, 200);
    const body = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    for (const name of ['x-hop', 'te', 'proxy-authorization', 'keep-alive', 'upgrade']) assert.equal(body.headers[name], undefined, name);
    assert.equal(body.headers['x-stay'], '1');
  });

  test('a Host listed in hostnames selects the host-specific API, whose preserveHost keeps the client Host', async () => {
    const res = await request(gw.url('/echo/items/7'), { headers: { host: 'API.example.test:8443' } });
    const body = await res.body.json() as { url: string; headers: Record<string, string> };
    assert.equal(body.url, '/hosted/items/7');
    assert.equal(body.headers.host, 'API.example.test:8443');
  });

  test('no route gives 404 with the APIM error shape', async () => {
    for (const path of ['/nothing', '/echo/items', '/echo/items/1/2', '/echo/%2e%2e/special/x', '/echo/../special/x']) {
      const res = await request(gw.url(path), { method: path.includes('special') ? 'DELETE' : 'GET' });
      if (path.includes('special')) {
        // dot segments resolve first: /special/x is a different API, reached only on its own terms
        assert.equal(res.statusCode, 200, path);
        const body = await res.body.json() as { url: string };
        assert.equal(body.url, '/x');
        continue;
      }
      assert.equal(res.statusCode, 404, path);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(await res.body.json(), { statusCode: 404, message: 'Resource not found' });
    }
  });

  test('method must match the operation', async () => {
    const res = await request(gw.url('/echo/items/1'), { method: 'DELETE' });
    assert.equal(res.statusCode, 404);
    await res.body.dump();
  });

  test('HEAD gets the headers and length of GET and no body', async () => {
    const res = await request(gw.url('/special/fixed'), { method: 'HEAD' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-length'], '11');
    assert.equal(res.headers['x-fixed'], 'yes');
    assert.equal(await res.body.text(), '');
    const get = await request(gw.url('/special/fixed'));
    assert.equal(await get.body.text(), 'hello world');
  });

  test('204 and 304 pass with no body', async () => {
    const r204 = await request(gw.url('/special/no-content'));
    assert.equal(r204.statusCode, 204);
    assert.equal(r204.headers['x-kind'], 'empty');
    assert.equal(r204.headers['content-length'], undefined);
    assert.equal(await r204.body.text(), '');
    const r304 = await request(gw.url('/special/not-modified'));
    assert.equal(r304.statusCode, 304);
    assert.equal(r304.headers.etag, '"v1"');
    assert.equal(await r304.body.text(), '');
  });

  test('chunked responses stream through; hop-by-hop response headers are dropped', async () => {
    const res = await request(gw.url('/special/chunked'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['x-secret'], undefined);
    assert.equal(res.headers['keep-alive'], undefined);
    assert.equal(await res.body.text(), 'part0\npart1\npart2\npart3\npart4\n');
  });

  test('headers named by any of several Connection fields are dropped; the rest pass', async () => {
    const { text: res } = await rawRequest(gw.port, 'GET /special/two-connections HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(res, /^HTTP\/1\.1 200 OK\r\n/);
    const head = res.slice(0, res.indexOf('\r\n\r\n')).toLowerCase();
    assert.ok(!head.includes('x-a:'), head);
    assert.ok(!head.includes('x-b:'), head);
    assert.ok(head.includes('\r\nx-c: keep-c'), head);
    assert.ok(!head.includes('keep-alive'), head);
    assert.ok(res.endsWith('\r\n\r\nok'), res);
  });

  test('a backend Connection list that starts with keep-alive: answered, the header it names dropped', async () => {
    const { text: res } = await rawRequest(gw.port, 'GET /special/keep-alive-first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5_000);
    assert.match(res, /^HTTP\/1\.1 200 OK\r\n/);
    const head = res.slice(0, res.indexOf('\r\n\r\n')).toLowerCase();
    assert.ok(!head.includes('x-d:'), head);
    assert.ok(head.includes('\r\nx-e: keep-e'), head);
    assert.ok(res.endsWith('\r\n\r\nok'), res);
    // The worker is still serving.
    const again = await rawRequest(gw.port, 'GET /special/keep-alive-first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5_000);
    assert.match(again.text, /^HTTP\/1\.1 200 OK\r\n/);
  });

  test('request bodies: small, chunked, and Expect: 100-continue', async () => {
    const small = await request(gw.url('/echo/upload'), { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal((await small.body.json() as { bodyBytes: number }).bodyBytes, 1000);
    async function* parts() { for (let i = 0; i < 10; i++) yield Buffer.alloc(10_000, i); }
    const chunked = await request(gw.url('/echo/upload'), { method: 'POST', body: Readable.from(parts()) });
    const chunkedBody = await chunked.body.json() as { bodyBytes: number; headers: Record<string, string> };
    assert.equal(chunkedBody.bodyBytes, 100_000);
    // Framing towards the backend is undici's choice (chunked, or a length once it knows it).
    assert.ok(chunkedBody.headers['transfer-encoding'] === 'chunked' || chunkedBody.headers['content-length'] === '100000');
    // undici (the test client) refuses to send Expect, so this one goes over a raw socket.
    const raw = await rawExchange(gw.port, 'POST /echo/upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n', 'hello');
    assert.match(raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    const expectBody = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n{') + 4)) as { bodyBytes: number; headers: Record<string, string> };
    assert.equal(expectBody.bodyBytes, 5);
    assert.equal(expectBody.headers.expect, undefined);
  });

  test('backend refused gives 502, backend too slow gives 504, both with the error shape', async () => {
    const refused = await request(gw.url('/dead/x'));
    assert.equal(refused.statusCode, 502);
    assert.equal(refused.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_UNREACHABLE');
    assert.equal((await refused.body.json() as { statusCode: number }).statusCode, 502);
    const slow = await request(gw.url('/special/slow'));
    assert.equal(slow.statusCode, 504);
    assert.equal(slow.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_TIMEOUT');
    assert.equal((await slow.body.json() as { statusCode: number }).statusCode, 504);
  });

  test('a client that goes away aborts its upstream request', async () => {
    const before = hangClosed;
    const ac = new AbortController();
    const pending = request(gw.url('/special/hang'), { signal: ac.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await pending;
    const deadline = Date.now() + 3_000;
    while (hangClosed === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(hangClosed, before + 1);
  });

  test('every stdout line is one JSON object', () => {
    assert.deepEqual(gw.badLines, []);
    assert.ok(gw.logs.some((l) => l.msg === 'gateway started'));
  });
});
