/**
 * The upstream client end to end, against raw `net` backends that count connections: keep-alive
 * reuse and when it must not happen (Connection: close, HTTP/1.0, malformed responses), one retry
 * on a fresh connection after the backend closed an idle one, 502 for malformed responses, the
 * pool and queue bounds (503), and timeouts (504).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Readable } from 'node:stream';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startRawBackend, type RawBackend } from '../support/raw-backend.js';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** Malformed answers by path; each must give 502 OUTPOST_ERR_BACKEND_PROTOCOL. */
const MALFORMED: Record<string, string> = {
  '/two-lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
  '/bad-length': 'HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello',
  '/obs-fold': 'HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n',
  '/te-and-cl': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  '/te-gzip': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello',
  '/bad-chunk-size': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
  '/bad-status': 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n',
  '/bad-header-byte': 'HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n',
  '/switching': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
};

describe('upstream client', () => {
  let framing: RawBackend;
  let idle: RawBackend;
  let slow: RawBackend;
  let gw: GatewayProcess;
  let tight: GatewayProcess;

  before(async () => {
    framing = await startRawBackend((req, socket) => {
      const bad = MALFORMED[req.path];
      if (bad !== undefined) { socket.write(bad); return; } // and the connection stays open: it must not be reused
      if (req.path === '/close') { socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'); return; }
      if (req.path === '/hint') { socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 2\r\n\r\nok'); return; }
      if (req.path === '/http10') { socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'); return; }
      if (req.path === '/longer') { socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhello'); return; }
      if (req.path === '/shorter') { socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello'); return; }
      if (req.path === '/chunked-upload') {
        const body = `${req.head.toLowerCase().includes('transfer-encoding: chunked') ? 'chunked' : 'other'}`;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      socket.write(OK);
    });
    // The second request on any connection finds it closed, as when the backend's idle timeout
    // fires just as the gateway reuses the connection.
    idle = await startRawBackend((req, socket) => {
      if (req.onConnection === 0) socket.write(OK);
      else socket.destroy();
    });
    slow = await startRawBackend((req, socket) => {
      if (req.path === '/stall-body') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello');
      // '/hang': never answers
    });
    const api = (id: string, url: string) => ({ id, name: id, path: id, serviceUrl: url, subscriptionRequired: false, operations: [{ id: 'any', method: '*', urlTemplate: '/*' }] });
    gw = await startGateway({ gateway: { drainTimeoutSeconds: 1 }, apis: [api('framing', framing.url), api('idle', idle.url)] }, { workers: 1 });
    tight = await startGateway({
      gateway: { drainTimeoutSeconds: 1, upstream: { connections: 1, queueLimit: 1, headersTimeoutMs: 1_000, bodyTimeoutMs: 500 } },
      apis: [api('slow', slow.url)],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    await tight?.stop();
    await framing?.close();
    await idle?.close();
    await slow?.close();
  });

  const lastRequest = (b: RawBackend, path: string) => [...b.requests].reverse().find((r) => r.path === path)!;

  test('sequential requests reuse one keep-alive connection', async () => {
    const before = framing.connections();
    for (let i = 0; i < 5; i++) {
      const res = await request(gw.url('/framing/ok'));
      assert.equal(await res.body.text(), 'ok');
    }
    assert.ok(framing.connections() - before <= 1);
  });

  for (const path of ['/close', '/http10']) {
    test(`a connection is not reused after ${path === '/close' ? 'Connection: close' : 'an HTTP/1.0 response'}`, async () => {
      const res = await request(gw.url(`/framing${path}`));
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'ok');
      await (await request(gw.url('/framing/ok'))).body.text();
      assert.notEqual(lastRequest(framing, '/ok').connection, lastRequest(framing, path).connection);
    });
  }

  test('Keep-Alive: timeout=2 is honoured with a margin: reused at once, not after more than 1 s idle', async () => {
    await (await request(gw.url('/framing/hint'))).body.text();
    await (await request(gw.url('/framing/hint'))).body.text();
    await new Promise((r) => setTimeout(r, 1_500));
    await (await request(gw.url('/framing/hint'))).body.text();
    const hints = framing.requests.filter((r) => r.path === '/hint');
    assert.equal(hints[1].connection, hints[0].connection);
    assert.notEqual(hints[2].connection, hints[1].connection);
  });

  for (const path of Object.keys(MALFORMED)) {
    test(`malformed response ${path}: 502 OUTPOST_ERR_BACKEND_PROTOCOL, connection not reused`, async () => {
      await (await request(gw.url('/framing/ok'))).body.text(); // a warm connection the bad answer lands on
      const res = await request(gw.url(`/framing${path}`));
      assert.equal(res.statusCode, 502);
      assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_PROTOCOL');
      assert.deepEqual(await res.body.json(), { statusCode: 502, message: 'Bad gateway: the backend sent an invalid response' });
      const ok = await request(gw.url('/framing/ok'));
      assert.equal(await ok.body.text(), 'ok');
      assert.notEqual(lastRequest(framing, '/ok').connection, lastRequest(framing, path).connection);
    });
  }

  test('more bytes than declared: the declared response only, and the connection is not reused', async () => {
    const res = await request(gw.url('/framing/longer'));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'hel');
    await (await request(gw.url('/framing/ok'))).body.text();
    assert.notEqual(lastRequest(framing, '/ok').connection, lastRequest(framing, '/longer').connection);
  });

  test('fewer bytes than declared before close: the client connection is cut, never a short 200', async () => {
    const res = await request(gw.url('/framing/shorter'));
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text());
  });

  test('a streamed body of unknown length is re-framed as chunked', async () => {
    async function* parts() { yield Buffer.from('a'); yield Buffer.from('b'); }
    const res = await request(gw.url('/framing/chunked-upload'), { method: 'POST', body: Readable.from(parts()) });
    assert.equal(await res.body.text(), 'chunked');
  });

  test('the backend closed an idle connection: a GET is sent once more on a fresh one and succeeds', async () => {
    assert.equal(await (await request(gw.url('/idle/first'))).body.text(), 'ok');
    const res = await request(gw.url('/idle/second'));
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'ok');
    const attempts = idle.requests.filter((r) => r.path === '/second');
    assert.equal(attempts.length, 2);
    assert.notEqual(attempts[0].connection, attempts[1].connection);
  });

  test('the same failure on a POST with a body is not retried: 502', async () => {
    const res = await request(gw.url('/idle/post'), { method: 'POST', body: 'payload' });
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_UNREACHABLE');
    await res.body.dump();
    assert.equal(idle.requests.filter((r) => r.path === '/post').length, 1);
  });

  test('connections and queue full: 503 OUTPOST_ERR_UPSTREAM_BUSY at once; the others time out with 504', async () => {
    const holding = request(tight.url('/slow/hang'));
    await new Promise((r) => setTimeout(r, 100));
    const waiting = request(tight.url('/slow/hang'));
    await new Promise((r) => setTimeout(r, 100));
    const busy = await request(tight.url('/slow/hang'));
    assert.equal(busy.statusCode, 503);
    assert.equal(busy.headers['x-outpost-error'], 'OUTPOST_ERR_UPSTREAM_BUSY');
    assert.equal((await busy.body.json() as { statusCode: number }).statusCode, 503);
    for (const pending of [holding, waiting]) {
      const res = await pending;
      assert.equal(res.statusCode, 504);
      assert.equal(res.headers['x-outpost-error'], 'OUTPOST_ERR_BACKEND_TIMEOUT');
      await res.body.dump();
    }
  });

  test('a backend that stalls mid-body past bodyTimeoutMs: the client connection is cut', async () => {
    const res = await request(tight.url('/slow/stall-body'));
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.text());
  });
});
