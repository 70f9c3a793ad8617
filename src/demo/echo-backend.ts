/**
 * The demo Echo API's backend: answers every request at once with a JSON description of what it
 * received (method, path, query, headers, body size). Started by `outpost gateway --demo-backend`
 * so the sample config works on a fresh machine with nothing else running.
 */
import { Buffer } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startEchoBackend(port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => {
      const [path, query = ''] = (req.url ?? '/').split('?');
      const body = JSON.stringify({ method: req.method, path, query, headers: req.headers, bodyBytes: bytes });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
