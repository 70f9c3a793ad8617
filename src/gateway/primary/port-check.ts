/**
 * uWS listens with SO_REUSEPORT, so a second (or stale) gateway on the same port would silently
 * share the traffic instead of failing. Before the workers listen, bind the port once without
 * SO_REUSEPORT: if anything holds it, that bind fails and we stop with a clear error.
 */
import { createServer } from 'node:net';
import { OutpostError } from '../../shared/errors.js';

export async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(new OutpostError('OUTPOST_ERR_PORT_IN_USE', `port ${port} is already in use (${err.code}); is another gateway running?`));
    });
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
