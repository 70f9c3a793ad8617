/**
 * The primary's side of compilation: a one-thread piscina pool, and publishing the result into a
 * SharedArrayBuffer from TableBuffers. A generation's buffer is not written again while any worker
 * may still read it (see table-buffers.ts), so workers read it in place without locks.
 */
import { Piscina } from 'piscina';
import { TableBuffers } from './table-buffers.js';
import type { ConfigProblem, GatewayConfig } from '../../shared/config-schema.js';
import type { CompileInput, CompileOutcome } from './compile-task.js';
import { NO_BACKEND_TLS, type BackendTlsAssignment } from '../../shared/compiled-meta.js';

export class TableCompiler {
  readonly buffers = new TableBuffers();
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
  async compile(config: GatewayConfig, backendTls: BackendTlsAssignment = NO_BACKEND_TLS): Promise<SharedArrayBuffer | { problems: ConfigProblem[] }> {
    const outcome = (await this.pool.run({ config, backendTls } satisfies CompileInput)) as CompileOutcome;
    if (!(outcome instanceof Uint8Array)) return outcome;
    return this.buffers.take(outcome);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
