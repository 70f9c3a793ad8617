/**
 * The primary's side of compilation: a one-thread piscina pool, and publishing the result into a
 * SharedArrayBuffer from TableBuffers. A generation's buffer is not written again while any worker
 * may still read it (see table-buffers.ts), so workers read it in place without locks.
 */
import { Piscina } from 'piscina';
import { TableBuffers } from './table-buffers.js';
import type { ConfigProblem, GatewaySettings } from '../../shared/config-schema.js';
import type { CompileInput, CompileOutcome } from './compile-task.js';

export type Compiled =
  | { kind: 'table'; buffer: SharedArrayBuffer; settings: GatewaySettings; apis: number; sourceHash: string | null; timings: Record<string, number> }
  | { kind: 'problems'; problems: ConfigProblem[]; sourceHash: string | null }
  | { kind: 'unchanged' };

export class TableCompiler {
  readonly buffers = new TableBuffers();
  private readonly pool = new Piscina({
    filename: new URL('./compile-task.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    // The thread's heap peaks at several times the config file while it loads and compiles (about
    // 1 GB for 50,000 APIs); ending the idle thread soon gives that memory back to the OS. Starting
    // a thread again costs tens of milliseconds per reload, next to seconds of compiling.
    idleTimeout: 2_000,
    // A larger young generation (32 MB semi-spaces): compiling 500,000 operations makes millions of
    // short-lived objects, and fewer of them survive into the old generation (~16% less CPU at 20,000 APIs).
    resourceLimits: { maxYoungGenerationSizeMb: 96 },
  });

  /** A validated config, or a config file (read, parsed and validated in the compiler thread), into shared memory. */
  async compile(input: CompileInput): Promise<Compiled> {
    const outcome = (await this.pool.run(input)) as CompileOutcome;
    if (outcome.kind !== 'table') return outcome;
    const { bytes, ...rest } = outcome;
    return { ...rest, buffer: this.buffers.take(bytes) };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
