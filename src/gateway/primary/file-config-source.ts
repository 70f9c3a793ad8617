/**
 * Standalone mode: the config is one local YAML file, reloaded on SIGHUP or when the file changes.
 * Loads are coalesced: events that arrive while one is being applied cause exactly one more.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { errorFields, log } from '../../shared/log.js';
import type { ApplyConfig, ConfigCandidate, ConfigSource } from './config-source.js';

export class FileConfigSource implements ConfigSource {
  readonly kind = 'file';
  readonly file: string;
  private apply: ApplyConfig | null = null;
  private watcher: FSWatcher | null = null;
  private running: Promise<void> | null = null;
  private again: string | null = null;

  constructor(file: string) {
    this.file = resolve(file);
  }

  async initial(): Promise<ConfigCandidate> {
    return this.load('startup');
  }

  start(apply: ApplyConfig): void {
    this.apply = apply;
    this.watcher = watchFile(this.file, () => this.reload('file-change'));
  }

  sighup(): Promise<void> {
    return this.reload('SIGHUP');
  }

  readiness(): Record<string, unknown> {
    return { configFile: this.file };
  }

  metrics(): string[] {
    return [];
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.apply = null;
  }

  private async load(trigger: string): Promise<ConfigCandidate> {
    // Read, parsed and validated by the compiler thread (see compile-task.ts). Saving an unchanged
    // file (or a stray watch event) must not bump the generation; SIGHUP does.
    return { trigger, result: { ok: 'file', file: this.file }, skipIfUnchanged: trigger === 'file-change', origin: { file: this.file } };
  }

  /** Settles when no load is pending any more (a load queued behind a running one included). */
  private reload(trigger: string): Promise<void> {
    if (this.running) { this.again = this.again === 'SIGHUP' ? 'SIGHUP' : trigger; return this.running; }
    this.running = (async () => {
      let next: string | null = trigger;
      while (next !== null && this.apply) {
        this.again = null;
        await this.apply(await this.load(next));
        next = this.again;
      }
      this.running = null;
    })();
    return this.running;
  }
}

/**
 * Editors replace files (write a temp file, rename), so watch the directory, not the inode.
 * Kubernetes ConfigMap volumes swap a `..data` symlink instead: those events count too. A reload
 * whose content hash is unchanged is skipped, so extra events cost one file read.
 */
function watchFile(file: string, onChange: () => void): FSWatcher | null {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  try {
    return watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name && !changed.startsWith('..')) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    });
  } catch (err) {
    log('warn', 'cannot watch the config file; reload with SIGHUP', { file, ...errorFields(err) });
    return null;
  }
}
