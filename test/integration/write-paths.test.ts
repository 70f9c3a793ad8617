/**
 * The worker's two ways of writing (src/shared/iteration-writes.ts): staged writes sent by the
 * native addon at the end of each event-loop iteration, and, without the addon
 * (OUTPOST_NATIVE=off), corked Node stream writes. Both gateways get the same exchanges on raw
 * sockets and must answer byte for byte the same: pipelined requests in order, request bodies
 * above and below the staging limit, a 100 KB response, a chunked response written in pieces, and
 * `Expect: 100-continue`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startGateway, oneApiConfig, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, echoHandler, type TestBackend } from '../support/backends.js';
import { rawUntilClose } from '../support/raw-http.js';
import { MAX_STAGED_WRITE } from '../../src/shared/iteration-writes.js';

const BIG = Buffer.alloc(100_000);
for (let i = 0; i < BIG.length; i++) BIG[i] = 0x61 + (i % 26);

function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
    res.end(BIG);
  } else if (req.url === '/chunked') {
    res.writeHead(200, { 'content-type': 'text/plain' }); // no length: node:http sends chunked
    res.write('one-');
    setTimeout(() => { res.write('two-'); setTimeout(() => res.end('three'), 20); }, 20);
  } else {
    echoHandler(req, res);
  }
}

interface Parsed { status: number; head: string; body: Buffer }

/** The responses in `bytes`, in order: interim ones skipped, Content-Length and chunked bodies decoded. */
function responses(bytes: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    assert.ok(end > 0, 'a complete head');
    const head = bytes.subarray(at, end).toString('latin1');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)![1]);
    at = end + 4;
    if (status < 200) continue;
    const length = /\r\ncontent-length: (\d+)/i.exec(head);
    if (length !== null) {
      out.push({ status, head, body: bytes.subarray(at, at + Number(length[1])) });
      at += Number(length[1]);
      continue;
    }
    assert.match(head, /\r\ntransfer-encoding: chunked/i);
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
      const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
      at = lineEnd + 2;
      if (size === 0) { at += 2; break; }
      parts.push(bytes.subarray(at, at + size));
      at += size + 2;
    }
    out.push({ status, head, body: Buffer.concat(parts) });
  }
  return out;
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

describe('write paths: staged (addon) and corked streams (OUTPOST_NATIVE=off) answer alike', () => {
  let backend: TestBackend;
  const gateways: Array<[string, GatewayProcess]> = [];

  before(async () => {
    backend = await startBackend(handler);
    gateways.push(['staged', await startGateway(oneApiConfig(backend.url), { workers: 1 })]);
    gateways.push(['streams', await startGateway(oneApiConfig(backend.url), { workers: 1, env: { OUTPOST_NATIVE: 'off' } })]);
  });
  after(async () => {
    for (const [, gw] of gateways) await gw.stop();
    await backend?.close();
  });

  test('the two gateways really take the two paths', () => {
    const [staged, streams] = gateways.map(([, gw]) => gw.logs.filter((l) => l.msg === 'native addon not loaded: systemd notify and CPU pinning are off').length);
    assert.equal(staged, 0);
    assert.equal(streams, 1);
  });

  test('pipelined GETs, a large response and a chunked one, in order, byte for byte', async () => {
    for (const [name, gw] of gateways) {
      const session = await rawUntilClose(gw.port, GET('/echo/p1') + GET('/echo/big') + GET('/echo/chunked') + GET('/echo/p4', 'Connection: close\r\n'), 8000);
      assert.equal(session.closed, true, name);
      const got = responses(Buffer.from(session.text, 'latin1'));
      assert.deepEqual(got.map((r) => r.status), [200, 200, 200, 200], name);
      assert.equal((JSON.parse(got[0].body.toString()) as { url: string }).url, '/p1', name);
      assert.ok(got[1].body.equals(BIG), `${name}: the 100 KB body arrives whole`);
      assert.equal(got[2].body.toString(), 'one-two-three', name);
      assert.equal((JSON.parse(got[3].body.toString()) as { url: string }).url, '/p4', name);
    }
  });

  test('request bodies below and above the staging limit reach the backend whole, each followed by a pipelined GET', async () => {
    for (const [name, gw] of gateways) {
      for (const size of [100, MAX_STAGED_WRITE + 1000, 64 * 1024]) {
        const body = Buffer.alloc(size, 0x78);
        const head = `POST /echo/body HTTP/1.1\r\nHost: t\r\nContent-Length: ${size}\r\n\r\n`;
        const session = await rawUntilClose(gw.port, [Buffer.concat([Buffer.from(head), body, Buffer.from(GET('/echo/next', 'Connection: close\r\n'))])], 8000);
        const got = responses(Buffer.from(session.text, 'latin1'));
        assert.deepEqual(got.map((r) => r.status), [200, 200], `${name} ${size}`);
        assert.equal((JSON.parse(got[0].body.toString()) as { bodyBytes: number }).bodyBytes, size, `${name} ${size}`);
        assert.equal((JSON.parse(got[1].body.toString()) as { url: string }).url, '/next', `${name} ${size}`);
      }
    }
  });

  test('Expect: 100-continue: the interim answer, then the final one with the body read whole', async () => {
    for (const [name, gw] of gateways) {
      const head = 'POST /echo/cont HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n';
      const session = await rawUntilClose(gw.port, [head, 'hello'], 8000, 300);
      assert.match(session.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, name);
      const got = responses(Buffer.from(session.text, 'latin1'));
      assert.equal((JSON.parse(got[0].body.toString()) as { bodyBytes: number }).bodyBytes, 5, name);
    }
  });
});
