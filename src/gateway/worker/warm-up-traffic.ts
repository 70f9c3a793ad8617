/**
 * Both ends of a worker's warm-up traffic (warm-up.ts), on loopback inside the worker: a backend
 * that answers every request 200 with a small JSON body, and keep-alive clients that send requests
 * one at a time per connection, as a load balancer's connections do. Neither is a general HTTP
 * implementation: each reads only what the gateway sends it, and anything else stops the warm-up
 * (it is an optimisation; the worker starts all the same).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { WARM_UP_PREFIX } from '../../shared/protocol.js';

/**
 * Bodies of a few lengths: a response's Content-Length line is rebuilt when the length changes,
 * a path the first real answers would otherwise be the first to take.
 */
const BODIES = ['{"id":123,"name":"warm-up item","ok":true}', '{"id":7,"ok":true}', `{"id":8,"items":[${'1,'.repeat(60)}1]}`];
/**
 * The backend's answers, in turn: the fields a typical backend sends (nginx's among them). What
 * the first real requests bring that the warm-up never showed V8 (another header, a Host with a
 * port) deoptimizes the code it reaches, which then recompiles under load: the warm-up shows it
 * the common shapes. Only the most common ones, though: each shape it adds makes the optimized
 * code more general for every request after. With POSTs and chunked answers as well, plain GETs
 * cost 0.68 µs more a request for good (bench:ab, 12 windows [-0.30 to 1.70]); without them 0.32
 * [-0.74 to 1.14] (bench/HISTORY.md, 2026-12-07). Request bodies and chunked answers take code paths
 * of their own, compiled on first use.
 */
const ANSWERS = Array.from({ length: 12 }, (_, i) => {
  const body = BODIES[i % BODIES.length]!;
  const fields = 'HTTP/1.1 200 OK\r\nServer: warm-up\r\nDate: Mon, 07 Dec 2026 00:00:00 GMT\r\nContent-Type: application/json\r\n';
  return Buffer.from(`${fields}Content-Length: ${body.length}\r\n${i % 4 === 1 ? '' : 'Connection: keep-alive\r\n'}\r\n${body}`, 'latin1');
});
/** GETs with and without a query and a few more fields. */
function requests(port: number): Buffer[] {
  // Host forms clients send: an address with the port, a name with it, a name alone.
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, 'warm-up.outpost.local'];
  return Array.from({ length: 24 }, (_, i) => {
    const host = hosts[i % hosts.length];
    const query = i % 2 === 0 ? '' : `?page=${i}&size=10`;
    // Nine fields in all, as browsers and SDKs send (and more than gateway.maxHeaderCount's floor of 8).
    const more = i % 3 === 0 ? 'Accept-Encoding: gzip, deflate\r\nAccept-Language: en\r\nCache-Control: no-cache\r\nConnection: keep-alive\r\nX-Forwarded-For: 192.0.2.1\r\nX-Request-Id: warm-up\r\n' : '';
    return Buffer.from(`GET ${WARM_UP_PREFIX}/items/${100 + i}${query} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: outpost-warm-up\r\nAccept: application/json\r\n${more}\r\n`, 'latin1');
  });
}

/** How long past the deadline the answers to requests already sent may take. */
const ANSWER_GRACE_MS = 2_000;
/** A head larger than this is not one the warm-up sends or expects. */
const MAX_HEAD = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Where a message in `buf` ends (head and Content-Length body), -1 when incomplete; throws on anything unexpected. */
function messageEnd(buf: Buffer): number {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) {
    if (buf.length > MAX_HEAD) throw new Error('a head over 16 KiB');
    return -1;
  }
  const head = buf.toString('latin1', 0, headEnd);
  if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('a chunked message');
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  const end = headEnd + 4 + (length === null ? 0 : Number(length[1]));
  return buf.length >= end ? end : -1;
}

/** Appends `chunk` to what a socket had left over. */
function joined(rest: Buffer | null, chunk: Buffer): Buffer {
  return rest === null || rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
}

/** The backend: each request answered with the next of ANSWERS, on 127.0.0.1 at an ephemeral port. */
export function startWarmUpBackend(): Promise<{ server: Server; port: number }> {
  let answered = 0;
  const server = createServer({ noDelay: true }, (socket) => {
    let rest: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      try {
        let buf = joined(rest, chunk);
        for (let end = messageEnd(buf); end >= 0; end = messageEnd(buf)) {
          socket.write(ANSWERS[answered++ % ANSWERS.length]!);
          buf = buf.subarray(end);
        }
        rest = buf;
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

export interface DriveOptions {
  port: number;
  /** Requests to answer in all. */
  requests: number;
  connections: number;
  /** Stops sending at this time (Date.now()), whatever is left. */
  deadline: number;
  /** True when the worker stops (drain, exit): nothing more is sent. */
  stopped: () => boolean;
}

/**
 * Sends `requests` requests over `connections` keep-alive connections to the gateway on `port`,
 * and resolves with how many were answered 200 and why it stopped early (null: it did not).
 */
export function driveWarmUp(o: DriveOptions): Promise<{ answered: number; stoppedBecause: string | null }> {
  let sent = 0;
  let answered = 0;
  let open = 0;
  let because: string | null = null;
  const sockets: Socket[] = [];
  const sends = requests(o.port);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(guard);
      resolve({ answered, stoppedBecause: because });
    };
    // A request the gateway never answers must not keep the worker from listening.
    const guard = setTimeout(() => finish('time limit'), Math.max(0, o.deadline - Date.now()) + ANSWER_GRACE_MS);
    const finish = (reason: string | null): void => {
      if (reason !== null && because === null) because = reason;
      for (const s of sockets) s.destroy();
      sockets.length = 0;
      if (open === 0) done();
    };
    const next = (socket: Socket): void => {
      if (because === null && sent < o.requests) {
        if (o.stopped()) because = 'the worker is stopping';
        else if (Date.now() >= o.deadline) because = 'time limit';
      }
      if (because !== null || sent >= o.requests) {
        socket.end();
        return;
      }
      socket.write(sends[sent++ % sends.length]!);
    };
    for (let i = 0; i < o.connections; i++) {
      const socket = connect({ host: '127.0.0.1', port: o.port, noDelay: true });
      sockets.push(socket);
      open++;
      let rest: Buffer | null = null;
      socket.on('connect', () => next(socket));
      socket.on('data', (chunk: Buffer) => {
        try {
          let buf = joined(rest, chunk);
          for (let end = messageEnd(buf); end >= 0; end = messageEnd(buf)) {
            const status = buf.toString('latin1', 9, 12);
            if (status !== '200') throw new Error(`the gateway answered ${status}`);
            answered++;
            buf = buf.subarray(end);
            next(socket);
          }
          rest = buf;
        } catch (err) {
          finish((err as Error).message);
        }
      });
      socket.on('error', (err) => finish(err.message));
      socket.on('close', () => {
        open--;
        if (open === 0) done();
      });
    }
  });
}
