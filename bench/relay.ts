/**
 * The `relay` target: Node's I/O floor on this machine, not a proxy. Each client connection gets
 * its own keep-alive connection to the backend and bytes are relayed both ways as they come, with
 * only the `/bench` prefix cut out of the request line: no parsing, no framing, no routing, no
 * pool, nothing per request but two reads and two writes. Both sides read into one buffer
 * (`onread`, src/http1/server/user-buffer-read.ts for the accepted side), as the gateway does.
 *
 * It is correct only for what the bench sends (small GETs that arrive whole in one read); its
 * CPU per request against nginx's says how much of the gateway's cost is Node's own I/O path.
 *
 * Run as a child: `node dist/bench/relay.js <port> <backendPort>`; prints `relay listening` when ready.
 */
import { connect, createServer, type Socket } from 'node:net';
import { attachUserBufferRead } from '../src/http1/server/user-buffer-read.js';
import { PROXY_PREFIX } from './targets.js';

const PREFIX = Buffer.from(` ${PROXY_PREFIX}/`);

/** The request with the prefix cut from its request line (a copy: the read buffer is shared). */
function withoutPrefix(buf: Buffer, n: number): Buffer {
  const at = buf.subarray(0, Math.min(n, 64)).indexOf(PREFIX);
  if (at < 0) return Buffer.from(buf.subarray(0, n));
  const cut = PREFIX.length - 2; // keep " /"
  const out = Buffer.allocUnsafe(n - cut);
  buf.copy(out, 0, 0, at + 1);
  buf.copy(out, at + 1, at + 1 + cut, n);
  return out;
}

function relay(client: Socket, backendPort: number): void {
  const backend = connect({
    host: '127.0.0.1', port: backendPort,
    onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n, buf) => { client.write(Buffer.from(buf.subarray(0, n))); return true; } },
  });
  backend.setNoDelay(true);
  const toBackend = (n: number, buf: Buffer): boolean => { backend.write(withoutPrefix(buf, n)); return true; };
  if (!attachUserBufferRead(client, toBackend)) client.on('data', (chunk: Buffer) => toBackend(chunk.length, chunk));
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
  client.on('error', () => client.destroy());
  backend.on('error', () => backend.destroy());
}

const [port, backendPort] = process.argv.slice(2).map(Number);
if (!(port >= 0) || !(backendPort > 0)) throw new Error('usage: relay.js <port> <backendPort>');
const server = createServer({ noDelay: true }, (client) => relay(client, backendPort));
server.listen(port, '127.0.0.1', () => process.stdout.write('relay listening\n'));
process.on('SIGTERM', () => process.exit(0));
