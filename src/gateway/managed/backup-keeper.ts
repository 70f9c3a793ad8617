/**
 * Writes the config backup and keeps its health where operators look: the config-status report
 * to the control plane (`backup: { ok, error, cause }`), /metrics (last success time, failures)
 * and readiness detail. A failed write (disk full, read-only or missing directory) used to show
 * only in readiness detail while the control plane heard `ok: true`.
 *
 * Logged once per state change, not once per config: the first failure is an error line, the
 * first success after failures an info line; repeats go to debug, so a full disk does not flood.
 */
import { errorFields, log } from '../../shared/log.js';
import type { ErrorCode } from '../../shared/errors.js';
import { writeBackup, type BackupPayload } from './config-backup.js';

/** What the control plane is told about the backup of the revision it is being told about. */
export type BackupReport = { ok: true } | { ok: false; error: ErrorCode; cause?: string };

export class BackupKeeper {
  private lastSuccessMs: number | null = null;
  private failures = 0;
  private failing = false;
  /** Shown in readiness: a write that failed, or a backup found corrupt at startup. */
  problem: { errorCode: ErrorCode; reason: string } | null = null;

  constructor(private readonly dir: () => string | null) {}

  /** Writes the backup; never throws. Returns what to report, or null when no directory is set. */
  async save(payload: BackupPayload): Promise<BackupReport | null> {
    const dir = this.dir();
    if (!dir) return null;
    try {
      const file = await writeBackup(dir, payload);
      this.lastSuccessMs = Date.now();
      this.problem = null;
      if (this.failing) log('info', 'config backup written again', { file, revision: payload.revision, failedWrites: this.failures });
      else log('debug', 'config backup written', { file, revision: payload.revision });
      this.failing = false;
      return { ok: true };
    } catch (err) {
      this.failures++;
      const cause = (err as NodeJS.ErrnoException).code;
      this.problem = { errorCode: 'OUTPOST_ERR_BACKUP_WRITE_FAILED', reason: (err as Error).message };
      const fields = { ...errorFields(err), stack: undefined, errorCode: 'OUTPOST_ERR_BACKUP_WRITE_FAILED', cause, backupDir: dir, revision: payload.revision };
      log(this.failing ? 'debug' : 'error', 'config backup could not be written; a restart while the control plane is down would not have this config', fields);
      this.failing = true;
      return { ok: false, error: 'OUTPOST_ERR_BACKUP_WRITE_FAILED', ...(cause ? { cause } : {}) };
    }
  }

  readiness(): Record<string, unknown> {
    return {
      dir: this.dir(),
      lastWrittenAt: this.lastSuccessMs === null ? null : new Date(this.lastSuccessMs).toISOString(),
      failures: this.failures,
      problem: this.problem,
    };
  }

  metrics(): string[] {
    return [
      '# HELP outpost_backup_last_success_timestamp_seconds Unix time of the last config backup written by this process (0: none yet).',
      '# TYPE outpost_backup_last_success_timestamp_seconds gauge',
      `outpost_backup_last_success_timestamp_seconds ${this.lastSuccessMs === null ? 0 : Math.floor(this.lastSuccessMs / 1000)}`,
      '# HELP outpost_backup_failures_total Config backup writes that failed (disk full, read-only or unusable directory).',
      '# TYPE outpost_backup_failures_total counter',
      `outpost_backup_failures_total ${this.failures}`,
    ];
  }
}
