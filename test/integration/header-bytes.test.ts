/**
 * Non-ASCII header bytes end to end, on raw sockets. Header text is latin1 throughout (one
 * character per byte: the client's request headers, what policies read and set, what the
 * response writer sends), so a backend's bytes reach the client unchanged with or without an
 * outbound section, and a policy copying a value copies its bytes. Before, policy exchanges
 * decoded the backend's values as UTF-8 and the writer sent latin1: `café` (C3 A9) went out as
 * E9 through any outbound section, and a byte that is not UTF-8 became U+FFFD, sent as FD.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';

const CAFE = Buffer.from('café', 'utf8'); // 63 61 66 C3 A9
const EURO = Buffer.from('5 €', 'utf8'); // 35 20 E2 82 AC
/** Latin1 bytes that are not UTF-8 (a lone E9), as older backends send. */
const LATIN1 = Buffer.from('né', 'latin1'); // 6E E9

/** A backend that answers every request with the same head, its header values written as raw UTF-8 bytes. */
function startRawBackend(): Promise<{ server: Server; url: string }> {
  const answer = Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Name: ', 'latin1'), CAFE,
    Buffer.from('\r\nX-Price: ', 'latin1'), EURO, Buffer.from('\r\nX-Old: ', 'latin1'), LATIN1, Buffer.from('\r\n\r\nok', 'latin1'),
  ]);
  const server = createServer((socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        socket.write(answer);
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${address.port}` });
  }));
}

/** One request with Connection: close; the whole answer as bytes. */
function exchange(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close; got ${Buffer.concat(chunks).toString('latin1')}`)); }, 5000);
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

/** The bytes of header `name`'s value in a raw answer (names matched without case), or null. */
function headerBytes(answer: Buffer, name: string): Buffer | null {
  const headEnd = answer.indexOf('\r\n\r\n');
  let at = answer.indexOf('\r\n') + 2;
  while (at < headEnd) {
    const end = answer.indexOf('\r\n', at);
    const colon = answer.indexOf(':', at);
    if (answer.toString('latin1', at, colon).toLowerCase() === name) return answer.subarray(colon + 2, end);
    at = end + 2;
  }
  return null;
}

describe('non-ASCII header values', () => {
  let backend: { server: Server; url: string };
  let gw: GatewayProcess;
  before(async () => {
    backend = await startRawBackend();
    gw = await startGateway({
      gateway: { drainTimeoutSeconds: 5 },
      apis: [{
        id: 'bytes', name: 'Bytes', path: 'bytes', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'plain', method: 'GET', urlTemplate: '/plain' },
          {
            id: 'outbound', method: 'GET', urlTemplate: '/outbound',
            policies: `<policies><inbound><base /></inbound><backend><base /></backend><outbound><base />
              <set-header name="x-copy" exists-action="override"><value>@(context.Response.Headers.GetValueOrDefault("x-name",""))</value></set-header>
              <set-header name="x-length" exists-action="override"><value>@(context.Response.Headers.GetValueOrDefault("x-name","").Length.ToString())</value></set-header>
              <set-header name="x-set" exists-action="override"><value>déjà</value></set-header>
            </outbound><on-error><base /></on-error></policies>`,
          },
          {
            id: 'answered', method: 'GET', urlTemplate: '/answered',
            policies: '<policies><inbound><return-response><set-status code="200" reason="OK" /><set-header name="x-set" exists-action="override"><value>déjà</value></set-header><set-body>here</set-body></return-response></inbound></policies>',
          },
        ],
      }],
    }, { workers: 1 });
  });
  after(async () => {
    await gw?.stop();
    backend?.server.close();
  });

  /** A 200 carrying the backend's three fields byte for byte (UTF-8, a euro sign, latin1). */
  function assertBackendBytes(answer: Buffer): void {
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 200 /);
    assert.deepEqual(headerBytes(answer, 'x-name'), CAFE);
    assert.deepEqual(headerBytes(answer, 'x-price'), EURO);
    assert.deepEqual(headerBytes(answer, 'x-old'), LATIN1);
  }

  test('without policies the backend\'s bytes go through unchanged', async () => {
    assertBackendBytes(await exchange(gw.port, '/bytes/plain'));
  });

  test('through an outbound section the backend\'s bytes are unchanged, and a policy copying a value copies its bytes', async () => {
    const answer = await exchange(gw.port, '/bytes/outbound');
    assertBackendBytes(answer);
    assert.deepEqual(headerBytes(answer, 'x-copy'), CAFE);
    // One character per byte: policies read header text as latin1, as .NET's HttpClient does by default.
    assert.equal(headerBytes(answer, 'x-length')?.toString('latin1'), String(CAFE.length));
    assert.deepEqual(headerBytes(answer, 'x-set'), Buffer.from('déjà', 'latin1'));
  });

  test('a response a policy builds sends its header text as latin1 bytes', async () => {
    const answer = await exchange(gw.port, '/bytes/answered');
    assert.match(answer.toString('latin1'), /^HTTP\/1\.1 200 /);
    assert.deepEqual(headerBytes(answer, 'x-set'), Buffer.from('déjà', 'latin1'));
    assert.ok(answer.toString('latin1').endsWith('\r\n\r\nhere'));
  });
});
