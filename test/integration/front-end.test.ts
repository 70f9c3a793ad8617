/**
 * The HTTP/1.1 front end on raw sockets, with a byte tap as the backend: what the tap receives
 * is what a compliant parser (llhttp) sees, or the client got a 4xx/5xx and the connection
 * closed. Each of these failed on the uWebSockets.js front end this server replaced.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startByteTap, type ByteTap } from '../support/byte-tap.js';
import { rawUntilClose } from '../support/raw-http.js';

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe('HTTP/1.1 front end', () => {
  let tap: ByteTap;
  let gw: GatewayProcess;
  let trusting: GatewayProcess;

  before(async () => {
    tap = await startByteTap();
    gw = await startGateway(oneApiConfig(tap.url, { maxHeaderBytes: 32 * 1024, maxBodyBytes: 0 }), { workers: 1 });
    trusting = await startGateway(oneApiConfig(tap.url, { trustedProxies: ['127.0.0.1/32'], maxBodyBytes: 1000 }), { workers: 1 });
  });
  after(async () => { await gw?.stop(); await trusting?.stop(); await tap?.close(); });

  const targets = () => tap.requests().map((r) => r.target);

  test('chunk extensions are framed right; the next request follows in order', async () => {
    const res = await rawUntilClose(gw.port, [
      'POST /echo/ext HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0;a\r\n\r\n' + GET('/echo/after-ext', 'Connection: close\r\n'),
    ]);
    assert.deepEqual(res.statuses, [200, 200]);
    const post = tap.requests().find((r) => r.target === '/ext')!;
    assert.equal(post.body.toString(), 'hello');
    assert.ok(targets().includes('/after-ext'));
  });

  test('a request hidden in chunk data behind an extension never reaches the backend as a request', async () => {
    const hidden = GET('/echo/hidden').padEnd(0x30, 'x');
    const res = await rawUntilClose(gw.port, `POST /echo/carrier HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n30;a=bcdef\r\n${hidden}\r\n0\r\n\r\n`);
    assert.deepEqual(res.statuses, [200]);
    assert.equal(tap.requests().find((r) => r.target === '/carrier')!.body.toString('latin1'), hidden);
    assert.ok(!targets().includes('/hidden'));
  });

  test('a Content-Length among the trailers: 400, closed, the backend never sees a complete request', async () => {
    const res = await rawUntilClose(gw.port, 'POST /echo/trailer-cl HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n' + GET('/echo/after-trailer-cl'));
    assert.deepEqual(res.statuses, [400]);
    assert.match(res.text, /OUTPOST_ERR_BAD_REQUEST_FRAMING/);
    assert.equal(res.closed, true);
    assert.ok(!targets().includes('/trailer-cl') && !targets().includes('/after-trailer-cl'));
  });

  test('a zero chunk with an extension (0;a) ends the body', async () => {
    const res = await rawUntilClose(gw.port, 'POST /echo/zero-ext HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0;a\r\n\r\n');
    assert.deepEqual(res.statuses, [200]);
    assert.equal(tap.requests().find((r) => r.target === '/zero-ext')!.body.length, 0);
  });

  test('whitespace in a chunk-size line: 400, closed, never a complete request at the backend', async () => {
    const res = await rawUntilClose(gw.port, 'POST /echo/ws HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n' + GET('/echo/after-ws'));
    assert.deepEqual(res.statuses, [400]);
    assert.match(res.text, /OUTPOST_ERR_BAD_REQUEST_FRAMING/);
    assert.equal(res.closed, true);
    assert.ok(!targets().includes('/ws') && !targets().includes('/after-ws'));
  });

  const refused: Array<[string, string, number]> = [
    ['Transfer-Encoding: chunked, identity', 'POST /echo/r1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', 400],
    ['an oversized header', `GET /echo/r2 HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(40 * 1024)}\r\n\r\n`, 431],
    ['duplicate Content-Length', 'POST /echo/r3 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', 400],
    ['duplicate Host', 'GET /echo/r4 HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n', 400],
    ['obs-fold', 'GET /echo/r5 HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n 2\r\n\r\n', 400],
    ['a bare LF', 'GET /echo/r6 HTTP/1.1\r\nHost: t\nX-A: 1\r\n\r\n', 400],
    ['a space in a header name', 'GET /echo/r7 HTTP/1.1\r\nHost: t\r\nX A: 1\r\n\r\n', 400],
    ['101 header lines', `GET /echo/r8 HTTP/1.1\r\nHost: t\r\n${'X-A: 1\r\n'.repeat(100)}\r\n`, 431],
    ['raw UTF-8 in the target', 'GET /echo/caf\xc3\xa9 HTTP/1.1\r\nHost: t\r\n\r\n', 400],
    ['HTTP/2.0 in the request line', 'GET /echo/r9 HTTP/2.0\r\nHost: t\r\n\r\n', 505],
    ['a request line over 8 KiB', `GET /echo/${'a'.repeat(9000)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
    ['Transfer-Encoding: gzip, chunked', 'POST /echo/r10 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
    // llhttp refuses a tab after these values; a front proxy that reads them otherwise would frame the body otherwise.
    ['a tab after Transfer-Encoding: chunked', 'POST /echo/r11 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n', 400],
    ['a tab after a Content-Length value', 'POST /echo/r12 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\t\r\n\r\nx', 400],
  ];
  for (const [name, request, status] of refused) {
    test(`${name}: ${status} at once, the connection closes, the request pipelined behind it is never seen`, async () => {
      const before = tap.requests().length;
      const res = await rawUntilClose(gw.port, request + GET('/echo/behind'));
      assert.deepEqual(res.statuses, [status]);
      assert.match(res.text, /\r\nConnection: close\r\n/);
      assert.match(res.text, /X-Outpost-Error: OUTPOST_ERR_/);
      assert.equal(res.closed, true);
      assert.equal(tap.requests().length, before);
      assert.ok(!targets().includes('/behind'));
    });
  }

  test('three pipelined GETs in one write: three responses, in order', async () => {
    const res = await rawUntilClose(gw.port, GET('/echo/p1') + GET('/echo/p2') + GET('/echo/p3', 'Connection: close\r\n'));
    assert.deepEqual(res.statuses, [200, 200, 200]);
    const bodies = [...res.text.matchAll(/\r\n\r\n(\/p\d)/g)].map((m) => m[1]);
    assert.deepEqual(bodies, ['/p1', '/p2', '/p3']);
  });

  test('HTTP/1.0: answered and closed; with keep-alive, kept open for the next request', async () => {
    const plain = await rawUntilClose(gw.port, 'GET /echo/h10 HTTP/1.0\r\n\r\n');
    assert.deepEqual(plain.statuses, [200]);
    assert.equal(plain.closed, true);
    const kept = await rawUntilClose(gw.port, 'GET /echo/h10a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /echo/h10b HTTP/1.0\r\n\r\n');
    assert.deepEqual(kept.statuses, [200, 200]);
    assert.match(kept.text, /\r\nConnection: keep-alive\r\n/);
    assert.equal(kept.closed, true);
  });

  test('60 header lines are accepted', async () => {
    const res = await rawUntilClose(gw.port, GET('/echo/sixty', `${'X-A: 1\r\n'.repeat(60)}Connection: close\r\n`));
    assert.deepEqual(res.statuses, [200]);
  });

  test('a header value with byte 0xE9 is forwarded byte for byte', async () => {
    const res = await rawUntilClose(gw.port, GET('/echo/latin1', 'X-Name: caf\xe9\r\nConnection: close\r\n'));
    assert.deepEqual(res.statuses, [200]);
    assert.ok(tap.connections().some((b) => b.includes(Buffer.from('\r\nx-name: caf\xe9\r\n', 'latin1'))));
  });

  test('percent-encoded UTF-8 path bytes reach the backend byte for byte', async () => {
    const res = await rawUntilClose(gw.port, GET('/echo/caf%C3%A9/%e2%82%ac?q=%C3%A9', 'Connection: close\r\n'));
    assert.deepEqual(res.statuses, [200]);
    assert.ok(targets().includes('/caf%C3%A9/%e2%82%ac?q=%C3%A9'));
  });

  test('encoded traversal is refused with 400', async () => {
    for (const path of ['/echo/..%2fadmin', '/echo/..%5cadmin', '/echo/..;/admin', '/echo/a/.%2e%2fb']) {
      const res = await rawUntilClose(gw.port, GET(path));
      assert.deepEqual(res.statuses, [400], path);
      assert.match(res.text, /OUTPOST_ERR_PATH_TRAVERSAL/);
    }
  });

  test('a 20 KiB header split across reads works up to maxHeaderBytes', async () => {
    const head = Buffer.from(GET('/echo/split', `X-Big: ${'b'.repeat(20 * 1024)}\r\nConnection: close\r\n`));
    const pieces = Array.from({ length: Math.ceil(head.length / 1024) }, (_, i) => head.subarray(i * 1024, (i + 1) * 1024));
    const res = await rawUntilClose(gw.port, pieces, 8000, 5);
    assert.deepEqual(res.statuses, [200]);
  });

  test('a 10-digit Content-Length is accepted and streamed to the backend', async () => {
    const before = tap.connections().length;
    await rawUntilClose(gw.port, 'POST /echo/huge HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n\r\nfirst-bytes', 1500);
    const seen = tap.text();
    assert.match(seen, /POST \/huge HTTP\/1\.1\r\n/);
    assert.match(seen, /\r\ncontent-length: 1000000000\r\n/i);
    assert.ok(seen.includes('first-bytes'));
    assert.ok(tap.connections().length >= before);
  });

  test('a 10-digit Content-Length over the body limit: 413 and closed', async () => {
    const res = await rawUntilClose(trusting.port, 'POST /echo/too-big HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n\r\nxx');
    assert.deepEqual(res.statuses, [413]);
    assert.equal(res.closed, true);
    assert.ok(!targets().includes('/too-big'));
  });

  const forwarding = 'X-Forwarded-For: 10.9.9.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: api.example\r\nX-Forwarded-Port: 443\r\nForwarded: for=10.9.9.9\r\nX-Real-IP: 10.9.9.9\r\nConnection: close\r\n';
  const headersOf = (target: string) => {
    const r = tap.requests().find((m) => m.target === target)!;
    const h: Record<string, string> = {};
    for (let i = 0; i < r.headers.length; i += 2) h[r.headers[i].toLowerCase()] = r.headers[i + 1];
    return h;
  };

  test('forwarding headers from a peer that is not a trusted proxy are replaced by what the gateway saw', async () => {
    await rawUntilClose(gw.port, GET('/echo/untrusted', forwarding));
    const h = headersOf('/untrusted');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 't');
    for (const gone of ['x-forwarded-port', 'forwarded', 'x-real-ip']) assert.equal(h[gone], undefined, gone);
  });

  test('forwarding headers from a trusted proxy are kept, X-Forwarded-For appended to', async () => {
    await rawUntilClose(trusting.port, GET('/echo/trusted', forwarding));
    const h = headersOf('/trusted');
    assert.equal(h['x-forwarded-for'], '10.9.9.9, 127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'api.example');
    assert.equal(h['x-forwarded-port'], '443');
    assert.equal(h.forwarded, 'for=10.9.9.9');
    assert.equal(h['x-real-ip'], '10.9.9.9');
  });

  // Found by Http11Probe (SMUG-CHUNK-EXT-INVALID-TOKEN and the cases after it): a chunked body
  // that turned malformed after its head was routed crashed the worker (the streamed body was
  // destroyed with an 'error' nobody listened to), and with it every request it held.
  test('a body that breaks off or turns malformed mid-stream never takes the worker down', async () => {
    for (let i = 0; i < 3; i++) {
      const bad = await rawUntilClose(gw.port, 'POST /echo/bad-chunk HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\nhello\r\n0\r\n\r\n');
      assert.deepEqual(bad.statuses, [400], bad.text);
      assert.equal(bad.closed, true);
      const left = await rawUntilClose(gw.port, 'POST /echo/left HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', 150);
      assert.deepEqual(left.statuses, [], left.text);
    }
    const after = await rawUntilClose(gw.port, GET('/echo/still-up', 'Connection: close\r\n'));
    assert.deepEqual(after.statuses, [200]);
    assert.equal(gw.logs.filter((l) => /worker crashed|exited unexpectedly/.test(String(l.msg))).length, 0, JSON.stringify(gw.logs.filter((l) => l.level === 'error')));
  });
});

describe('HTTP/1.1 front end: timeouts and expectations', () => {
  let tap: ByteTap;
  let gw: GatewayProcess;

  before(async () => {
    tap = await startByteTap();
    gw = await startGateway(oneApiConfig(tap.url, { requestHeadTimeoutMs: 500, clientIdleTimeoutMs: 500, requestBodyTimeoutMs: 500 }), { workers: 1 });
  });
  after(async () => { await gw?.stop(); await tap?.close(); });

  test('a head that never completes (slowloris) gets 408 and the connection closes', async () => {
    const res = await rawUntilClose(gw.port, 'GET /echo/slow HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n', 6000);
    assert.deepEqual(res.statuses, [408]);
    assert.match(res.text, /OUTPOST_ERR_REQUEST_TIMEOUT/);
    assert.equal(res.closed, true);
  });

  test('a stalled request body gets 408 and closes; the backend never sees a complete request', async () => {
    const res = await rawUntilClose(gw.port, 'POST /echo/stalled HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc', 6000);
    assert.deepEqual(res.statuses, [408]);
    assert.equal(res.closed, true);
    assert.ok(!tap.requests().some((r) => r.target === '/stalled'));
  });

  test('an idle keep-alive connection is closed after its response', async () => {
    const res = await rawUntilClose(gw.port, 'GET /echo/idle HTTP/1.1\r\nHost: t\r\n\r\n', 6000);
    assert.deepEqual(res.statuses, [200]);
    assert.equal(res.closed, true);
  });

  test('Expect: 100-continue gets 100 Continue when the body is read; another expectation gets 417', async () => {
    const ok = await rawUntilClose(gw.port, 'POST /echo/cont HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    assert.match(ok.text, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
    assert.deepEqual(ok.statuses, [200]);
    assert.equal(tap.requests().find((r) => r.target === '/cont')!.body.toString(), 'hello');
    const refused = await rawUntilClose(gw.port, 'POST /echo/exp HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 5\r\n\r\nhello');
    assert.deepEqual(refused.statuses, [417]);
    assert.equal(refused.closed, true);
  });
});
