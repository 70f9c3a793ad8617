/**
 * The HTTPS listener's certificates, owned by the primary: re-read on SIGHUP, when one of their
 * files changes (a directory watch, as for the config file: editors rename files into place and
 * Kubernetes Secret volumes swap a `..data` symlink) and when a reloaded config names other
 * files. New certificates go to the workers as PEM text; new handshakes use them, open
 * connections are not touched. A bad file (missing, not PEM, a key that does not match) is
 * logged with its field and file, and the running certificates stay.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { HttpsMaterial } from '../../shared/protocol.js';
import type { ListenerTlsSettings } from '../../shared/tls-config.js';
import { errorFields, log } from '../../shared/log.js';
import { httpsFiles, loadHttpsMaterial, type LoadedHttps } from '../tls/https-material.js';
import { TlsFileProblem } from '../tls/pem-files.js';

/** Editors and `kubectl` write a cert and its key as separate events: wait for both. */
const SETTLE_MS = 200;

export class HttpsCertificates {
  private watchers: FSWatcher[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastReload: Record<string, unknown> | null = null;
  private closed = false;
  private reloadFailures = 0;

  constructor(
    readonly port: number,
    /** The port came from gateway.tls.port (no --https-port / OUTPOST_HTTPS_PORT): a change there is worth a warning. */
    private readonly portFromConfig: boolean,
    private settings: ListenerTlsSettings,
    private current: LoadedHttps,
    private readonly publish: (material: HttpsMaterial) => void,
  ) {}

  get material(): HttpsMaterial { return this.current.material; }

  start(): void {
    this.watchFiles();
  }

  /** SIGHUP or a file change: the files of the running settings, read again. */
  reload(trigger: string): Promise<void> {
    return this.serial(async () => {
      try {
        this.commitNow(await loadHttpsMaterial(this.settings), trigger);
      } catch (err) {
        this.lastReload = { ok: false, at: new Date().toISOString(), trigger, error: (err as Error).message };
        this.reloadFailures++;
        const where = err instanceof TlsFileProblem ? { field: err.path, file: err.file } : {};
        log('error', 'HTTPS certificate reload failed; the running certificates stay', { ...errorFields(err), errorCode: 'OUTPOST_ERR_TLS_FILE_INVALID', trigger, ...where, stack: undefined });
      }
    });
  }

  /**
   * A config was published. The listener exists only if gateway.tls was there at startup (adding,
   * removing it or moving its port waits for a restart); its certificates follow the config.
   */
  static followConfig(https: HttpsCertificates | null, next: ListenerTlsSettings | undefined, loaded: LoadedHttps | null, trigger: string): void {
    if (https === null || next === undefined || loaded === null) {
      if ((https === null) !== (next === undefined)) log('warn', 'gateway.tls was added or removed; the HTTPS listener changes at the next restart', { field: 'gateway.tls' });
      return;
    }
    if (https.portFromConfig && next.port !== https.settings.port) log('warn', 'gateway.tls.port changed; it takes effect at the next restart', { field: 'gateway.tls.port' });
    void https.adopt(next, loaded, trigger);
  }

  /** A published config named these settings, and the primary already read them. */
  adopt(settings: ListenerTlsSettings, loaded: LoadedHttps, trigger: string): Promise<void> {
    return this.serial(async () => {
      const filesChanged = httpsFiles(settings).join('\u0000') !== httpsFiles(this.settings).join('\u0000');
      this.settings = settings;
      if (filesChanged) this.watchFiles();
      this.commitNow(loaded, trigger);
    });
  }

  readiness(): Record<string, unknown> {
    return { port: this.port, minVersion: this.settings.minVersion, certificates: this.current.summary, lastReload: this.lastReload };
  }

  /** Prometheus lines: when each served certificate expires (alert on it), and failed reloads. */
  metrics(): string[] {
    const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    return [
      '# HELP outpost_https_certificate_expiry_timestamp_seconds When each certificate the HTTPS listener serves expires (Unix time).',
      '# TYPE outpost_https_certificate_expiry_timestamp_seconds gauge',
      ...this.current.summary.map((c) => `outpost_https_certificate_expiry_timestamp_seconds{cert_file="${label(c.certFile)}"} ${Math.floor(Date.parse(c.notAfter) / 1000)}`),
      '# HELP outpost_https_certificate_reload_failures_total Certificate reloads refused (bad or missing files); the running certificates stayed.',
      '# TYPE outpost_https_certificate_reload_failures_total counter',
      `outpost_https_certificate_reload_failures_total ${this.reloadFailures}`,
    ];
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private commitNow(loaded: LoadedHttps, trigger: string): void {
    this.lastReload = { ok: true, at: new Date().toISOString(), trigger };
    if (loaded.hash === this.current.hash) return;
    this.current = loaded;
    this.publish(loaded.material);
    log('info', 'HTTPS certificates reloaded; new handshakes use them', { trigger, certificates: loaded.summary });
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(() => (this.closed ? undefined : task()));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** One watch per directory holding a certificate or key file. */
  private watchFiles(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const file of httpsFiles(this.settings).map((f) => resolve(f))) {
      const names = byDir.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      byDir.set(dirname(file), names);
    }
    for (const [dir, names] of byDir) {
      try {
        this.watchers.push(watch(dir, { persistent: false }, (_event, changed) => {
          if (changed !== null && !names.has(changed) && !changed.startsWith('..')) return;
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => { this.timer = null; void this.reload('file-change'); }, SETTLE_MS);
        }));
      } catch (err) {
        log('warn', 'cannot watch a certificate directory; reload certificates with SIGHUP', { dir, ...errorFields(err) });
      }
    }
  }
}
