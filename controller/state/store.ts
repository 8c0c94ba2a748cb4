/**
 * The state store: one SQLite file (better-sqlite3, WAL) in the state directory holding what must survive a
 * restart and what `get`, `describe` and the HTTP API read: resources as last applied, their status
 * (conditions, observedGeneration, lastAppliedRevision, reconciler status fields, memo), the inventory of what
 * each resource created, events, and controller-level conditions. Secrets never enter it: specs only name
 * secret files.
 *
 * Group commit: what only reports or remembers between runs (status with its memo, events, cache, controller
 * conditions) is written in one transaction per turn of the event loop, however many resources settle in it,
 * instead of one fsync'd commit each (a pass over a hundred resources made two hundred, and they were most of
 * its time); such a commit is not fsync'd (it reaches the disk, in order, with the next durable commit). The writing store keeps statuses, inventories and resource rows in memory and reads them from there;
 * events and controller conditions are read after committing what is pending. `afterCommit` runs a callback once what was written so
 * far is on disk. Resource rows are immediate: a resource is on disk before anything is recorded for it. An
 * inventory record is durable before the host change it describes (`await recordInventory`, see
 * reconcilers/lxc-config/apply.ts), the records of one turn sharing one commit; forgets ride with the next commit.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import type { Resource, Revision } from '../../reconcilers/core/resource.js';
import { redact, redactDeep } from '../../reconcilers/core/redact.js';
import type { Condition } from './conditions.js';
import { ChangeFeed, type StoreChangeListener } from './changes.js';

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

/** Commits of report-only writes are at least this far apart during a burst (see scheduleCommit). */
const COMMIT_INTERVAL_MS = 20;
/** How long an inventory record may wait for others to share its commit during a burst. */
const DURABLE_COMMIT_INTERVAL_MS = 4;
/**
 * A durable commit blocks the event loop for its fsync; during a burst records wait long enough that fsyncs take
 * at most a tenth of the time (on a slow disk, or one busy with other writers, a pass of a thousand resources spent
 * ~0.5 s in them), never longer than DURABLE_COMMIT_MAX_INTERVAL_MS.
 */
const DURABLE_FSYNC_SHARE = 0.1;
const DURABLE_COMMIT_MAX_INTERVAL_MS = 40;

/** Events kept per resource; older ones are dropped (in batches: up to EVENTS_TRIM_SLACK more wait for the next trim). */
export const EVENTS_PER_RESOURCE = 100;
const EVENTS_TRIM_SLACK = 20;

export function emptyStatus(): ResourceStatus {
  return { conditions: [], observedGeneration: null, lastAppliedRevision: null, lastReconcileTime: null, fields: {}, memo: {} };
}

export class StateStore {
  private readonly database: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Writes waiting for this turn's commit: statuses and caches by `kind/name` (the last one wins), then the rest in order. */
  private pendingStatus = new Map<string, { kind: string; name: string; body: string }>();
  private pendingCache = new Map<string, { kind: string; name: string; entries: Array<[string, string]> }>();
  private pending: Array<() => void> = [];
  /** Inventory records and forgets, in order; committed first in the next transaction. */
  private pendingInventory: Array<() => void> = [];
  /** Callers of recordInventory waiting for their record to be on disk. */
  private durableWaiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  private afterCommitCallbacks: Array<() => void> = [];
  private commitScheduled: { at: number; timer?: NodeJS.Timeout; immediate?: NodeJS.Immediate } | undefined;
  private lastCommitAt = -Infinity;
  /** The last commit an awaited inventory record was waiting for (the pacing of records is their own). */
  private lastDurableCommitAt = -Infinity;
  /** How long the recent durable commits took (a moving average), for the pacing of records. */
  private durableCommitMs = 0;
  /** A deferred commit that failed: thrown by the next call that commits, so it is never silent. */
  private commitError: unknown;
  /**
   * The writing store is the only writer (the state lock), so what it read or wrote stays true: status bodies and
   * inventories are kept in memory (inventories read from SQLite in one query, then kept as recorded and forgotten). A read-only store (another process) keeps
   * nothing.
   */
  private readonly statusBodies: Map<string, string> | undefined;
  /** The writing store's statuses as last parsed from `statusBodies` (frozen). */
  private readonly statusObjects: Map<string, ResourceStatus> | undefined;
  private readonly inventories: Map<string, InventoryEntry[]> | undefined;
  /** Frozen item lists of `inventories`, made when asked for. */
  private readonly inventoryViews = new Map<string, readonly InventoryItem[]>();
  private readonly resourceRows: Map<string, ResourceRow> | undefined;
  private resourceRowsLoaded = false;
  /** The writing store's latest event and event count per resource (read once): a repeat is found without a query. */
  private readonly eventTails: Map<string, { seq: number; type: string; reason: string; message: string; count: number }> | undefined;
  /** The writing store's inventories were all read in one query (see listInventory). */
  private inventoriesLoaded = false;
  /** The connection's `synchronous` setting now (set per transaction: FULL when it must be durable). */
  private synchronous: 'FULL' | 'NORMAL' = 'FULL';
  /** What changed, as it is written (changes.ts): the status page's stream and the notifications listen. */
  readonly changes = new ChangeFeed();

