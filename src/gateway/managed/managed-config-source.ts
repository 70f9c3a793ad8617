/**
 * Managed mode's config source: the control plane, with the backup file as the fallback at
 * startup. Every config the primary accepts is written to the backup and reported to the control
 * plane (config-status); one it rejects is reported with its problems and the running one stays.
 */
import { errorFields, log } from '../../shared/log.js';
import { boundProblems } from '../../shared/config-status-report.js';
import type { ApplyConfig, ApplyOutcome, ConfigCandidate, ConfigSource } from '../primary/config-source.js';
import { ControlPlaneClient, type ConfigFetch } from './control-plane-client.js';
import { readSettingsMap, resolveManagedSettings, type ManagedSettings } from './managed-settings.js';
import { readBackup } from './config-backup.js';
import { BackupKeeper, type BackupReport } from './backup-keeper.js';
import { managedCandidate } from './managed-candidate.js';
import { SyncLoop } from './sync-loop.js';
import { Heartbeat, NODE_ID } from './heartbeat.js';
import { TokenWatch } from './token-watch.js';
import { TelemetryUploader } from './telemetry-uploader.js';
import { uploadIntervalMs } from '../telemetry/aggregator.js';

export interface ManagedOptions { envFile?: string; backupDir?: string }

type Fetched = Extract<ConfigFetch, { status: 200 }>;

/** How long a stopping gateway waits for its last telemetry upload. */
const FINAL_UPLOAD_MS = 2_000;

export class ManagedConfigSource implements ConfigSource {
  readonly kind = 'managed';
  private client: ControlPlaneClient;
  private apply: ApplyConfig | null = null;
  private readonly sync: SyncLoop;
  private readonly heartbeat: Heartbeat;
  private readonly tokens = new TokenWatch();
  private etag: string | null = null;
  /** Revision being served, and whether it came from the control plane or the backup. */
  private revision: number | null = null;
  private servingFrom: 'control-plane' | 'backup' | null = null;
  private firstFetch: Fetched | null = null;
  private connected: boolean | null = null;
  /** When the current run of failed requests began (null while connected). */
  private downSince: number | null = null;
  private lastError: { errorCode: unknown; message: string; at: string } | null = null;
  private readonly backup = new BackupKeeper(() => this.settings.backupDir);
  /** The aggregator's sink: per-minute rows uploaded every 10 s, buffered while the control plane is away. */
  readonly telemetrySink: TelemetryUploader;

  private constructor(private settings: ManagedSettings, private readonly options: ManagedOptions) {
    this.client = new ControlPlaneClient(settings);
    this.sync = new SyncLoop(this.client, () => this.settings, {
      etag: () => this.etag,
      onConfig: (f) => this.deliver(f),
      onNotModified: () => { this.markConnected(); if (this.servingFrom === 'backup') this.servingFrom = 'control-plane'; },
      onFailure: (err, attempt, retryInMs) => this.markFailed(err, { attempt, retryInMs }),
      onRecovered: (failedAttempts, outageMs) => {
        log('info', 'control plane reachable again', { endpoint: this.settings.endpoint, failedAttempts, outageMs });
        this.markConnected();
      },
    });
    this.telemetrySink = new TelemetryUploader(this.client, NODE_ID);
    this.heartbeat = new Heartbeat(this.client, () => ({ configRevision: this.revision ?? 0, tokenExpiresAt: this.settings.token.expiresAt.toISOString() }));
  }

  /** Reads and checks the settings; a missing endpoint or a malformed token stops startup here. */
  static async create(options: ManagedOptions): Promise<ManagedConfigSource> {
    const settings = resolveManagedSettings(await readSettingsMap(options.envFile), { backupDir: options.backupDir });
    return new ManagedConfigSource(settings, options);
  }

