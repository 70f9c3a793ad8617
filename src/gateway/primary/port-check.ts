/**
 * Workers listen with SO_REUSEPORT, so a second (or stale) gateway on the same port would silently
 * share the traffic instead of failing. Before the workers listen, bind the port once without
 * SO_REUSEPORT: if anything holds it, that bind fails and we stop with a clear error.
 *
 * Port 0 is resolved here too: each worker opens its own socket, so the primary asks the OS once
 * and hands every worker the same concrete port.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { listenError } from './listen-error.js';

export async function reservePort(port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(listenError(err, 'API', port)));
    probe.listen({ port, exclusive: true }, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}
