/**
 * Requests over the HTTPS listener read through the worker's shared read buffer, as plain ones
 * do (src/http1/server/user-buffer-read.ts): the TLS layer hands each decrypted piece to the
 * connection during the call, and the connection copies what outlives it. Raw TLS clients check
 * what that must not change: pipelined requests in one TLS record and a head split over a record
 * per byte are answered in order; a 16 MiB upload to a backend that reads slowly (so the gateway
 * pauses the client's socket, and TLS may still hand over what it had decrypted) reaches the
 * backend byte for byte, as does a chunked one; the connection then still answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';
import { hasOpenssl, TestPki } from '../support/test-pki.js';
import { ResponseReader, type Answer } from '../support/response-reader.js';

const NAME = 'api.example.test';

/** Answers method, path, body size and SHA-256; `/slow/` paths start reading the body only after 300 ms. */
function digestHandler(req: IncomingMessage, res: ServerResponse): void {
  const hash = createHash('sha256');
  let bytes = 0;
  const read = (): void => {
    req.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
    req.resume(); // a stream paused explicitly stays paused when 'data' listeners come
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, bodyBytes: bytes, sha256: hash.digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
  if (req.url?.startsWith('/slow/')) { req.pause(); setTimeout(read, 300); } else read();
}

/** The digest backend's answer, as the test reads it. */
interface Digest { method: string; url: string; bodyBytes: number; sha256: string }
const digestOf = (a: Answer): Digest => JSON.parse(a.body) as Digest;

/** A TLS connection to the gateway, its answers read off the raw stream in order. */
async function openTls(port: number, ca: string): Promise<ResponseReader> {
  const socket = connect({ host: '127.0.0.1', port, servername: NAME, ca });
  await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
  socket.setNoDelay(true);
  return new ResponseReader(socket);
}

const get = (path: string): string => `GET /echo${path} HTTP/1.1\r\nHost: ${NAME}\r\n\r\n`;

describe('HTTPS listener: the shared read buffer', { skip: hasOpenssl ? false : 'the openssl CLI is not installed' }, () => {
  let pki: TestPki;
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    pki = new TestPki('read-path');
    const leaf = pki.issue('api', NAME, [NAME]);
    backend = await startBackend(digestHandler);
    gw = await startGateway(oneApiConfig(backend.url, { tls: { port: 0, certificates: [{ certFile: leaf.certFile, keyFile: leaf.keyFile }] } }));
  });
  after(async () => {
    await gw?.stop();
    await backend?.close();
  });

  test('twenty requests pipelined in one TLS record, then a head sent one byte per record: answered in order', async () => {
    const client = await openTls(gw.httpsPort!, pki.rootPem);
    try {
      client.socket.write(Array.from({ length: 20 }, (_, i) => get(`/pipelined/${i}`)).join(''));
      for (let i = 0; i < 20; i++) {
        const answer = await client.next();
        assert.equal(answer.status, 200);
        assert.equal(digestOf(answer).url, `/pipelined/${i}`);
      }
      const split = Buffer.from(get('/split'));
      for (const byte of split) {
        client.socket.write(Buffer.of(byte));
        await new Promise((r) => setImmediate(r));
      }
      const answer = await client.next();
      assert.equal(answer.status, 200);
      assert.equal(digestOf(answer).url, '/split');
    } finally {
      client.close();
    }
  });

  test('a 16 MiB upload to a backend that reads late, and a chunked one: every byte reaches it in order; the connection still answers', async () => {
    const client = await openTls(gw.httpsPort!, pki.rootPem);
    try {
      const body = randomBytes(16 * 1024 * 1024);
      client.socket.write(`POST /echo/slow/upload HTTP/1.1\r\nHost: ${NAME}\r\nContent-Length: ${body.length}\r\n\r\n`);
      client.socket.write(body);
      const answer = await client.next(false, 30_000);
      assert.equal(answer.status, 200);
      assert.equal(digestOf(answer).bodyBytes, body.length);
      assert.equal(digestOf(answer).sha256, createHash('sha256').update(body).digest('hex'));

      const chunked = randomBytes(4 * 1024 * 1024 + 17);
      let framed = `POST /echo/slow/chunked HTTP/1.1\r\nHost: ${NAME}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      client.socket.write(framed);
      for (let at = 0, size = 1; at < chunked.length; at += size, size = Math.min(size * 3 + 1, 256 * 1024)) {
        const piece = chunked.subarray(at, at + size);
        framed = `${piece.length.toString(16)}\r\n`;
        client.socket.write(framed);
        client.socket.write(piece);
        client.socket.write('\r\n');
      }
      client.socket.write('0\r\n\r\n');
      const second = await client.next(false, 30_000);
      assert.equal(second.status, 200);
      assert.equal(digestOf(second).bodyBytes, chunked.length);
      assert.equal(digestOf(second).sha256, createHash('sha256').update(chunked).digest('hex'));

      client.socket.write(get('/after'));
      assert.equal(digestOf(await client.next()).url, '/after');
    } finally {
      client.close();
    }
  });
});