  async initial(): Promise<ConfigCandidate | null> {
    const s = this.settings;
    log('info', 'managed mode', { endpoint: s.endpoint, gatewayId: s.token.gatewayId, backupDir: s.backupDir, nodeId: NODE_ID });
    this.tokens.check(s.token);
    if (!s.backupDir) log('warn', 'no backup directory (OUTPOST_BACKUP_DIR or --backup-dir): a restart while the control plane is down will serve nothing');
    try {
      const f = await this.client.fetchConfig({ etag: null, waitSeconds: 0, timeoutMs: s.startupTimeoutMs });
      this.markConnected();
      if (f.status === 200) {
        const candidate = managedCandidate(f.config, 'startup', { revision: f.revision });
        this.etag = f.etag;
        if (candidate.result.ok) { this.firstFetch = f; return candidate; }
        log('error', 'the control plane sent a config that does not validate; trying the backup', { errorCode: 'OUTPOST_ERR_CONFIG_INVALID', revision: f.revision, problems: candidate.result.problems });
        void this.reportStatus(f.revision, { status: 'rejected', problems: candidate.result.problems });
      }
    } catch (err) {
      this.markFailed(err, { phase: 'startup', fallback: 'backup' });
    }
    return this.fromBackup();
  }

  start(apply: ApplyConfig, first: ApplyOutcome | null): void {
    this.apply = apply;
    if (this.firstFetch && first) void this.accepted(this.firstFetch, first);
    else if (first?.status === 'published') this.servingFrom = 'backup';
    this.firstFetch = null;
    this.heartbeat.start(this.settings.heartbeatIntervalMs);
    this.telemetrySink.start(uploadIntervalMs());
    this.tokens.startPeriodicCheck(() => this.settings.token);
    this.sync.start(this.downSince);
  }

  sighup(): Promise<void> {
    return (async () => {
      try {
        const next = resolveManagedSettings(await readSettingsMap(this.options.envFile), { backupDir: this.options.backupDir });
        const tokenChanged = next.token.header !== this.settings.token.header;
        this.settings = next;
        this.client.update(next);
        log('info', 'managed settings reloaded', { trigger: 'SIGHUP', endpoint: next.endpoint, gatewayId: next.token.gatewayId, tokenChanged, tokenExpiresAt: next.token.expiresAt.toISOString() });
        this.tokens.check(next.token);
        this.heartbeat.start(next.heartbeatIntervalMs);
        this.sync.wake();
      } catch (err) {
        log('error', 'env file re-read failed; the previous settings stay', { trigger: 'SIGHUP', envFile: this.options.envFile, ...errorFields(err) });
      }
    })();
  }

  readiness(): Record<string, unknown> {
    const token = this.tokens.status(this.settings.token);
    return {
      ready: this.servingFrom !== null,
      ...(this.servingFrom === null ? { reason: 'no config yet: waiting for the control plane' } : {}),
      managed: {
        endpoint: this.settings.endpoint, nodeId: NODE_ID, servingFrom: this.servingFrom, configRevision: this.revision,
        controlPlane: { connected: this.connected, lastError: this.lastError },
        backup: this.backup.readiness(),
        telemetry: this.telemetrySink.status(),
        token: { ...token, ...(token.state !== 'ok' ? { warning: `the gateway token ${token.state === 'expired' ? 'has expired' : 'expires'} at ${token.expiresAt}: give the gateway a new one (env file, then SIGHUP)` } : {}) },
      },
    };
  }

  metrics(): string[] {
    const token = this.tokens.status(this.settings.token);
    return [
      '# HELP outpost_gateway_token_expiry_seconds Seconds until the gateway token expires (negative once expired).',
      '# TYPE outpost_gateway_token_expiry_seconds gauge',
      `outpost_gateway_token_expiry_seconds ${token.expiresInSeconds}`,
      '# HELP outpost_control_plane_connected 1 when the last request to the control plane succeeded.',
      '# TYPE outpost_control_plane_connected gauge',
      `outpost_control_plane_connected ${this.connected ? 1 : 0}`,
      '# HELP outpost_config_revision Control-plane revision of the config being served (-1: none).',
      '# TYPE outpost_config_revision gauge',
      `outpost_config_revision ${this.revision ?? -1}`,
      ...this.backup.metrics(),
      ...this.telemetrySink.metrics(),
    ];
  }

  async close(): Promise<void> {
    this.heartbeat.stop();
    this.telemetrySink.stop();
    this.tokens.stop();
    await this.sync.stop();
    await this.client.close();
  }

