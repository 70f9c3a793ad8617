/**
 * The bench backend, run as its own process (`node dist/bench/backend.js`): every request gets
 * the same ~100-byte JSON body at once, keep-alive. It runs on the gateway's own HTTP/1.1 server
 * (src/http1/server) so it is as cheap as a backend can be in Node: the backend shares core 1
 * with the load generator, and every cycle it spends is one the load generator does not get.
 * Prints one line `{"port":N}` when listening.
 */
import type { AddressInfo } from 'node:net';
import { Http1Server } from '../src/http1/server/http1-server.js';

const BODY = Buffer.from(JSON.stringify({ id: 123, name: 'bench item', price: 42.5, tags: ['a', 'b'], ok: true, padding: 'xxxxxxxxxx' }));

// One write per response: status line, headers and body in one buffer.
const server = new Http1Server((res) => { res.writeHeader('Content-Type', 'application/json').end(BODY); });

const port = Number(process.env.BENCH_BACKEND_PORT ?? 0);
server.server.once('error', () => {
  process.stderr.write(`bench backend: cannot listen on 127.0.0.1:${port}\n`);
  process.exit(1);
});
server.server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.server.address() as AddressInfo).port }) + '\n');
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
