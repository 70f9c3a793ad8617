/**
 * The bench backend, run as its own process (`node dist/bench/backend.js`): every request gets
 * the same ~100-byte JSON body at once, keep-alive. It uses the gateway's own uWebSockets.js
 * loader so it is as cheap as a backend can be in Node: the backend shares core 1 with the load
 * generator, and every cycle it spends is one the load generator does not get.
 * Prints one line `{"port":N}` when listening.
 */
import { loadUws } from '../src/gateway/worker/uws-native.js';

const BODY = JSON.stringify({ id: 123, name: 'bench item', price: 42.5, tags: ['a', 'b'], ok: true, padding: 'xxxxxxxxxx' });

const uws = loadUws();
const app = uws.App();

app.any('/*', (res) => {
  // No await between handler entry and the answer, so no onAborted is needed; cork batches the
  // status line, header and body into one write.
  res.cork(() => {
    res.writeHeader('Content-Type', 'application/json').end(BODY);
  });
});

const port = Number(process.env.BENCH_BACKEND_PORT ?? 0);
app.listen('127.0.0.1', port, (socket) => {
  if (!socket) {
    process.stderr.write(`bench backend: cannot listen on 127.0.0.1:${port}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ port: uws.us_socket_local_port(socket as never) }) + '\n');
});

// The runner stops us with SIGTERM; uWS keeps the loop alive, so exit explicitly.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
