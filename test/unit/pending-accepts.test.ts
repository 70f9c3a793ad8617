/**
 * A burst of connections that waited in a listener's accept queue is accepted in one event-loop
 * iteration (src/http1/server/pending-accepts.ts), not one per iteration as libuv >= 1.45 does:
 * on the front end's own server (each request answered), on a plain net.Server and on a
 * tls.Server (each handshake completes over an adopted socket).
 *
 * The burst is made deterministic: a child process connects N sockets while this thread's event
 * loop is held (a synchronous wait for the child's "all connected" file), so all N sit in the
 * accept queue when the loop resumes. An immediate re-armed every iteration numbers the
 * iterations; each accept records the number it ran in. Before the change: N distinct numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { nativeAddon } from '../../src/gateway/native.js';
import { Http1Server } from '../../src/http1/server/http1-server.js';
import { acceptPendingOn } from '../../src/http1/server/pending-accepts.js';
import { hasOpenssl, TestPki } from '../support/test-pki.js';
import { testTempDir } from '../support/temp-dir.js';

const addon = nativeAddon();
const N = 60;

/**
 * The client: connects `count` sockets, writes `ready` once all are connected, then (tls: after a
 * handshake each) sends one GET per socket and prints how many complete 200 responses came back.
 */
const CLIENT = `
const net = require('node:net'), tls = require('node:tls'), fs = require('node:fs');
const [port, count, ready, mode] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3], process.argv[4]];
const sockets = [];
let answered = 0, settled = 0;
const done = () => { if (++settled === count) { process.stdout.write(String(answered)); process.exit(0); } };
for (let i = 0; i < count; i++) {
  const s = net.connect(port, '127.0.0.1', () => {
    sockets.push(s);
    if (sockets.length < count) return;
    fs.writeFileSync(ready, 'ok');
    for (const raw of sockets) {
      const io = mode === 'tls' ? tls.connect({ socket: raw, rejectUnauthorized: false }) : raw;
      let got = '';
      io.on('data', (d) => { got += d; if (/^HTTP\\/1\\.1 200 /.test(got) && got.endsWith('ok')) { answered++; io.destroy(); done(); } });
      io.on('error', () => {});
      io.on('close', () => { if (!got.endsWith('ok')) done(); });
      io.write('GET /x HTTP/1.1\\r\\nHost: t\\r\\nContent-Length: 0\\r\\n\\r\\n');
    }
  });
  s.on('error', () => {});
}
setTimeout(() => { process.stdout.write(String(answered)); process.exit(1); }, 20000).unref();
`;

interface Burst { accepted: number; iterations: number; answered: number }

/**
 * Holds this thread until the child's N sockets are all connected (queued, not accepted), then
 * lets the loop run and notes the iteration of every connection `server` takes.
 */
async function burst(server: Server, mode: 'plain' | 'tls'): Promise<Burst> {
  const port = (server.address() as AddressInfo).port;
  const ready = join(testTempDir('outpost-accept-'), 'ready');
  let iteration = 0;
  let immediate: NodeJS.Immediate | null = null;
  const tick = (): void => { iteration++; immediate = setImmediate(tick); };
  const acceptedAt: number[] = [];
  const onConnection = (): void => { acceptedAt.push(iteration); };
  const child: ChildProcess = spawn(process.execPath, ['-e', CLIENT, String(port), String(N), ready, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  // Synchronous: the event loop (and so every accept) waits until the child says all N connected.
  const deadline = Date.now() + 20_000;
  while (!existsSync(ready) && Date.now() < deadline) execFileSync('sleep', ['0.02']);
  assert.equal(readFileSync(ready, 'utf8'), 'ok', 'the client connected its sockets');
  server.on('connection', onConnection);
  tick();
  const [code] = await once(child, 'exit');
  if (immediate !== null) clearImmediate(immediate);
  server.off('connection', onConnection);
  assert.equal(code, 0, `the client finished (answered: ${out})`);
  return { accepted: acceptedAt.length, iterations: new Set(acceptedAt).size, answered: Number(out) };
}

test('the front end accepts a burst of queued connections in one iteration and answers each', { skip: addon === null && 'native addon not built' }, async () => {
  const http = new Http1Server((res) => { res.writeStatus('200 OK').writeHeader('content-type', 'text/plain').end('ok'); });
  http.server.listen(0, '127.0.0.1');
  await once(http.server, 'listening');
  try {
    const r = await burst(http.server, 'plain');
    assert.equal(r.accepted, N, 'every connection was accepted once');
    assert.equal(r.answered, N, 'every request was answered 200');
    // libuv alone: one accept per iteration, N iterations.
    assert.ok(r.iterations <= 2, `accepted over ${r.iterations} iterations`);
  } finally {
    http.close();
  }
});

test('a tls.Server: the adopted sockets complete their handshakes', { skip: (addon === null && 'native addon not built') || (!hasOpenssl && 'openssl not installed') }, async () => {
  const pki = new TestPki('accept');
  const leaf = pki.issue('server', 'localhost', ['localhost']);
  const server = createTlsServer({ cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) }, (socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  });
  assert.equal(acceptPendingOn(server), true);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const r = await burst(server, 'tls');
    assert.equal(r.accepted, N);
    assert.equal(r.answered, N, 'every handshake and request completed');
    assert.ok(r.iterations <= 2, `accepted over ${r.iterations} iterations`);
  } finally {
    server.close();
  }
});

test('without the batch (a plain net.Server as Node makes it) libuv accepts one connection per iteration', async () => {
  // The control: what the two tests above would see without acceptPendingOn. If a Node version
  // accepts the whole queue again, this fails and pending-accepts.ts can go.
  const server = createServer((socket) => { socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const r = await burst(server, 'plain');
    assert.equal(r.answered, N);
    assert.ok(r.iterations > N / 2, `accepted over ${r.iterations} iterations`);
  } finally {
    server.close();
  }
});

test('acceptPending: bad arguments throw; an fd with nothing queued gives 0', { skip: addon === null && 'native addon not built' }, async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    assert.equal(addon!.acceptPending(fd, new Int32Array(4)), 0);
    assert.throws(() => addon!.acceptPending(-1, new Int32Array(4)), RangeError);
    assert.throws(() => (addon!.acceptPending as (a: unknown, b: unknown) => number)(fd, [1, 2]), TypeError);
  } finally {
    server.close();
  }
});