  /** One last upload, so a clean stop does not lose the last interval; bounded, since the control plane may be away. */
  async flushTelemetry(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.telemetrySink.flush(), new Promise((r) => { timer = setTimeout(r, FINAL_UPLOAD_MS); })]);
    clearTimeout(timer);
    await this.client.close();
  }

  private async fromBackup(): Promise<ConfigCandidate | null> {
    const dir = this.settings.backupDir;
    if (!dir) return null;
    const read = await readBackup(dir);
    if (!read.ok) {
      if (read.missing) log('warn', 'no config backup to start from; waiting for the control plane', { backupDir: dir, reason: read.reason });
      else {
        this.backup.problem = { errorCode: 'OUTPOST_ERR_BACKUP_CORRUPT', reason: read.reason };
        log('error', 'config backup is corrupt and will not be served; waiting for the control plane', { errorCode: 'OUTPOST_ERR_BACKUP_CORRUPT', backupDir: dir, reason: read.reason });
      }
      return null;
    }
    const p = read.payload;
    if (p.gatewayId !== this.settings.token.gatewayId) log('warn', 'the config backup was written for another gateway id', { backupGatewayId: p.gatewayId, gatewayId: this.settings.token.gatewayId });
    const candidate = managedCandidate(p.config, 'backup', { revision: p.revision, savedAt: p.savedAt });
    if (!candidate.result.ok) return candidate; // the primary logs the problems and starts empty
    this.revision = p.revision;
    this.etag = p.etag;
    log('info', 'serving the config backup until the control plane answers', { backupDir: dir, revision: p.revision, savedAt: p.savedAt });
    return candidate;
  }

  /** Called by the sync loop for each 200: apply, then back up and report. */
  private async deliver(f: Fetched): Promise<void> {
    this.markConnected();
    this.etag = f.etag; // even when rejected: the same bad config is not fetched again and again
    if (!this.apply) return;
    const outcome = await this.apply(managedCandidate(f.config, 'control-plane', { revision: f.revision }));
    await this.accepted(f, outcome);
  }

  private async accepted(f: Fetched, outcome: ApplyOutcome): Promise<void> {
    if (outcome.status === 'rejected') {
      await this.reportStatus(f.revision, outcome);
      return;
    }
    this.revision = f.revision;
    this.servingFrom = 'control-plane';
    const backup = await this.backup.save({ gatewayId: this.settings.token.gatewayId, revision: f.revision, etag: f.etag, savedAt: new Date().toISOString(), config: f.config });
    await this.reportStatus(f.revision, outcome, backup);
  }

  /** `ok` is about the config; `backup` (when a directory is set) about writing it to disk. */
  private async reportStatus(revision: number, outcome: ApplyOutcome, backup: BackupReport | null = null): Promise<void> {
    const body = outcome.status === 'rejected'
      ? { nodeId: NODE_ID, revision, ok: false, ...boundProblems(outcome.problems) }
      : { nodeId: NODE_ID, revision, ok: true, ...(backup ? { backup } : {}) };
    try {
      await this.client.post('/gateway/config-status', body);
    } catch (err) {
      log('warn', 'config status could not be reported to the control plane', { revision, ...errorFields(err) });
    }
  }

  private markConnected(): void {
    this.connected = true;
    this.downSince = null;
    this.lastError = null;
  }

  private markFailed(err: unknown, fields: { attempt?: number; [field: string]: unknown }): void {
    this.connected = false;
    this.downSince ??= Date.now();
    const code = (err as { code?: unknown }).code;
    const details = (err as { details?: unknown }).details;
    this.lastError = { errorCode: code, message: (err as Error).message, at: new Date().toISOString() };
    // Retries come every few seconds while it is down: the first five are logged, then one a minute or so.
    const attempt = fields.attempt ?? 1;
    if (attempt > 5 && attempt % 12 !== 0) return;
    const level = code === 'OUTPOST_ERR_GATEWAY_TOKEN_REJECTED' ? 'error' : 'warn';
    log(level, `control plane request failed; ${this.whatIsServed(fields.phase === 'startup')}`, {
      endpoint: this.settings.endpoint, ...errorFields(err), stack: undefined, details, servingFrom: this.servingFrom, ...fields,
    });
  }

  /** The log must say what the gateway does meanwhile: serving a config, trying the backup, or nothing. */
  private whatIsServed(startup: boolean): string {
    if (this.servingFrom !== null) return 'serving the current config';
    if (startup && this.settings.backupDir) return 'trying the config backup';
    return 'no config to serve until it answers';
  }
}
