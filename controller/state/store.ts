/**
 * The state store: one SQLite file (better-sqlite3, WAL) in the state directory holding what must survive a
 * restart and what `get`, `describe` and the HTTP API read: resources as last applied, their status
 * (conditions, observedGeneration, lastAppliedRevision, reconciler status fields, memo), the inventory of what
 * each resource created, events, and controller-level conditions. Secrets never enter it: specs only name
 * secret files.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import type { Resource, Revision } from '../../reconcilers/core/resource.js';
import { redact, redactDeep } from '../../reconcilers/core/redact.js';
import type { Condition } from './conditions.js';

export interface ResourceRow {
  kind: string;
  name: string;
  host: string;
  file: string;
  generation: string;
  /** The resource as last accepted from the manifests (needed to finalize it after its file is gone). */
  resource: Resource;
  createdAt: string;
}

export interface ResourceStatus {
  conditions: Condition[];
  observedGeneration: string | null;
  lastAppliedRevision: Revision | null;
  lastReconcileTime: string | null;
  /** Reconciler-specific fields (`lastHeartbeat`, `forwardedPort`, ...). */
  fields: Record<string, unknown>;
  /** Reconciler memory between runs; not shown by default. */
  memo: Record<string, unknown>;
}

export interface EventRow {
  kind: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  time: string;
  count: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (
  kind TEXT NOT NULL, name TEXT NOT NULL, host TEXT NOT NULL, file TEXT NOT NULL,
  generation TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS status (
  kind TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS inventory (
  kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, host TEXT NOT NULL, id TEXT NOT NULL,
  detail TEXT, created_at TEXT NOT NULL,
  PRIMARY KEY (kind, name, type, host, id));
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
  reason TEXT NOT NULL, message TEXT NOT NULL, time TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS events_by_resource ON events (kind, name, seq);
CREATE TABLE IF NOT EXISTS cache (
  kind TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (kind, name, key));
CREATE TABLE IF NOT EXISTS controller_conditions (
  type TEXT PRIMARY KEY, body TEXT NOT NULL);
`;

/** Events kept per resource; older ones are dropped. */
const EVENTS_PER_RESOURCE = 100;

export function emptyStatus(): ResourceStatus {
  return { conditions: [], observedGeneration: null, lastAppliedRevision: null, lastReconcileTime: null, fields: {}, memo: {} };
}

export class StateStore {
  readonly db: Database.Database;

  constructor(stateDir: string, opts: { readonly?: boolean } = {}) {
    if (!opts.readonly) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(stateDir, 'state.db'), { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      // FULL: every commit fsyncs the WAL, so an inventory row is on disk before the write it describes is made
      // (with NORMAL a power cut could lose it after that write was fsync'd; measured in bench/store-durability.ts).
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    }
    this.db.pragma('busy_timeout = 5000');
  }

  close(): void {
    this.db.close();
  }

  // ── resources ────────────────────────────────────────────────────────────

  upsertResource(row: Omit<ResourceRow, 'createdAt'>): void {
    this.db
      .prepare(
        `INSERT INTO resources (kind, name, host, file, generation, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, name) DO UPDATE SET host = excluded.host, file = excluded.file,
           generation = excluded.generation, body = excluded.body`,
      )
      .run(row.kind, row.name, row.host, row.file, row.generation, JSON.stringify(row.resource), new Date().toISOString());
  }

  listResources(kind?: string): ResourceRow[] {
    const rows = (
      kind
        ? this.db.prepare('SELECT * FROM resources WHERE kind = ? ORDER BY kind, name').all(kind)
        : this.db.prepare('SELECT * FROM resources ORDER BY kind, name').all()
    ) as Array<Record<string, string>>;
    return rows.map(toResourceRow);
  }

  getResource(kind: string, name: string): ResourceRow | null {
    const row = this.db.prepare('SELECT * FROM resources WHERE kind = ? AND name = ?').get(kind, name) as
      | Record<string, string>
      | undefined;
    return row ? toResourceRow(row) : null;
  }

  /** Forget a resource entirely (after finalize, or prune disabled). Events stay for `describe` history. */
  deleteResource(kind: string, name: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM resources WHERE kind = ? AND name = ?').run(kind, name);
      this.db.prepare('DELETE FROM status WHERE kind = ? AND name = ?').run(kind, name);
      this.db.prepare('DELETE FROM inventory WHERE kind = ? AND name = ?').run(kind, name);
      this.db.prepare('DELETE FROM cache WHERE kind = ? AND name = ?').run(kind, name);
    })();
  }

  // ── status ───────────────────────────────────────────────────────────────

  getStatus(kind: string, name: string): ResourceStatus {
    const row = this.db.prepare('SELECT body FROM status WHERE kind = ? AND name = ?').get(kind, name) as
      | { body: string }
      | undefined;
    return row ? { ...emptyStatus(), ...(JSON.parse(row.body) as Partial<ResourceStatus>) } : emptyStatus();
  }

  putStatus(kind: string, name: string, status: ResourceStatus): void {
    this.db
      .prepare('INSERT INTO status (kind, name, body) VALUES (?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body')
      .run(kind, name, JSON.stringify(redactDeep(status)));
  }

  // ── inventory ────────────────────────────────────────────────────────────

  listInventory(kind: string, name: string): InventoryItem[] {
    const rows = this.db
      .prepare('SELECT type, host, id, detail FROM inventory WHERE kind = ? AND name = ? ORDER BY created_at, type, id')
      .all(kind, name) as Array<{ type: string; host: string; id: string; detail: string | null }>;
    return rows.map((r) => ({ type: r.type, host: r.host, id: r.id, ...(r.detail ? { detail: JSON.parse(r.detail) } : {}) }));
  }

  recordInventory(kind: string, name: string, item: InventoryItem): void {
    this.db
      .prepare(
        `INSERT INTO inventory (kind, name, type, host, id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, name, type, host, id) DO UPDATE SET detail = excluded.detail`,
      )
      .run(kind, name, item.type, item.host, item.id, item.detail ? JSON.stringify(item.detail) : null, new Date().toISOString());
  }

  forgetInventory(kind: string, name: string, item: Pick<InventoryItem, 'type' | 'host' | 'id'>): void {
    this.db
      .prepare('DELETE FROM inventory WHERE kind = ? AND name = ? AND type = ? AND host = ? AND id = ?')
      .run(kind, name, item.type, item.host, item.id);
  }

  // ── cache (per-resource key/value, for reconcilers) ─────────────────────

  loadCache(kind: string, name: string): Map<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM cache WHERE kind = ? AND name = ?').all(kind, name) as Array<{ key: string; value: string }>;
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  saveCache(kind: string, name: string, entries: ReadonlyMap<string, string>): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cache WHERE kind = ? AND name = ?').run(kind, name);
      const insert = this.db.prepare('INSERT INTO cache (kind, name, key, value) VALUES (?, ?, ?, ?)');
      for (const [key, value] of entries) insert.run(kind, name, key, value);
    })();
  }

  // ── events ───────────────────────────────────────────────────────────────

  /** Records an event; a repeat of the latest event of the resource (same type, reason, message) bumps its count. */
  recordEvent(kind: string, name: string, type: 'Normal' | 'Warning', reason: string, rawMessage: string, time = new Date()): void {
    const message = redact(rawMessage); // a secret value never enters the store
    const last = this.db
      .prepare('SELECT seq, type, reason, message FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT 1')
      .get(kind, name) as { seq: number; type: string; reason: string; message: string } | undefined;
    if (last && last.type === type && last.reason === reason && last.message === message) {
      this.db.prepare('UPDATE events SET count = count + 1, time = ? WHERE seq = ?').run(time.toISOString(), last.seq);
      return;
    }
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO events (kind, name, type, reason, message, time) VALUES (?, ?, ?, ?, ?, ?)')
        .run(kind, name, type, reason, message, time.toISOString());
      this.db
        .prepare(
          `DELETE FROM events WHERE kind = ? AND name = ? AND seq NOT IN
             (SELECT seq FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT ?)`,
        )
        .run(kind, name, kind, name, EVENTS_PER_RESOURCE);
    })();
  }

  listEvents(kind: string, name: string, limit = 20): EventRow[] {
    const rows = this.db
      .prepare('SELECT kind, name, type, reason, message, time, count FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT ?')
      .all(kind, name, limit) as EventRow[];
    return rows.reverse();
  }

  // ── controller conditions ────────────────────────────────────────────────

  putControllerCondition(condition: Condition): void {
    this.db
      .prepare('INSERT INTO controller_conditions (type, body) VALUES (?, ?) ON CONFLICT (type) DO UPDATE SET body = excluded.body')
      .run(condition.type, JSON.stringify(redactDeep(condition)));
  }

  listControllerConditions(): Condition[] {
    const rows = this.db.prepare('SELECT body FROM controller_conditions ORDER BY type').all() as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as Condition);
  }
}

function toResourceRow(row: Record<string, string>): ResourceRow {
  return {
    kind: row.kind!,
    name: row.name!,
    host: row.host!,
    file: row.file!,
    generation: row.generation!,
    resource: JSON.parse(row.body!) as Resource,
    createdAt: row.created_at!,
  };
}
