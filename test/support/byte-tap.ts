/**
 * A raw `net` backend that records every byte it receives and answers each complete request
 * (as llhttp reads the bytes) with a fixed 200 whose body is the request target. What a
 * compliant parser sees in these bytes is what the gateway really forwarded.
 */
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { llhttpParse, type ReferenceMessage } from './llhttp.js';

export interface ByteTap {
  port: number;
  url: string;
  /** Raw bytes received, one Buffer per connection. */
  connections(): Buffer[];
  /** Every complete request, as llhttp reads each connection's bytes, in arrival order. */
  requests(): ReferenceMessage[];
  /** All bytes received on all connections, as latin1 text. */
  text(): string;
  close(): Promise<void>;
}

export async function startByteTap(): Promise<ByteTap> {
  const received: Buffer[][] = [];
  const answered: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const index = received.length;
    received.push([]);
    answered.push(0);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      received[index].push(d);
      const { messages } = llhttpParse(Buffer.concat(received[index]));
      const complete = messages.filter((m) => m.complete);
      for (let i = answered[index]; i < complete.length; i++) {
        const body = Buffer.from(complete[i].target, 'latin1');
        socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      }
      answered[index] = complete.length;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const connections = () => received.map((parts) => Buffer.concat(parts));
  return {
    port, url: `http://127.0.0.1:${port}`, connections,
    requests: () => connections().flatMap((bytes) => llhttpParse(bytes).messages.filter((m) => m.complete)),
    text: () => Buffer.concat(connections()).toString('latin1'),
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