  constructor(stateDir: string, opts: { readonly?: boolean } = {}) {
    if (!opts.readonly) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.database = new Database(join(stateDir, 'state.db'), { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      this.database.pragma('journal_mode = WAL');
      // FULL: a commit fsyncs the WAL, so an inventory row is on disk before the write it describes is made
      // (with NORMAL a power cut could lose it after that write was fsync'd; measured in bench/store-durability.ts).
      // Report-only commits switch to NORMAL for their transaction (see commit()).
      this.database.pragma('synchronous = FULL');
      this.database.exec(SCHEMA);
    }
    this.database.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      this.statusBodies = new Map();
      this.statusObjects = new Map();
      this.inventories = new Map();
      this.eventTails = new Map();
      this.resourceRows = new Map();
    }
  }

  /** Tells `listener` every change as it is written (changes.ts); returns the unsubscribe. */
  onChange(listener: StoreChangeListener): () => void {
    return this.changes.subscribe(listener);
  }

  /** The database, with everything pending committed (for tests and maintenance). */
  get db(): Database.Database {
    this.commit();
    return this.database;
  }

  close(): void {
    if (this.database.open) {
      try {
        this.commit();
      } finally {
        this.database.close();
      }
    }
  }

  /** Commits every pending write (inventory first) in one transaction, then tells the awaiting records and the afterCommit callbacks. */
  commit(): void {
    if (this.commitScheduled?.timer) clearTimeout(this.commitScheduled.timer);
    if (this.commitScheduled?.immediate) clearImmediate(this.commitScheduled.immediate);
    this.commitScheduled = undefined;
    const failed = this.commitError;
    if (failed !== undefined) {
      this.commitError = undefined;
      throw failed;
    }
    const inventory = this.pendingInventory;
    const durable = this.durableWaiters;
    const statuses = this.pendingStatus;
    const caches = this.pendingCache;
    const writes = this.pending;
    const callbacks = this.afterCommitCallbacks;
    this.pendingInventory = [];
    this.durableWaiters = [];
    this.pendingStatus = new Map();
    this.pendingCache = new Map();
    this.pending = [];
    this.afterCommitCallbacks = [];
    if (inventory.length + statuses.size + caches.size + writes.length > 0) {
      this.lastCommitAt = performance.now();
      if (durable.length > 0) this.lastDurableCommitAt = this.lastCommitAt;
      try {
        // Only inventory must be on disk when its commit returns. A commit of report-only writes (statuses, events,
        // cache, controller conditions: what the next run writes again) skips the fsync: it reaches the disk with
        // the next durable commit or checkpoint, in order (the WAL is a log), so a power cut can lose the last
        // moments of reports, never a record. An fsync here blocked the event loop for each burst of a pass.
        this.setSynchronous(inventory.length > 0 ? 'FULL' : 'NORMAL');
        const started = performance.now();
        this.database.transaction(() => {
          for (const write of inventory) write();
          for (const { kind, name, body } of statuses.values()) {
            this.sql('INSERT INTO status (kind, name, body) VALUES (?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body').run(kind, name, body);
          }
          for (const { kind, name, entries } of caches.values()) {
            this.sql('DELETE FROM cache WHERE kind = ? AND name = ?').run(kind, name);
            for (const [key, value] of entries) this.sql('INSERT INTO cache (kind, name, key, value) VALUES (?, ?, ?, ?)').run(kind, name, key, value);
          }
          for (const write of writes) write();
        })();
        if (inventory.length > 0) this.durableCommitMs = 0.7 * this.durableCommitMs + 0.3 * (performance.now() - started);
      } catch (err) {
        for (const waiter of durable) waiter.reject(err);
        throw err;
      }
    }
    for (const waiter of durable) waiter.resolve();
    for (const callback of callbacks) callback();
  }

