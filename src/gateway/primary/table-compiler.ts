/**
 * The primary's side of compilation: a one-thread piscina pool that writes each table into a
 * SharedArrayBuffer of TableBuffers (lent to it, or new and adopted). A generation's buffer is not
 * written again while any worker may still read it (see table-buffers.ts), so workers read it in
 * place without locks.
 */
import { Piscina } from 'piscina';
import { TableBuffers } from './table-buffers.js';
import type { ConfigProblem, GatewayConfig, GatewaySettings } from '../../shared/config-schema.js';
import type { CompileInput, CompileOutcome, CompileTask } from './compile-task.js';
import type { LoadedHttps } from '../tls/https-material.js';

export type Compiled =
  | { kind: 'table'; buffer: SharedArrayBuffer; settings: GatewaySettings; apis: number; sourceHash: string | null; timings: Record<string, number>; https: LoadedHttps | null }
  | { kind: 'problems'; problems: ConfigProblem[]; sourceHash: string | null }
  | { kind: 'unchanged' };

export class TableCompiler {
  readonly buffers = new TableBuffers();
  private readonly pool = new Piscina({
    filename: new URL('./compile-task.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    // The thread's heap peaks at several times the config file while it loads and compiles (a few
    // hundred MB for 50,000 APIs, read in parts: config/json-parts.ts); ending the idle thread soon
    // gives that memory back to the OS. Starting a thread again costs 0.3-0.5 s of loading modules
    // per reload on the AMD VM, most of a small config's reload, next to seconds at 50,000 APIs.
    idleTimeout: 2_000,
    // 16 MB semi-spaces (Node's default on 64-bit). 32 MB once saved ~16% CPU at 20,000 APIs; with
    // templates parsed once and shared chains the compile makes far less garbage, and 32 MB only
    // raised the peak: loading and compiling 20,000 / 50,000 APIs in-process took the same CPU
    // (2.0 / 4.6 s either way, three and two runs) for a peak RSS 25-31 MB lower.
    resourceLimits: { maxYoungGenerationSizeMb: 48 },
  });

  /**
   * A validated config, or a config file (read, parsed and validated in the compiler thread), into
   * shared memory: a free buffer is lent to the thread, which writes the table into it (or into a
   * new one when it does not fit); compiles run one at a time (the callers chain them).
   */
  async compile(input: CompileInput): Promise<Compiled> {
    const spare = this.buffers.lend();
    let outcome: CompileOutcome;
    try {
      outcome = (await this.pool.run({ ...input, spare } satisfies CompileTask)) as CompileOutcome;
    } catch (err) {
      this.buffers.giveBack(spare);
      throw err;
    }
    if (outcome.kind !== 'table') {
      this.buffers.giveBack(spare);
      return outcome;
    }
    // The lent buffer comes back as another object over the same memory: adopt the primary's own
    // object, or TableBuffers would take it for a new buffer and put the lent one (holding this
    // very table) back on the free list, and the next compile would overwrite a live table.
    const buffer = outcome.inSpare && spare !== null ? spare : outcome.buffer;
    this.buffers.adopt(buffer, spare);
    return { ...outcome, buffer };
  }

  /**
   * A table the caller keeps for the process's life (the workers' warm-up table), in a buffer of
   * its own: never lent, held or reused, so no later compile can overwrite it.
   */
  async compileKept(config: GatewayConfig): Promise<SharedArrayBuffer | null> {
    const outcome = (await this.pool.run({ kind: 'config', config, spare: null } satisfies CompileTask)) as CompileOutcome;
    return outcome.kind === 'table' ? outcome.buffer : null;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
