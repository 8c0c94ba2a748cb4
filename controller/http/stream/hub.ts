/**
 * The status page's live stream (`GET /api/v1/events`): a full snapshot when a reader connects, then only what
 * changed. The store's change feed is followed only while at least one reader is connected; its changes are
 * recorded cheaply (pending.ts) and flushed at most every `coalesceMs`: each touched resource's row is re-read
 * and sent only if it differs from the row last sent (compared as JSON), with the controller conditions and the
 * source state when they changed, and the events since the last flush. A delta is encoded once and written to
 * every reader. Readers are bounded in number and in what each may have pending (client.ts); a heartbeat comment
 * goes out every `heartbeatMs` so a reader can tell a quiet lab from a dead connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Condition } from '../../state/conditions.js';
import type { StateStore } from '../../state/store.js';
import type { SourceControl } from '../../source/types.js';
import { listResourceViews, resourceView } from '../../status/views.js';
import { StreamClient, type ClientGone } from './client.js';
import { heartbeatFrame, sseFrame, STREAM_PREAMBLE } from './frames.js';
import { PendingChanges, type StreamEvent } from './pending.js';
import { summarize, summaryKey, type ResourceSummary } from './summary.js';

export interface StreamLimits {
  /** Readers at once; one more is answered 503. */
  maxClients: number;
  /** Changes are sent at most this often. */
  coalesceMs: number;
  heartbeatMs: number;
  /** How far behind (bytes the socket has not taken) a reader may be before it is dropped. */
  maxBufferedBytes: number;
  /** A stream is ended after this long; the page reconnects and gets a fresh snapshot. */
  maxStreamMs: number;
  /** How often the source's state is compared with what was sent (it has no change feed of its own). */
  sourcePollMs: number;
  /** Events per flush (more are dropped, oldest first, and counted); also the recent events a snapshot carries. */
  maxEvents: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxClients: 16,
  coalesceMs: 250,
  heartbeatMs: 15_000,
  maxBufferedBytes: 1 << 20,
  maxStreamMs: 10 * 60_000,
  sourcePollMs: 2_000,
  maxEvents: 200,
};

/** What a delta message carries; a field is absent when it did not change. */
export interface StreamDelta {
  rows: ResourceSummary[];
  removed: string[];
  controller?: Condition[];
  source?: unknown;
  events: StreamEvent[];
  droppedEvents?: number;
}

export interface StreamStats {
  clients: number;
  /** Readers dropped for being too far behind. */
  droppedSlow: number;
  flushes: number;
  /** Delta messages sent (one per flush that had something to say), and their encoded bytes (once, not per reader). */
  deltas: number;
  deltaBytes: number;
  rowsSent: number;
}

export class StatusStream {
  private readonly clients = new Set<StreamClient>();
  private readonly limits: StreamLimits;
  private readonly pending: PendingChanges;
  /** While followed: each row last sent, as JSON, by `kind/name`; the controller conditions; the source state. */
  private rows = new Map<string, string>();
  private controller = new Map<string, string>();
  private sourceJson = 'null';
  private recentEvents: StreamEvent[] = [];
  private unsubscribe: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private sourcePoll: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counters = { droppedSlow: 0, flushes: 0, deltas: 0, deltaBytes: 0, rowsSent: 0 };

  constructor(
    private readonly store: StateStore,
    private readonly source: SourceControl | undefined,
    limits: Partial<StreamLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
    this.pending = new PendingChanges(this.limits.maxEvents);
  }

  get stats(): StreamStats {
    return { clients: this.clients.size, ...this.counters };
  }

  /** Serves one stream on `res` (the request passed the access rules already); 503 when the readers are at their bound. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed || this.clients.size >= this.limits.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '5' });
      res.end(JSON.stringify({ error: `the status stream has ${this.limits.maxClients} readers already; try again later` }) + '\n');
      return;
    }
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, this.limits.heartbeatMs);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    if (this.clients.size === 0) this.follow();
    else this.flush(); // the others get what is pending first, so the snapshot below is exactly what they have
    const client = new StreamClient(res, this.limits, (c, why) => this.left(c, why));
    this.clients.add(client);
    client.send(STREAM_PREAMBLE + sseFrame('snapshot', this.snapshotJson()));
  }

  /** Sends what is pending now, and the source's state if it changed (after an action such as a refresh). */
  poke(): void {
    if (this.clients.size > 0) this.flush();
  }

