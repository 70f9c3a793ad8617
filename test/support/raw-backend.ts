/**
 * A backend on a raw `net` server, for tests that need exact response bytes (malformed framing,
 * closes at chosen moments) and the number of connections the gateway opened.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  head: string;
  body: Buffer;
  /** 0-based index of the connection it came on, and of the request on that connection. */
  connection: number;
  onConnection: number;
}

export interface RawBackend {
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  requests: RawRequest[];
  close(): Promise<void>;
}

/** `answer` writes the response (or not) on the socket. Requests must carry Content-Length or no body. */
export async function startRawBackend(answer: (req: RawRequest, socket: Socket) => void): Promise<RawBackend> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const requests: RawRequest[] = [];
  const server: Server = createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let onConnection = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const [method, path] = head.split(' ');
        const req = { method, path, head, body: buffered.subarray(end + 4, end + 4 + length), connection, onConnection: onConnection++ };
        buffered = buffered.subarray(end + 4 + length);
        requests.push(req);
        answer(req, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
