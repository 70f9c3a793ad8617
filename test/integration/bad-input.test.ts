/**
 * Malformed and hostile requests: each gets a coded 4xx/5xx and a closed connection, none
 * reaches the backend, and no input crashes a worker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { rawRequest, rawUntilClose } from '../support/raw-http.js';

describe('bad input', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend(echoHandler);
    gw = await startGateway(oneApiConfig(backend.url, { maxHeaderBytes: 8192, maxBodyBytes: 1000 }), { workers: 2 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const backendCount = () => backend.seen.length;

  test('headers over maxHeaderBytes get 431; just under passes', async () => {
    const before = backendCount();
    const big = await request(gw.url('/echo/x'), { headers: { 'x-big': 'a'.repeat(9000) } });
    assert.equal(big.statusCode, 431);
    assert.equal(big.headers['x-outpost-error'], 'OUTPOST_ERR_HEADERS_TOO_LARGE');
    assert.deepEqual(await big.body.json(), { statusCode: 431, message: 'Request header fields too large' });
    assert.equal(backendCount(), before);
    const fits = await request(gw.url('/echo/x'), { headers: { 'x-big': 'a'.repeat(7000) } });
    assert.equal(fits.statusCode, 200);
    await fits.body.dump();
  });

  test('a head that arrives in pieces is reassembled up to maxHeaderBytes', async () => {
    const head = `GET /echo/x HTTP/1.1\r\nHost: t\r\nX-Big: ${'b'.repeat(7000)}\r\n\r\n`;
    const res = await rawRequest(gw.port, Buffer.from(head), 1500, 50);
    assert.equal(res.status, 200);
  });

  test('bad percent-encoding gets 400', async () => {
    for (const path of ['/echo/%zz', '/echo/a%', '/echo/%ff%fe']) {
      const res = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
      assert.equal(res.status, 400, path);
      assert.match(res.text, /OUTPOST_ERR_BAD_PATH_ENCODING/);
    }
  });

  test('dot segments are resolved before matching and cannot escape into another prefix', async () => {
    const before = backendCount();
    for (const path of ['/echo/../admin', '/echo/%2e%2e/admin', '/echo/%2E%2E/%2e%2e/admin', '/echo/./../admin']) {
      const res = await rawRequest(gw.port, `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
      assert.equal(res.status, 404, path);
    }
    assert.equal(backendCount(), before);
    const inside = await rawRequest(gw.port, 'GET /echo/a/../b HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.equal(inside.status, 200);
    assert.equal(backend.seen.at(-1)!.url, '/b');
  });

  test('duplicate Content-Length gets 400 and the connection closes', async () => {
    const before = backendCount();
    for (const cl of ['Content-Length: 3\r\nContent-Length: 3', 'Content-Length: 3\r\nContent-Length: 4']) {
      const res = await rawUntilClose(gw.port, `POST /echo/x HTTP/1.1\r\nHost: t\r\n${cl}\r\n\r\nabcd`);
      assert.deepEqual(res.statuses, [400], cl);
      assert.match(res.text, /OUTPOST_ERR_BAD_REQUEST_FRAMING/);
      assert.match(res.text, /\r\nConnection: close\r\n/i);
      assert.equal(res.closed, true);
    }
    for (const cl of ['-1', '3, 3', '0x3']) {
      const refused = await rawUntilClose(gw.port, `POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: ${cl}\r\n\r\nabcd`);
      assert.deepEqual(refused.statuses, [400], cl);
      assert.match(refused.text, /OUTPOST_ERR_BAD_REQUEST_FRAMING/);
      assert.equal(refused.closed, true);
    }
    assert.equal(backendCount(), before);
  });

  test('Content-Length together with Transfer-Encoding never reaches the backend', async () => {
    const before = backendCount();
    const res = await rawUntilClose(gw.port, 'POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.deepEqual(res.statuses, [400], res.text);
    assert.equal(res.closed, true);
    assert.equal(backendCount(), before);
  });

  test('bodies over maxBodyBytes get 413: declared up front, or counted while streaming', async () => {
    const declared = await request(gw.url('/echo/x'), { method: 'POST', body: 'x'.repeat(1001) });
    assert.equal(declared.statusCode, 413);
    assert.equal(declared.headers['x-outpost-error'], 'OUTPOST_ERR_BODY_TOO_LARGE');
    await declared.body.dump();
    const chunked = await rawRequest(gw.port, `POST /echo/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${'y'.repeat(1000)}\r\n3e8\r\n${'y'.repeat(1000)}\r\n0\r\n\r\n`);
    assert.equal(chunked.status, 413);
    const ok = await request(gw.url('/echo/x'), { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(ok.statusCode, 200);
    assert.equal((await ok.body.json() as { bodyBytes: number }).bodyBytes, 1000);
  });

  test('garbage on the socket does not hurt the workers', async () => {
    const junk = [
      'GARBAGE\r\n\r\n', '\x00\x01\x02\x03\r\n\r\n', 'GET /echo/x HTTP/9.9\r\n\r\n', `GET /${'a/'.repeat(200)} HTTP/1.1\r\nHost: t\r\n\r\n`,
      'GET /echo/x HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n', 'POST /echo/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ];
    for (const payload of junk) {
      const res = await rawUntilClose(gw.port, payload, 1500);
      // Every one is answered (HTTP/9.9 is well-formed: 505), then the connection closes
      // (a well-formed request for no route, the many-segment path, is a plain keep-alive 404).
      const status = res.statuses[0];
      assert.ok(res.statuses.length === 1 && ((status >= 400 && status < 500) || status === 505), `${JSON.stringify(payload)} → ${res.statuses}`);
      if (status !== 404) assert.equal(res.closed, true, JSON.stringify(payload));
    }
    for (let i = 0; i < 4; i++) {
      const res = await request(gw.url('/echo/still-alive'));
      assert.equal(res.statusCode, 200);
      await res.body.dump();
    }
    assert.equal(gw.logs.filter((l) => l.msg === 'worker exited unexpectedly; starting a replacement').length, 0);
  });

  test('the APIM health probe paths answer on the API port', async () => {
    for (const path of ['/status-0123456789abcdef', '/internal-status-0123456789abcdef']) {
      const res = await request(gw.url(path));
      assert.equal(res.statusCode, 200);
      assert.equal((await res.body.json() as { status: string }).status, 'healthy');
    }
  });
});
