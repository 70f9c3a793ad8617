/**
 * outpost-pacer, the bench's open-loop load generator (native/pacer/pacer.c, through
 * bench/pacer.ts), against raw backends written for the test: it sends exactly rate × duration
 * requests, byte for byte as asked; frames Content-Length, chunked and close-delimited responses;
 * counts what a target got wrong; and charges a stall to every request due during it (latency
 * from when a request was due, not from when it was sent), which a closed-loop generator hides.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { pacerBinary, parsePacerOutput, runPacer, type PacerResult } from '../../bench/pacer.js';

const root = resolve(import.meta.dirname, '../../..');
const binary = pacerBinary(root);
const run = promisify(execFile);

interface RawBackend { server: Server; port: number; heads: string[]; connections: number }

/**
 * A backend that collects every request head and answers each with `answer(n, socket)` (n counts
 * requests from 0 across connections); the answer writes its own bytes.
 */
function startBackend(answer: (n: number, socket: Socket) => void): Promise<RawBackend> {
  const backend: RawBackend = { server: createServer(), port: 0, heads: [], connections: 0 };
  backend.server.on('connection', (socket) => {
    backend.connections++;
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      for (let end = seen.indexOf('\r\n\r\n'); end >= 0; end = seen.indexOf('\r\n\r\n')) {
        backend.heads.push(seen.slice(0, end + 4));
        seen = seen.slice(end + 4);
        answer(backend.heads.length - 1, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((done) => backend.server.listen(0, '127.0.0.1', () => {
    backend.port = (backend.server.address() as { port: number }).port;
    done(backend);
  }));
}

const servers: Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function backendFor(answer: (n: number, socket: Socket) => void): Promise<RawBackend> {
  const b = await startBackend(answer);
  servers.push(b.server);
  return b;
}

/** Answers at once, except that from request `atRequest` on, every answer waits until `ms` after that request arrived. */
function stallingBackend(atRequest: number, ms: number): Promise<RawBackend> {
  let stallUntil = 0;
  const held: Array<() => void> = [];
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  return backendFor((n, s) => {
    if (n === atRequest) {
      stallUntil = Date.now() + ms;
      setTimeout(() => { for (const release of held.splice(0)) release(); }, ms);
    }
    if (Date.now() < stallUntil) held.push(() => s.write(ok));
    else s.write(ok);
  });
}

function assertOrderedLatency(r: PacerResult): void {
  const l = r.latencyUs;
  assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p99_9 && l.p99_9 <= l.max, JSON.stringify(l));
}

const noErrors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };

describe('outpost-pacer', () => {
  test('sends exactly rate × (warm-up + duration) requests, as asked, and reports the measured ones', async () => {
    const body = '{"ok":true}';
    const response = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const b = await backendFor((_n, s) => s.write(response));
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/items?q=1`, core: null, rate: 2_000, durationS: 0.5, warmupS: 0.25, connections: 4, headers: { 'X-Key': 'abc' } });
    assert.equal(b.heads.length, 1_500, '500 warm-up + 1,000 measured');
    assert.equal(new Set(b.heads).size, 1);
    assert.equal(b.heads[0], `GET /items?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nX-Key: abc\r\n\r\n`);
    assert.equal(b.connections, 4, 'keep-alive: the connections it opened, no more');
    assert.equal(r.requests, 1_000);
    assert.equal(r.pacer.scheduled, 1_000);
    assert.equal(r.bytesPerResponse, Buffer.byteLength(response), 'bytes of measured responses only');
    assert.deepEqual(r.errors, noErrors);
    assert.equal(r.pacer.reconnects, 0);
    assert.equal(r.pacer.connections, 4);
    // Open-loop: the measured window lasts its 0.5 s whatever the responses did (plus the last one's latency).
    assert.ok(r.durationS >= 0.5 && r.durationS < 0.6, String(r.durationS));
    assertOrderedLatency(r);
  });

  test('frames chunked responses (extensions, trailers) and replaces connections the backend closes', async () => {
    const chunked = (close: boolean) =>
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${close ? 'Connection: close\r\n' : ''}\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n`;
    const b = await backendFor((n, s) => {
      const close = n % 7 === 6;
      s.write(chunked(close));
      if (close) s.end();
    });
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 0.7, connections: 3 });
    assert.equal(b.heads.length, 700);
    assert.equal(r.requests, 700);
    assert.deepEqual(r.errors, noErrors);
    assert.equal(r.pacer.reconnects, 100, 'every 7th response closed its connection');
    assert.equal(b.connections, 103);
  });

  test('reads a close-delimited body to the end of the connection', async () => {
    const b = await backendFor((_n, s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'));
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 500, durationS: 0.2, connections: 4 });
    assert.equal(r.requests, 100);
    assert.deepEqual(r.errors, noErrors);
    assert.equal(r.pacer.reconnects, 100);
    assert.equal(r.bytesPerResponse, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'.length);
  });

  test('counts statuses over 399 as wrk does, and HEAD-less 204/304 without a body', async () => {
    const b = await backendFor((n, s) => s.write(n % 2 === 0 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy' : 'HTTP/1.1 204 No Content\r\n\r\n'));
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 0.2, connections: 2 });
    assert.equal(r.requests, 200);
    assert.deepEqual(r.errors, { ...noErrors, status: 100 });
    assert.equal(r.pacer.reconnects, 0);
  });

  test('a response it cannot frame is a read error, and its connection is replaced', async () => {
    // Conflicting Content-Length on every third response; a bad status line on every fifth.
    const b = await backendFor((n, s) => s.write(
      n % 3 === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'
        : n % 5 === 0 ? 'HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok'
          : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 0.3, connections: 4 });
    const bad = Array.from({ length: 300 }, (_, n) => n % 3 === 0 || n % 5 === 0).filter(Boolean).length;
    assert.equal(b.heads.length, 300);
    assert.equal(r.errors.read, bad);
    assert.equal(r.requests, 300 - bad);
    assert.equal(r.pacer.reconnects, bad);
  });

  test('a stall is charged to every request due during it (no coordinated omission)', async () => {
    // Requests 200.. wait until 250 ms after request 200 arrived; at 1,000 req/s about 250 requests
    // fall due meanwhile, over 8 connections: a closed-loop generator would time only the 8 it sent.
    const b = await stallingBackend(200, 250);
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 1, connections: 8 });
    assert.equal(r.requests, 1_000);
    assert.deepEqual(r.errors, noErrors);
    assert.ok(r.pacer.maxBacklog >= 200, `requests due with no idle connection: ${r.pacer.maxBacklog}`);
    // ~250 of 1,000 requests waited 0-250 ms, spread evenly: the slowest 10% waited over 100 ms.
    assert.ok(r.latencyUs.p90 >= 100_000, `p90 ${r.latencyUs.p90} µs`);
    assert.ok(r.latencyUs.p99 >= 200_000, `p99 ${r.latencyUs.p99} µs`);
    assertOrderedLatency(r);
  });

  test('what happens in the warm-up stays out of the report: a stall there is neither latency nor backlog', async () => {
    // A 200 ms stall at request 50 of a 500-request warm-up: over by ~270 ms, the measured window starts at 500 ms.
    const b = await stallingBackend(50, 200);
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 0.5, warmupS: 0.5, connections: 8 });
    assert.equal(b.heads.length, 1_000);
    assert.equal(r.requests, 500);
    assert.ok(r.pacer.maxBacklog < 50, `backlog ${r.pacer.maxBacklog}`);
    assert.ok(r.latencyUs.max < 100_000, `max ${r.latencyUs.max} µs`);
  });

  test('--timeline-ms: the worst latency of each window of due time, warm-up included, puts a stall where it was', async () => {
    // Requests 300.. wait until 200 ms after request 300 arrived: due 300-500 ms (the warm-up's last
    // 200 ms); nothing else waits. 1.0 s in 100 ms windows: 11 (the last one past the end, empty).
    const b = await stallingBackend(300, 200);
    const before = process.hrtime.bigint();
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 1_000, durationS: 0.5, warmupS: 0.5, connections: 8, timelineMs: 100 });
    const after = process.hrtime.bigint();
    assert.equal(r.requests, 500);
    const t = r.timeline!;
    assert.equal(t.windowMs, 100);
    // Window 0's start on CLOCK_MONOTONIC (process.hrtime's clock, and perf's with -k mono): within the run, ~1 ms after the pacer started.
    assert.ok(BigInt(t.startNs) > before && BigInt(t.startNs) < after - 900_000_000n, `startNs ${t.startNs} not in [${before}, ${after} - 0.9 s]`);
    assert.equal(t.maxUs.length, 11);
    assert.equal(t.maxUs[10], -1, 'no request is due in the window after the run');
    for (const w of [0, 1, 2, 8, 9]) assert.ok(t.maxUs[w] >= 0 && t.maxUs[w] < 50_000, `window ${w}: ${t.maxUs[w]} µs`);
    // Request 300, due at 300 ms, was answered ~200 ms later; the warm-up's stall shows though the report leaves it out.
    assert.ok(t.maxUs[3] >= 150_000, `window 3: ${t.maxUs[3]} µs`);
    assert.ok(r.latencyUs.max < t.maxUs[3], 'the measured report starts after the warm-up');
  });

  test('a connection whose reconnect is refused is tried again, not dropped: the run goes on once the target listens again', async () => {
    // At request 20 the backend answers, closes both (idle) connections and stops listening for
    // 300 ms: the pacer finds each connection closed while idle and cannot open it again.
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const sockets = new Set<Socket>();
    const b = await backendFor((n, s) => {
      sockets.add(s);
      s.write(ok);
      if (n === 20) {
        b.server.close();
        for (const open of sockets) open.end();
        setTimeout(() => b.server.listen(b.port, '127.0.0.1'), 300);
      }
    });
    const r = await runPacer({ binary, url: `http://127.0.0.1:${b.port}/`, core: null, rate: 100, durationS: 1, connections: 2 });
    assert.ok(r.errors.connect > 0, 'connects were refused while the backend was down');
    assert.deepEqual(r.errors, { ...noErrors, connect: r.errors.connect });
    assert.equal(r.requests, 100, 'every request was answered once the backend listened again');
    assert.equal(b.heads.length, 100);
  });

  test('a target that stops answering: each measured request counts once as a timeout, and the pacer ends', async () => {
    const b = await backendFor(() => undefined);
    // Asynchronously: the backend lives in this process, and spawnSync would stop it reading.
    const { stdout } = await run(binary, ['--rate', '200', '--duration', '0.5', '--connections', '4', '--timeout-ms', '300', `http://127.0.0.1:${b.port}/`], { timeout: 20_000 });
    const report = parsePacerOutput(stdout);
    assert.equal(report.requests, 0);
    assert.equal(report.pacer.scheduled, 100);
    assert.deepEqual(report.errors, { ...noErrors, timeout: 100 });
    assert.ok(report.pacer.reconnects >= 4, 'each timed-out connection was replaced');
    // It stops 300 ms after the last request was due (0.8 s in): the first four, and four more per
    // 300-400 ms of timeouts; sending on until every request had timed out took 100 requests and ~8 s.
    assert.ok(b.heads.length >= 8 && b.heads.length <= 16, `requests the backend got: ${b.heads.length}`);
  });

  test('bad arguments exit with code 2 and name the option; a closed port exits with code 1', async () => {
    const runSync = (...args: string[]) => spawnSync(binary, args, { encoding: 'utf8' });
    const rate = runSync('--rate', 'fast', '--duration', '1', 'http://127.0.0.1:1/');
    assert.equal(rate.status, 2);
    assert.match(rate.stderr, /--rate must be a number from 1 to .*got 'fast'/);
    const header = runSync('--rate', '10', '--duration', '1', '--header', 'no colon', 'http://127.0.0.1:1/');
    assert.equal(header.status, 2);
    assert.match(header.stderr, /--header must be 'Name: value'/);
    const timeline = runSync('--rate', '10', '--duration', '1', '--timeline-ms', '0', 'http://127.0.0.1:1/');
    assert.equal(timeline.status, 2);
    assert.match(timeline.stderr, /--timeline-ms must be a number from 1 to 60000, got '0'/);
    const windows = runSync('--rate', '10', '--duration', '3600', '--timeline-ms', '1', 'http://127.0.0.1:1/');
    assert.equal(windows.status, 2);
    assert.match(windows.stderr, /over 1,000,000 windows/);
    const tls = runSync('--rate', '10', '--duration', '1', 'https://127.0.0.1:1/');
    assert.equal(tls.status, 2);
    assert.match(tls.stderr, /http:\/\//);
    const closed = await backendFor(() => undefined);
    const port = closed.port;
    await new Promise<void>((done) => closed.server.close(() => done()));
    const refused = runSync('--rate', '10', '--duration', '0.1', '--connections', '2', `http://127.0.0.1:${port}/`);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /cannot connect/);
    assert.equal(refused.stdout, '');
  });
});
