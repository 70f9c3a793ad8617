/**
 * gateway.upstream.connectBackoffMs (src/gateway/upstream/connect-backoff.ts): an origin that
 * accepts no connections costs one connect attempt a period, not one a request. Real sockets on
 * loopback: a port nobody listens on refuses at once; `connectionCount` is how many sockets the
 * pool holds, so a request that tried to connect shows there the moment it is dispatched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamPool, type UpstreamSettings } from '../../src/gateway/upstream/upstream-pool.js';
import type { UpstreamHandler } from '../../src/gateway/upstream/upstream-types.js';
import { backendErrorCode } from '../../src/gateway/upstream/backend-errors.js';
import { hasOpenssl, TestPki } from '../support/test-pki.js';
import { freePort } from '../support/free-port.js';

// Long enough that the requests a test sends "within the period" are within it on a slow, busy host.
const PERIOD_MS = 1_000;
const SETTINGS: UpstreamSettings = {
  connections: 8, connectTimeoutMs: 2_000, headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000, keepAliveTimeoutMs: 2_000, queueLimit: 16, connectBackoffMs: PERIOD_MS,
};
const GET = { path: '/items/1', method: 'GET', headers: ['host', 'backend'], body: null };

interface Outcome { status: number; error: Error | null; body: string }

/** Dispatches a GET; `settled` is true once it ended, and `done` resolves with how. */
function send(pool: UpstreamPool): { done: Promise<Outcome>; settled: () => boolean } {
  let ended = false;
  let status = 0;
  let body = '';
  let resolve!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => { resolve = r; });
  const handler: UpstreamHandler = {
    borrowsBody: false,
    onConnect: () => {},
    onHeaders: (code) => { status = code; return true; },
    onData: (chunk) => { body += chunk.toString(); return true; },
    onComplete: () => { ended = true; resolve({ status, error: null, body }); },
    onError: (err) => { ended = true; resolve({ status, error: err, body }); },
  };
  pool.dispatch(GET, handler);
  return { done, settled: () => ended };
}

