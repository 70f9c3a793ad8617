/**
 * Workers listen with SO_REUSEPORT, so a second (or stale) gateway on the same port would silently
 * share the traffic instead of failing. Before the workers listen, bind each port once without
 * SO_REUSEPORT: if anything holds it, that bind fails and we stop with a clear error.
 *
 * Port 0 is resolved here too: each worker opens its own socket, so the primary asks the OS once
 * and hands every worker the same concrete port. All ports are held at once until every one is
 * bound, so two listeners on port 0 never get the same port.
 */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { listenError } from './listen-error.js';

function bindExclusive(listener: string, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenError(err, listener, port)));
    probe.listen({ port, exclusive: true }, () => resolve(probe));
  });
}

/** Concrete ports, in order, for `[{ listener: 'API', port }, { listener: 'HTTPS', port }]`. */
export async function reservePorts(wanted: ReadonlyArray<{ listener: string; port: number }>): Promise<number[]> {
  const held: Server[] = [];
  try {
    for (const { listener, port } of wanted) held.push(await bindExclusive(listener, port));
    return held.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function reservePort(port: number): Promise<number> {
  return (await reservePorts([{ listener: 'API', port }]))[0];
}