  /** Runs `callback` once everything written so far is committed (at the end of this turn). */
  afterCommit(callback: () => void): void {
    this.afterCommitCallbacks.push(callback);
    this.scheduleCommit();
  }

  /** A report-only write, committed with the others of this turn. */
  private defer(write: () => void): void {
    this.pending.push(write);
    this.scheduleCommit();
  }

  /**
   * Commits at the end of this turn, or, when the last commit was under `intervalMs` ago (a burst: a pass over
   * many resources), once that interval has passed: a lone change is on disk at once, a burst costs at most one
   * fsync per interval. Report-only writes wait up to COMMIT_INTERVAL_MS; an inventory record, which its run
   * awaits, DURABLE_COMMIT_INTERVAL_MS (an earlier commit takes whatever else is pending along).
   */
  private scheduleCommit(intervalMs = COMMIT_INTERVAL_MS, durable = false): void {
    const at = Math.max(performance.now(), (durable ? this.lastDurableCommitAt : this.lastCommitAt) + intervalMs);
    if (this.commitScheduled && this.commitScheduled.at <= at) return;
    if (this.commitScheduled?.timer) clearTimeout(this.commitScheduled.timer);
    if (this.commitScheduled?.immediate) clearImmediate(this.commitScheduled.immediate);
    const run = () => {
      this.commitScheduled = undefined;
      const unreported = this.pendingStatus.size + this.pendingCache.size + this.pending.length + this.pendingInventory.length > this.durableWaiters.length;
      try {
        this.commit();
      } catch (err) {
        // Awaited records were rejected with it; anything else would be lost silently: the next call throws it.
        if (unreported) this.commitError ??= err;
      }
    };
    const wait = at - performance.now();
    this.commitScheduled = wait > 0 ? { at, timer: setTimeout(run, wait) } : { at, immediate: setImmediate(run) };
  }