/** A backend answering every request 200 "ok" on keep-alive; `delayMs` holds each answer back. */
async function backend(port = 0, delayMs = 0): Promise<Server> {
  const s = createServer((socket) => {
    socket.on('data', () => {
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), delayMs);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return s;
}

test('a refused origin: the first request tries; the others fail at once, with its code, without a socket, until the period ends', async () => {
  const port = await freePort();
  const pool = new UpstreamPool(`http://127.0.0.1:${port}`, SETTINGS);
  try {
    const first = await send(pool).done;
    assert.equal(first.error && backendErrorCode(first.error), 'OUTPOST_ERR_BACKEND_UNREACHABLE');
    for (let i = 0; i < 50; i++) {
      const r = send(pool);
      assert.ok(r.settled(), `request ${i} failed during dispatch`);
      const { error } = await r.done;
      assert.equal(error && backendErrorCode(error), 'OUTPOST_ERR_BACKEND_UNREACHABLE');
      assert.match(error!.message, /ECONNREFUSED; the origin is tried again at most every 1000 ms/);
    }
    assert.equal(pool.connectionCount, 0, 'no socket was opened for them');

    await sleep(PERIOD_MS + 100);
    const probe = send(pool);
    assert.equal(pool.connectionCount, 1, 'after the period, one request tries to connect');
    const meanwhile = send(pool);
    assert.ok(meanwhile.settled(), 'the others keep failing at once while it connects');
    assert.equal(pool.connectionCount, 1);
    assert.equal(backendErrorCode((await probe.done).error!), 'OUTPOST_ERR_BACKEND_UNREACHABLE');
  } finally {
    await pool.destroy();
  }
});

test('the origin comes back: the first request after the period connects, and the pool is up again', async () => {
  const port = await freePort();
  const pool = new UpstreamPool(`http://127.0.0.1:${port}`, SETTINGS);
  let server: Server | null = null;
  try {
    assert.ok((await send(pool).done).error);
    server = await backend(port);
    assert.ok(send(pool).settled(), 'still within the period: failed at once');
    await sleep(PERIOD_MS + 100);
    const back = await send(pool).done;
    assert.deepEqual([back.error, back.status, back.body], [null, 200, 'ok']);
    // Up: concurrent requests open connections of their own again.
    const many = [send(pool), send(pool), send(pool)];
    assert.equal(pool.connectionCount, 3, 'one idle connection reused, two new ones');
    for (const r of many) assert.deepEqual((await r.done).status, 200);
  } finally {
    await pool.destroy();
    server?.close();
  }
});

test('connectBackoffMs 0: every request tries to connect, as before', async () => {
  const port = await freePort();
  const pool = new UpstreamPool(`http://127.0.0.1:${port}`, { ...SETTINGS, connectBackoffMs: 0 });
  try {
    assert.ok((await send(pool).done).error);
    const tries = [send(pool), send(pool), send(pool)];
    assert.equal(pool.connectionCount, 3);
    for (const r of tries) assert.match((await r.done).error!.message, /ECONNREFUSED/);
  } finally {
    await pool.destroy();
  }
});

test('requests waiting for a connection fail with the origin, instead of each trying a connect of its own', async () => {
  const port = await freePort();
  const pool = new UpstreamPool(`http://127.0.0.1:${port}`, { ...SETTINGS, connections: 1 });
  try {
    const requests = [send(pool), send(pool), send(pool)];
    assert.equal(pool.connectionCount, 1);
    assert.equal(pool.queued, 2);
    const outcomes = await Promise.all(requests.map((r) => r.done));
    assert.match(outcomes[0].error!.message, /ECONNREFUSED/);
    for (const o of outcomes.slice(1)) assert.match(o.error!.message, /tried again at most every/, 'the waiters got the origin\'s error, not a refused connect of their own');
    assert.equal(pool.connectionCount, 0);
    assert.equal(pool.queued, 0);
  } finally {
    await pool.destroy();
  }
});

test('an open connection keeps the pool up: a refused connect beside it fails only its own request', async () => {
  const server = await backend(0, 400);
  const { port } = server.address() as AddressInfo;
  const pool = new UpstreamPool(`http://127.0.0.1:${port}`, SETTINGS);
  try {
    const slow = send(pool);
    await sleep(100); // connected, its answer held back
    server.close(); // stops listening at once; the open connection stays
    await sleep(20);
    const refused = await send(pool).done;
    assert.match(refused.error!.message, /ECONNREFUSED/);
    const again = send(pool);
    assert.ok(!again.settled(), 'not failed at once: the origin has an open connection');
    assert.equal(pool.connectionCount, 2, 'it tries a connection of its own');
    assert.match((await again.done).error!.message, /ECONNREFUSED/);
    assert.deepEqual([(await slow.done).status, (await slow.done).body], [200, 'ok']);
  } finally {
    await pool.destroy();
    server.close();
  }
});

test('a TLS failure is not an outage: each request keeps its own OUTPOST_ERR_BACKEND_TLS', { skip: !hasOpenssl && 'needs the openssl CLI' }, async () => {
  const pki = new TestPki('backoff');
  const leaf = pki.issue('backend', 'backend', ['localhost'], ['127.0.0.1']);
  const server = createTlsServer({ cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) }, (s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  // No trust in the test root: every handshake fails certificate verification.
  const pool = new UpstreamPool(`https://127.0.0.1:${port}`, SETTINGS);
  try {
    for (let i = 0; i < 3; i++) {
      const r = send(pool);
      assert.ok(!r.settled(), `request ${i} tried its own handshake`);
      assert.equal(backendErrorCode((await r.done).error!), 'OUTPOST_ERR_BACKEND_TLS');
    }
  } finally {
    await pool.destroy();
    server.close();
  }
});
