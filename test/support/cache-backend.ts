/**
 * A backend for response cache tests: counts calls per path and answers by path with the
 * headers a cache must honour (no-store, private, Set-Cookie, Vary), bodies over a size cap
 * (with and without Content-Length), and whether it saw an unkeyed header (x-evil).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startBackend, type TestBackend } from './backends.js';

export interface CacheBackend extends TestBackend {
  /** Calls per path (without query). */
  calls(path: string): number;
}

export async function startCacheBackend(): Promise<CacheBackend> {
  const counts = new Map<string, number>();
  const backend = await startBackend((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    req.resume();
    req.on('end', () => answer(path, n, req, res));
  });
  return Object.assign(backend, { calls: (path: string) => counts.get(path) ?? 0 });
}

function answer(path: string, n: number, req: IncomingMessage, res: ServerResponse): void {
  const base: Record<string, string> = {
    'content-type': 'text/plain', 'x-backend-call': String(n), 'x-saw-evil': req.headers['x-evil'] === undefined ? 'no' : 'yes',
    'x-saw-accept': String(req.headers.accept ?? ''), 'x-saw-key': String(req.headers['x-backend-key'] ?? ''),
  };
  const name = path.split('/').pop() ?? '';
  if (name.startsWith('big')) {
    const body = Buffer.alloc(4096, 0x61);
    if (name === 'big-chunked') { res.writeHead(200, base); res.write(body.subarray(0, 2048)); res.end(body.subarray(2048)); return; }
    res.writeHead(200, { ...base, 'content-length': String(body.length) });
    res.end(body);
    return;
  }
  const extra: Record<string, string> = {};
  if (name === 'no-store') extra['cache-control'] = 'no-store';
  if (name === 'private') extra['cache-control'] = 'private, max-age=60';
  if (name === 'cookie') extra['set-cookie'] = 'session=abc';
  if (name === 'vary-star') extra.vary = '*';
  const status = name === 'missing' ? 404 : 200;
  const body = Buffer.from(`call ${n} of ${req.method} ${req.url} \u00e9\u0000\u00ff`, 'latin1');
  res.writeHead(status, { ...base, ...extra, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
