/**
 * Both ends of a worker's warm-up traffic (warm-up.ts), on loopback inside the worker: a backend
 * that answers every request with one fixed JSON body, and keep-alive clients that send requests
 * one at a time per connection, as a load balancer's connections do. Neither is a general HTTP
 * implementation: each reads only what the gateway sends it, and anything else stops the warm-up
 * (it is an optimisation; the worker starts all the same).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** The warm-up API's path on the gateway (warm-up-table.ts routes it). */
export const WARM_UP_PREFIX = '/outpost-warm-up';

const BODY = '{"id":123,"name":"warm-up item","ok":true}';
const ANSWER = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, 'latin1');
const POST_BODY = '{"name":"warm-up item"}';
/** A GET per item id, and every fourth request a POST with a small body (the request-body path). */
const REQUESTS = Array.from({ length: 16 }, (_, i) => Buffer.from(i % 4 === 3
  ? `POST ${WARM_UP_PREFIX}/items HTTP/1.1\r\nHost: localhost\r\nUser-Agent: outpost-warm-up\r\nContent-Type: application/json\r\nContent-Length: ${POST_BODY.length}\r\n\r\n${POST_BODY}`
  : `GET ${WARM_UP_PREFIX}/items/${100 + i} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: outpost-warm-up\r\nAccept: application/json\r\n\r\n`, 'latin1'));

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

/** The backend: 200 with BODY for every request, on 127.0.0.1 at an ephemeral port. */
export function startWarmUpBackend(): Promise<{ server: Server; port: number }> {
  const server = createServer({ noDelay: true }, (socket) => {
    let rest: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      try {
        let buf = joined(rest, chunk);
        for (let end = messageEnd(buf); end >= 0; end = messageEnd(buf)) {
          socket.write(ANSWER);
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
      if (because !== null || sent >= o.requests || Date.now() >= o.deadline || o.stopped()) {
        if (because === null && sent < o.requests) because = o.stopped() ? 'the worker is stopping' : 'time limit';
        socket.end();
        return;
      }
      socket.write(REQUESTS[sent++ % REQUESTS.length]!);
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
