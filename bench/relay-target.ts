/** The `relay` target (bench/relay.ts, Node's I/O floor): a Node process on the proxy core. */
import { join } from 'node:path';
import { freePort, processGroup, startPeer, stopChild } from './proc.js';
import { ITEM_PATH, PROXY_PREFIX, type Layout, type Target } from './targets.js';

export async function startRelay(layout: Layout, backendPort: number): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${PROXY_PREFIX}${ITEM_PATH}`;
  const child = await startPeer(layout.proxyCore, process.execPath, [join(layout.repoRoot, 'dist/bench/relay.js'), String(port), String(backendPort)], url);
  return { name: 'relay', url, cores: 1, pids: () => processGroup(child.pid), problems: () => [], stop: () => stopChild(child) };
}