  /** Ends every stream and stops following the store. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) client.end('shutdown');
    this.stopFollowing();
  }

  private follow(): void {
    this.rows = new Map(listResourceViews(this.store).map((v) => [summaryKey(v), JSON.stringify(summarize(v))]));
    this.controller = new Map(this.store.listControllerConditions().map((c) => [c.type, JSON.stringify(c)]));
    this.sourceJson = this.readSource();
    this.recentEvents = [];
    this.unsubscribe = this.store.onChange((change) => {
      this.pending.record(change);
      this.flushTimer ??= setTimeout(() => this.flush(), this.limits.coalesceMs);
    });
    this.heartbeat = setInterval(() => this.broadcast(heartbeatFrame(new Date())), this.limits.heartbeatMs);
    this.heartbeat.unref();
    if (this.source) {
      this.sourcePoll = setInterval(() => {
        if (this.readSource() !== this.sourceJson) this.flush();
      }, this.limits.sourcePollMs);
      this.sourcePoll.unref();
    }
  }

  private stopFollowing(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of [this.flushTimer, this.heartbeat, this.sourcePoll]) clearTimeout(timer);
    this.flushTimer = this.heartbeat = this.sourcePoll = undefined;
    this.pending.take();
    this.rows = new Map();
    this.controller = new Map();
    this.recentEvents = [];
  }

  private left(client: StreamClient, why: ClientGone): void {
    this.clients.delete(client);
    if (why === 'slow') this.counters.droppedSlow++;
    if (this.clients.size === 0) this.stopFollowing();
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.counters.flushes++;
    const taken = this.pending.take();
    const delta: StreamDelta = { rows: [], removed: [], events: taken.events };
    if (taken.droppedEvents > 0) delta.droppedEvents = taken.droppedEvents;

    const changed = (key: string, view: ReturnType<typeof resourceView>) => {
      if (!view) {
        if (this.rows.delete(key)) delta.removed.push(key);
        return;
      }
      const row = summarize(view);
      const json = JSON.stringify(row);
      if (this.rows.get(key) === json) return;
      this.rows.set(key, json);
      delta.rows.push(row);
    };
    if (taken.allResources) {
      const current = new Map(listResourceViews(this.store).map((v) => [summaryKey(v), v]));
      for (const key of this.rows.keys()) if (!current.has(key)) changed(key, null);
      for (const [key, view] of current) changed(key, view);
    } else {
      for (const key of taken.keys) {
        const slash = key.indexOf('/');
        changed(key, resourceView(this.store, key.slice(0, slash), key.slice(slash + 1)));
      }
    }

    let controllerChanged = false;
    for (const [type, condition] of taken.controller) {
      const json = JSON.stringify(condition);
      if (this.controller.get(type) !== json) {
        this.controller.set(type, json);
        controllerChanged = true;
      }
    }
    if (controllerChanged) delta.controller = this.controllerList();

    const source = this.readSource();
    if (source !== this.sourceJson) {
      this.sourceJson = source;
      delta.source = JSON.parse(source) as unknown;
    }

    if (delta.events.length > 0) this.recentEvents = [...this.recentEvents, ...delta.events].slice(-this.limits.maxEvents);
    if (delta.rows.length === 0 && delta.removed.length === 0 && delta.events.length === 0 && !delta.controller && delta.source === undefined) return;
    const json = JSON.stringify(delta);
    this.counters.deltas++;
    this.counters.deltaBytes += json.length;
    this.counters.rowsSent += delta.rows.length;
    this.broadcast(sseFrame('delta', json));
  }

  private broadcast(frame: string): void {
    for (const client of [...this.clients]) client.send(frame);
  }

  /** The snapshot from what was last sent (the caller flushed first), joined from the cached row JSON. */
  private snapshotJson(): string {
    const { coalesceMs, heartbeatMs } = this.limits;
    return (
      `{"rows":[${[...this.rows.values()].join(',')}],"controller":${JSON.stringify(this.controllerList())},` +
      `"source":${this.sourceJson},"events":${JSON.stringify(this.recentEvents)},"coalesceMs":${coalesceMs},"heartbeatMs":${heartbeatMs}}`
    );
  }

  private controllerList(): Condition[] {
    return [...this.controller.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, json]) => JSON.parse(json) as Condition);
  }

  private readSource(): string {
    if (!this.source) return 'null';
    try {
      return JSON.stringify(this.source.state());
    } catch {
      return this.sourceJson; // state() is not supposed to throw; if it does, keep what was sent
    }
  }
}
