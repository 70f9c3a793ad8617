/**
 * The primary's side of compilation: a one-thread piscina pool, and publishing the result into a
 * fresh SharedArrayBuffer. A generation's buffer is never written again once published, so
 * workers can read it in place without locks; the next generation gets a new buffer.
 */
import { Piscina } from 'piscina';
import type { GatewayConfig } from '../../shared/config-schema.js';

export class TableCompiler {
  private readonly pool = new Piscina({
    filename: new URL('./compile-task.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: 60_000,
  });

  async compile(config: GatewayConfig): Promise<SharedArrayBuffer> {
    const bytes = (await this.pool.run(config)) as Uint8Array;
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    return shared;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
