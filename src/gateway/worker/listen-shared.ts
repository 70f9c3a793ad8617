/**
 * Every worker listens on the same port with SO_REUSEPORT, so the kernel spreads connections
 * across workers. Node ≥ 22.12 does this itself (`reusePort: true`); on Node 20 the small N-API
 * addon in native/ opens the socket (socket + SO_REUSEADDR + SO_REUSEPORT + bind + listen) and
 * the server adopts its fd. Without either, one worker listens and says so in one log line.
 */
import type { Server } from 'node:net';
import { nativeAddon } from '../native.js';

export type ListenMode = 'reuseport-node' | 'reuseport-native' | 'single' | 'not-listening';

const BACKLOG = 511;

function nodeHasReusePort(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

function listenOn(server: Server, options: { port?: number; fd?: number; reusePort?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options as never, () => { server.off('error', reject); resolve(); });
  });
}

/** Listens on `port` (already concrete: the primary resolves port 0). Worker `index` 0 always listens. */
export async function listenShared(server: Server, port: number, index: number): Promise<ListenMode> {
  if (nodeHasReusePort()) {
    await listenOn(server, { port, reusePort: true });
    return 'reuseport-node';
  }
  const native = nativeAddon();
  if (native !== null) {
    let fd: number;
    try { fd = native.listenReusePort('::', port, BACKLOG); } catch { fd = native.listenReusePort('0.0.0.0', port, BACKLOG); }
    await listenOn(server, { fd });
    return 'reuseport-native';
  }
  if (index !== 0) return 'not-listening';
  await listenOn(server, { port });
  return 'single';
}