  private setSynchronous(mode: 'FULL' | 'NORMAL'): void {
    if (this.synchronous === mode || this.database.readonly) return;
    this.database.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  /** A prepared statement, prepared once per store. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.database.prepare(text)));
    return statement;
  }

  // ── resources ────────────────────────────────────────────────────────────

  upsertResource(row: Omit<ResourceRow, 'createdAt'>): void {
    this.upsertResources([row]);
  }

  /** Stores resources as accepted, all in one transaction (immediate and durable). */
  upsertResources(rows: ReadonlyArray<Omit<ResourceRow, 'createdAt'>>): void {
    const now = new Date().toISOString();
    this.setSynchronous('FULL');
    this.database.transaction(() => {
      for (const row of rows) {
        this.sql(
          `INSERT INTO resources (kind, name, host, file, generation, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (kind, name) DO UPDATE SET host = excluded.host, file = excluded.file,
             generation = excluded.generation, body = excluded.body`,
        ).run(row.kind, row.name, row.host, row.file, row.generation, JSON.stringify(row.resource), now);
      }
    })();
    if (this.resourceRows) {
      for (const row of rows) {
        const key = `${row.kind}/${row.name}`;
        this.resourceRows.set(key, { ...row, createdAt: this.resourceRows.get(key)?.createdAt ?? now });
      }
    }
    if (rows.length > 0 && this.changes.active) this.changes.emit({ type: 'resources', deleted: false });
  }

  /** Every resource (of `kind`), by kind and name. The writing store answers from memory: do not change the rows. */
  listResources(kind?: string): ResourceRow[] {
    if (this.resourceRows) {
      const rows = [...this.loadResourceRows().values()].filter((r) => kind === undefined || r.kind === kind);
      return rows.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    const rows = (
      kind
        ? this.sql('SELECT * FROM resources WHERE kind = ? ORDER BY kind, name').all(kind)
        : this.sql('SELECT * FROM resources ORDER BY kind, name').all()
    ) as Array<Record<string, string>>;
    return rows.map(toResourceRow);
  }

  getResource(kind: string, name: string): ResourceRow | null {
    if (this.resourceRows) return this.loadResourceRows().get(`${kind}/${name}`) ?? null;
    const row = this.sql('SELECT * FROM resources WHERE kind = ? AND name = ?').get(kind, name) as Record<string, string> | undefined;
    return row ? toResourceRow(row) : null;
  }

  /** The writing store's rows, read from SQLite once. */
  private loadResourceRows(): Map<string, ResourceRow> {
    if (!this.resourceRowsLoaded) {
      for (const raw of this.sql('SELECT * FROM resources').all() as Array<Record<string, string>>) {
        const row = toResourceRow(raw);
        if (!this.resourceRows!.has(`${row.kind}/${row.name}`)) this.resourceRows!.set(`${row.kind}/${row.name}`, row);
      }
    }
    this.resourceRowsLoaded = true;
    return this.resourceRows!;
  }

  /** Forget a resource entirely (after finalize, or prune disabled). Events stay for `describe` history. */
  deleteResource(kind: string, name: string): void {
    if (this.pendingInventory.length > 0) this.commit();
    for (const pending of [this.pendingStatus, this.pendingCache, this.statusBodies, this.statusObjects, this.inventories, this.inventoryViews, this.resourceRows]) pending?.delete(`${kind}/${name}`);
    this.setSynchronous('FULL');
    this.database.transaction(() => {
      for (const table of ['resources', 'status', 'inventory', 'cache']) this.sql(`DELETE FROM ${table} WHERE kind = ? AND name = ?`).run(kind, name);
    })();
    if (this.changes.active) this.changes.emit({ type: 'resources', kind, name, deleted: true });
  }

  // ── status ───────────────────────────────────────────────────────────────

  getStatus(kind: string, name: string): ResourceStatus {
    const key = `${kind}/${name}`;
    const parsed = this.statusObjects?.get(key);
    if (parsed) return { ...parsed };
    let body = this.statusBodies?.get(key);
    if (body === undefined) {
      body = (this.sql('SELECT body FROM status WHERE kind = ? AND name = ?').get(kind, name) as { body: string } | undefined)?.body ?? '{}';
      this.statusBodies?.set(key, body);
    }
    const status: ResourceStatus = { ...emptyStatus(), ...(JSON.parse(body) as Partial<ResourceStatus>) };
    if (!this.statusObjects) return status;
    // Parsed once per write, shared frozen (a caller builds the next status, it never changes this one in place).
    this.statusObjects.set(key, deepFreeze(status));
    return { ...status };
  }

  putStatus(kind: string, name: string, status: ResourceStatus): void {
    const key = `${kind}/${name}`;
    const body = JSON.stringify(redactDeep(status));
    this.pendingStatus.set(key, { kind, name, body });
    this.statusBodies?.set(key, body);
    this.statusObjects?.delete(key);
    this.scheduleCommit();
    if (this.changes.active) this.changes.emit({ type: 'status', kind, name });
  }

  // ── inventory: a record durable once awaited ─────────────────────────────

  /** The resource's inventory, frozen (shared between callers: copy before changing). */
  listInventory(kind: string, name: string): readonly InventoryItem[] {
    const key = `${kind}/${name}`;
    if (!this.inventories) {
      // A read-only store (another process): what is on disk now.
      const rows = this.sql('SELECT type, host, id, detail, created_at FROM inventory WHERE kind = ? AND name = ? ORDER BY created_at, type, id').all(kind, name) as InventoryRow[];
      return deepFreeze(rows.map((r) => inventoryEntry(r).item));
    }
    this.loadInventories();
    let view = this.inventoryViews.get(key);
    if (!view) {
      view = Object.freeze((this.inventories.get(key) ?? []).map((e) => e.item));
      this.inventoryViews.set(key, view);
    }
    return view;
  }

  /**
   * The writing store reads every inventory in one query at its first use (a cold start asked once per resource),
   * and from then on keeps it in memory as it records and forgets (it is the only writer), in the order SQLite
   * gives (when recorded, then type and id).
   */
  private loadInventories(): void {
    if (this.inventoriesLoaded) return;
    this.inventoriesLoaded = true;
    const rows = this.sql('SELECT kind, name, type, host, id, detail, created_at FROM inventory ORDER BY created_at, type, id').all() as Array<
      InventoryRow & { kind: string; name: string }
    >;
    for (const r of rows) {
      const key = `${r.kind}/${r.name}`;
      let entries = this.inventories!.get(key);
      if (!entries) this.inventories!.set(key, (entries = []));
      entries.push(inventoryEntry(r));
    }
  }

  /** Changes the writing store's copy of a resource's inventory (after loadInventories). */
  private updateInventory(key: string, change: (entries: InventoryEntry[]) => InventoryEntry[]): void {
    if (!this.inventories) return;
    this.loadInventories();
    const next = change(this.inventories.get(key) ?? []);
    if (next.length === 0) this.inventories.delete(key);
    else this.inventories.set(key, next);
    this.inventoryViews.delete(key);
  }

  /**
   * Records an inventory item; resolves once it is committed and fsync'd (await it before the host change it
   * describes). Records that several resources make in the same turn share one commit: one fsync, not one each.
   */
  recordInventory(kind: string, name: string, item: InventoryItem): Promise<void> {
    const detail = item.detail ? JSON.stringify(item.detail) : null;
    const at = new Date().toISOString();
    this.updateInventory(`${kind}/${name}`, (entries) => {
      const same = entries.findIndex((e) => sameItem(e.item, item));
      const row: InventoryRow = { type: item.type, host: item.host, id: item.id, detail, created_at: same >= 0 ? entries[same]!.at : at };
      const next = entries.filter((_, i) => i !== same);
      next.push(inventoryEntry(row));
      return next.sort(byRecordOrder);
    });
    this.pendingInventory.push(() =>
      this.sql(
        `INSERT INTO inventory (kind, name, type, host, id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, name, type, host, id) DO UPDATE SET detail = excluded.detail`,
      ).run(kind, name, item.type, item.host, item.id, detail, at),
    );
    return new Promise<void>((resolve, reject) => {
      this.durableWaiters.push({ resolve, reject });
      const interval = Math.min(DURABLE_COMMIT_MAX_INTERVAL_MS, Math.max(DURABLE_COMMIT_INTERVAL_MS, this.durableCommitMs / DURABLE_FSYNC_SHARE));
      this.scheduleCommit(interval, true);
    });
  }

  /**
   * Forgets an inventory item, committed with the next commit: a forget that a crash loses leaves a record of
   * something already undone, which the next run forgets again (a record lost would leave an orphan; a forget
   * lost cannot).
   */
  forgetInventory(kind: string, name: string, item: Pick<InventoryItem, 'type' | 'host' | 'id'>): void {
    this.updateInventory(`${kind}/${name}`, (entries) => entries.filter((e) => !sameItem(e.item, item)));
    this.pendingInventory.push(() =>
      this.sql('DELETE FROM inventory WHERE kind = ? AND name = ? AND type = ? AND host = ? AND id = ?').run(kind, name, item.type, item.host, item.id),
    );
    this.scheduleCommit();
  }

  // ── cache (per-resource key/value, for reconcilers) ─────────────────────

  loadCache(kind: string, name: string): Map<string, string> {
    const pending = this.pendingCache.get(`${kind}/${name}`);
    if (pending) return new Map(pending.entries);
    const rows = this.sql('SELECT key, value FROM cache WHERE kind = ? AND name = ?').all(kind, name) as Array<{ key: string; value: string }>;
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  saveCache(kind: string, name: string, entries: ReadonlyMap<string, string>): void {
    this.pendingCache.set(`${kind}/${name}`, { kind, name, entries: [...entries] });
    this.scheduleCommit();
  }

  // ── events ───────────────────────────────────────────────────────────────

  /** Records an event; a repeat of the latest event of the resource (same type, reason, message) bumps its count. */
  recordEvent(kind: string, name: string, type: 'Normal' | 'Warning', reason: string, rawMessage: string, time = new Date()): void {
    const message = redact(rawMessage); // a secret value never enters the store
    const at = time.toISOString();
    this.defer(() => {
      const key = `${kind}/${name}`;
      const last = this.eventTails?.get(key) ?? this.readEventTail(kind, name);
      if (last && last.type === type && last.reason === reason && last.message === message) {
        this.sql('UPDATE events SET count = count + 1, time = ? WHERE seq = ?').run(at, last.seq);
        return;
      }
      const seq = Number(this.sql('INSERT INTO events (kind, name, type, reason, message, time) VALUES (?, ?, ?, ?, ?, ?)').run(kind, name, type, reason, message, at).lastInsertRowid);
      let count = (last?.count ?? 0) + 1;
      if (count > EVENTS_PER_RESOURCE + (this.eventTails ? EVENTS_TRIM_SLACK : 0)) {
        this.sql(
          `DELETE FROM events WHERE kind = ? AND name = ? AND seq NOT IN
             (SELECT seq FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT ?)`,
        ).run(kind, name, kind, name, EVENTS_PER_RESOURCE);
        count = EVENTS_PER_RESOURCE;
      }
      this.eventTails?.set(key, { seq, type, reason, message, count });
    });
    if (this.changes.active) this.changes.emit({ type: 'event', kind, name, event: { type, reason, message, time: at } });
  }

  /** The latest event of a resource and how many it has, from SQLite. */
  private readEventTail(kind: string, name: string): { seq: number; type: string; reason: string; message: string; count: number } | undefined {
    const last = this.sql('SELECT seq, type, reason, message FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT 1').get(kind, name) as
      | { seq: number; type: string; reason: string; message: string }
      | undefined;
    if (!last) return undefined;
    const { count } = this.sql('SELECT COUNT(*) AS count FROM events WHERE kind = ? AND name = ?').get(kind, name) as { count: number };
    return { ...last, count };
  }

  listEvents(kind: string, name: string, limit = 20): EventRow[] {
    this.commit();
    const rows = this.sql('SELECT kind, name, type, reason, message, time, count FROM events WHERE kind = ? AND name = ? ORDER BY seq DESC LIMIT ?').all(
      kind,
      name,
      limit,
    ) as EventRow[];
    return rows.reverse();
  }

  // ── controller conditions ────────────────────────────────────────────────

  putControllerCondition(condition: Condition): void {
    const body = JSON.stringify(redactDeep(condition));
    this.defer(() => this.sql('INSERT INTO controller_conditions (type, body) VALUES (?, ?) ON CONFLICT (type) DO UPDATE SET body = excluded.body').run(condition.type, body));
    if (this.changes.active) this.changes.emit({ type: 'controller', condition: JSON.parse(body) as Condition });
  }

  listControllerConditions(): Condition[] {
    this.commit();
    const rows = this.sql('SELECT body FROM controller_conditions ORDER BY type').all() as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as Condition);
  }
}

interface InventoryRow {
  type: string;
  host: string;
  id: string;
  detail: string | null;
  created_at: string;
}

/** An inventory item as the writing store keeps it: frozen, with when it was first recorded (for SQLite's order). */
interface InventoryEntry {
  item: InventoryItem;
  at: string;
}

function inventoryEntry(r: InventoryRow): InventoryEntry {
  return { item: deepFreeze({ type: r.type, host: r.host, id: r.id, ...(r.detail ? { detail: JSON.parse(r.detail) as unknown } : {}) }) as InventoryItem, at: r.created_at };
}

const sameItem = (a: Pick<InventoryItem, 'type' | 'host' | 'id'>, b: Pick<InventoryItem, 'type' | 'host' | 'id'>) => a.type === b.type && a.host === b.host && a.id === b.id;

/** SQLite's `ORDER BY created_at, type, id`. */
function byRecordOrder(a: InventoryEntry, b: InventoryEntry): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.item.type < b.item.type ? -1 : a.item.type > b.item.type ? 1 : a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0;
}

/** Freezes a JSON value through and through: what the store hands out is shared, never changed in place. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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
