/**
 * The control plane's store: SQLite (better-sqlite3, WAL), one table per resource kind holding
 * JSON documents. Every change bumps one global revision (the `meta` row) and the resource's own
 * revision, in one transaction, then tells listeners (the long-poll hub) so waiting gateways hear
 * of it at once. Reads are synchronous: better-sqlite3 is fast enough that a config view costs
 * well under a millisecond at the sizes a control plane holds.
 */
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const KINDS = ['apis', 'products', 'subscriptions', 'namedValues', 'fragments', 'backends', 'gateways'] as const;
export type Kind = (typeof KINDS)[number];

const TABLES: Record<Kind, string> = { apis: 'apis', products: 'products', subscriptions: 'subscriptions', namedValues: 'named_values', fragments: 'policy_fragments', backends: 'backends', gateways: 'gateways' };

export type Doc = Record<string, unknown>;
export interface StoredDoc { id: string; doc: Doc; revision: number; updatedAt: string }

interface Row { id: string; doc: string; revision: number; updated_at: string }

export class Store {
  private readonly db: Database.Database;
  /** 'change' (global revision) after every committed write. One listener: the long-poll hub. */
  readonly changes = new EventEmitter();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'outpost.db'));
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a crash of the process loses nothing; a power cut may lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    for (const table of Object.values(TABLES)) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL, revision INTEGER NOT NULL, updated_at TEXT NOT NULL)`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0);
      CREATE TABLE IF NOT EXISTS gateway_apis (gateway_id TEXT NOT NULL, api_id TEXT NOT NULL, PRIMARY KEY (gateway_id, api_id));
      -- The revision at which each gateway's view last changed: a stable number to report per view.
      CREATE TABLE IF NOT EXISTS gateway_views (gateway_id TEXT PRIMARY KEY, hash TEXT NOT NULL, revision INTEGER NOT NULL);
    `);
    this.changes.setMaxListeners(4);
  }

  revision(): number {
    return (this.db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: number }).value;
  }

  get(kind: Kind, id: string): StoredDoc | undefined {
    const row = this.db.prepare(`SELECT * FROM ${TABLES[kind]} WHERE id = ?`).get(id) as Row | undefined;
    return row && toStored(row);
  }

  list(kind: Kind): StoredDoc[] {
    return (this.db.prepare(`SELECT * FROM ${TABLES[kind]} ORDER BY id`).all() as Row[]).map(toStored);
  }

  count(kind: Kind): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${TABLES[kind]}`).get() as { n: number }).n;
  }

  /** Creates or replaces; returns the resource's new revision and whether it was created. */
  put(kind: Kind, id: string, doc: Doc): { created: boolean; revision: number } {
    return this.write(() => {
      const old = this.db.prepare(`SELECT revision FROM ${TABLES[kind]} WHERE id = ?`).get(id) as { revision: number } | undefined;
      const revision = (old?.revision ?? 0) + 1;
      this.db.prepare(`INSERT INTO ${TABLES[kind]} (id, doc, revision, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, revision = excluded.revision, updated_at = excluded.updated_at`)
        .run(id, JSON.stringify(doc), revision, new Date().toISOString());
      return { created: old === undefined, revision };
    });
  }

  /** Deletes a resource; an API or gateway takes its assignments with it. */
  delete(kind: Kind, id: string): boolean {
    return this.write(() => {
      const { changes } = this.db.prepare(`DELETE FROM ${TABLES[kind]} WHERE id = ?`).run(id);
      if (kind === 'apis') this.db.prepare('DELETE FROM gateway_apis WHERE api_id = ?').run(id);
      if (kind === 'gateways') {
        this.db.prepare('DELETE FROM gateway_apis WHERE gateway_id = ?').run(id);
        this.db.prepare('DELETE FROM gateway_views WHERE gateway_id = ?').run(id);
      }
      return changes > 0;
    }, (deleted) => deleted);
  }

  assign(gatewayId: string, apiId: string): boolean {
    return this.write(() => this.db.prepare('INSERT OR IGNORE INTO gateway_apis (gateway_id, api_id) VALUES (?, ?)').run(gatewayId, apiId).changes > 0, (added) => added);
  }

  unassign(gatewayId: string, apiId: string): boolean {
    return this.write(() => this.db.prepare('DELETE FROM gateway_apis WHERE gateway_id = ? AND api_id = ?').run(gatewayId, apiId).changes > 0, (removed) => removed);
  }

  assignedApis(gatewayId: string): string[] {
    return (this.db.prepare('SELECT api_id FROM gateway_apis WHERE gateway_id = ? ORDER BY api_id').all(gatewayId) as Array<{ api_id: string }>).map((r) => r.api_id);
  }

  /** Gateway ids an API is assigned to. */
  gatewaysOf(apiId: string): string[] {
    return (this.db.prepare('SELECT gateway_id FROM gateway_apis WHERE api_id = ? ORDER BY gateway_id').all(apiId) as Array<{ gateway_id: string }>).map((r) => r.gateway_id);
  }

  /**
   * The revision to report for a gateway's view with this content hash: unchanged while the hash
   * is, the current global revision once it changes. Not a config change, so no revision bump.
   */
  viewRevision(gatewayId: string, hash: string): number {
    const row = this.db.prepare('SELECT hash, revision FROM gateway_views WHERE gateway_id = ?').get(gatewayId) as { hash: string; revision: number } | undefined;
    if (row && row.hash === hash) return row.revision;
    const revision = this.revision();
    this.db.prepare(`INSERT INTO gateway_views (gateway_id, hash, revision) VALUES (?, ?, ?)
      ON CONFLICT (gateway_id) DO UPDATE SET hash = excluded.hash, revision = excluded.revision`).run(gatewayId, hash, revision);
    return revision;
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in a transaction that bumps the global revision when `changed` says it changed something. */
  private write<T>(fn: () => T, changed: (result: T) => boolean = () => true): T {
    let bumped = false;
    const result = this.db.transaction(() => {
      const r = fn();
      if (changed(r)) {
        this.db.prepare(`UPDATE meta SET value = value + 1 WHERE key = 'revision'`).run();
        bumped = true;
      }
      return r;
    })();
    if (bumped) this.changes.emit('change', this.revision());
    return result;
  }
}

function toStored(row: Row): StoredDoc {
  return { id: row.id, doc: JSON.parse(row.doc) as Doc, revision: row.revision, updatedAt: row.updated_at };
}
