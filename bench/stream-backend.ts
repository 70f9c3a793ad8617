/**
 * The streaming bench's backend, run as its own process (`node dist/bench/stream-backend.js`), on
 * node:http because streaming with backpressure is what it must do right, not answer fast.
 *   GET  /download  STREAM_BYTES of the stream-data pattern, with Content-Length.
 *   PUT  /upload    stalls STREAM_STALL_MS before reading a byte (the gateway must then stop
 *                   reading its client instead of buffering), then answers {bytes, sha256}.
 *   anything else   body discarded, answers "ok" (warm-up requests).
 * Prints one line `{"port":N}` when listening on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { chunks } from './stream-data.js';

const SIZE = Number(process.env.STREAM_BYTES);
const STALL_MS = Number(process.env.STREAM_STALL_MS ?? 2_000);
if (!Number.isSafeInteger(SIZE) || SIZE <= 0) {
  process.stderr.write(`stream backend: STREAM_BYTES must be a positive integer, got "${process.env.STREAM_BYTES}"\n`);
  process.exit(1);
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/download') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
    // pipeline, not pipe: if the client (or gateway) goes away, the generator is destroyed too.
    pipeline(Readable.from(chunks(SIZE)), res, () => {});
    return;
  }
  if (path !== '/upload') {
    req.resume();
    req.on('end', () => res.end('ok'));
    return;
  }
  // Not reading makes node stop reading the socket once its buffer is full, so TCP pushes back
  // on whoever sends: the gateway, which must pass that on to the client rather than buffer.
  req.pause();
  setTimeout(() => {
    const h = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => { h.update(c); bytes += c.length; });
    req.on('end', () => {
      const body = JSON.stringify({ bytes, sha256: h.digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    req.resume();
  }, STALL_MS);
});
// node's default 300 s request timeout would cut a slow 1 GiB transfer; the client's 120 s abort
// is the bench's only deadline.
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});

// The bench stops us with SIGTERM; open sockets would keep the loop alive, so exit explicitly.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
