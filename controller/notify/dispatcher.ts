/**
 * The dispatcher: turns what the state store writes into notifications and hands them to each Notifier's outbox.
 * It listens to the store's change feed (cheap: the listener only notes what changed) and does the work once per
 * turn of the event loop: Ready changes first (from the statuses written, read from memory), then events, then the
 * controller's conditions, so that a run's failure event groups with the Ready change it caused. Each occurrence
 * goes to every Notifier in force that wants it (targets.ts), through the grouping (grouping.ts), into that
 * Notifier's bounded outbox (routes.ts, outbox.ts), which sends with the Notifier's wire format and token and
 * reports back to the Notifier kind.
 */
import type { Logger } from 'pino';
import { parseKey } from '../../reconcilers/core/resource.js';
import { NOTIFIER_HOST } from '../../reconcilers/notifier/index.js';
import type { StoreChange } from '../state/changes.js';
import type { StateStore } from '../state/store.js';
import { ControllerConditionTracker } from './controller-conditions.js';
import { Grouping, GROUP_WINDOW_MS } from './grouping.js';
import { subjectOf, type Occurrence } from './notification.js';
import type { RetryPolicy } from './outbox.js';
import { ReadyTracker } from './ready-tracker.js';
import { NotifierRoutes } from './routes.js';
import { notifierTargets, wants } from './targets.js';

export interface DispatcherOptions {
  store: StateStore;
  /** Asks the controller to reconcile `KIND/NAME` now (a Notifier whose health changed). */
  reconcileNow(key: string): void;
  log: Logger;
  /** One message per Notifier, resource and reason per window. Default 10 minutes. */
  groupWindowMs?: number;
  retry?: RetryPolicy;
  /** Notifications waiting per Notifier. Default 100. */
  queueCapacity?: number;
  /** Deadline of one request. Default 10 s. */
  requestTimeoutMs?: number;
}

/** Events noted per turn at most; a burst past it is dropped (and logged), never held. */
const MAX_PENDING_EVENTS = 10_000;

interface Pending {
  statuses: Set<string>;
  events: Array<Extract<StoreChange, { type: 'event' }>>;
  conditions: Array<Extract<StoreChange, { type: 'controller' }>['condition']>;
  resources: boolean;
  deleted: Set<string>;
  overflow: number;
}

export class NotificationDispatcher {
  private readonly ready = new ReadyTracker();
  private readonly controllerConditions = new ControllerConditionTracker(NOTIFIER_HOST);
  private readonly grouping: Grouping;
  private readonly routes: NotifierRoutes;
  private readonly unsubscribe: () => void;
  private pending: Pending = emptyPending();
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.grouping = new Grouping(opts.groupWindowMs ?? GROUP_WINDOW_MS);
    this.routes = new NotifierRoutes(opts);
    this.syncTargets();
    this.unsubscribe = opts.store.onChange((change) => this.note(change));
  }

  /**
   * Remembers what the store holds now (Ready per resource, the controller's conditions) without telling anything:
   * at start, and when the first Notifier appears (without one, nothing is tracked: a lab without Notifiers pays
   * only for noting resource changes).
   */
  private seed(): void {
    const { store } = this.opts;
    for (const row of store.listResources()) this.ready.seed(`${row.kind}/${row.name}`, store.getStatus(row.kind, row.name).conditions);
    for (const condition of store.listControllerConditions()) this.controllerConditions.seed(condition);
  }

  /** Resolves when what was noted has been routed and every outbox is idle (tests). */
  async settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.scheduled) this.flush();
    await this.routes.idle();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.routes.close();
  }

  // ── the listener: note, never work ────────────────────────────────────────

  private note(change: StoreChange): void {
    const p = this.pending;
    if (this.routes.size === 0 && change.type !== 'resources') return;
    switch (change.type) {
      case 'status':
        p.statuses.add(`${change.kind}/${change.name}`);
        break;
      case 'event':
        if (p.events.length < MAX_PENDING_EVENTS) p.events.push(change);
        else p.overflow += 1;
        break;
      case 'controller':
        p.conditions.push(change.condition);
        break;
      case 'resources':
        p.resources = true;
        if (change.deleted && change.kind && change.name) p.deleted.add(`${change.kind}/${change.name}`);
        break;
    }
    this.scheduled ??= setImmediate(() => this.flush());
  }

  // ── once per turn ─────────────────────────────────────────────────────────

  private flush(): void {
    this.scheduled = undefined;
    if (this.stopped) return;
    const p = this.pending;
    this.pending = emptyPending();
    try {
      this.work(p);
    } catch (err) {
      // Notifications are a report: a failure here is logged, never allowed to take the controller down.
      this.opts.log.error({ err }, 'routing notifications failed');
    }
  }

  private work(p: Pending): void {
    if (p.overflow > 0) this.opts.log.warn({ dropped: p.overflow }, 'too many events at once: some were not considered for notifications');
    for (const key of p.deleted) {
      this.ready.forget(key);
      this.grouping.forget(key);
    }
    if (p.resources) this.syncTargets();
    const { store } = this.opts;
    for (const key of p.statuses) {
      const { kind, name } = parseKey(key);
      const occurrence = this.ready.update(key, this.subject(kind, name), store.getStatus(kind, name).conditions);
      if (occurrence) this.route(occurrence);
    }
    for (const { kind, name, event } of p.events) this.route({ ...this.subject(kind, name), ...event });
    for (const condition of p.conditions) {
      const occurrence = this.controllerConditions.update(condition);
      if (occurrence) this.route(occurrence);
    }
  }

  private subject(kind: string, name: string): Pick<Occurrence, 'kind' | 'name' | 'host'> {
    return { kind, name, host: this.opts.store.getResource(kind, name)?.host ?? '' };
  }

  private route(occurrence: Occurrence): void {
    const resource = subjectOf(occurrence);
    if (occurrence.resolves) this.grouping.forget(resource);
    const now = Date.now();
    for (const [name, route] of this.routes.entries()) {
      if (!wants(route.target, occurrence)) continue;
      const decision = this.grouping.offer(name, resource, occurrence.reason, now);
      if (!decision.send) {
        this.routes.countGrouped(name);
        continue;
      }
      const { resolves: _resolves, ...fields } = occurrence;
      route.outbox.push({ ...fields, count: decision.count });
    }
  }

  // ── the Notifiers in force ────────────────────────────────────────────────

  private syncTargets(): void {
    const targets = new Map(notifierTargets(this.opts.store).map((t) => [t.name, t]));
    if (this.routes.size === 0 && targets.size > 0) this.seed();
    for (const gone of this.routes.sync(targets)) this.grouping.forgetNotifier(gone);
  }
}

function emptyPending(): Pending {
  return { statuses: new Set(), events: [], conditions: [], resources: false, deleted: new Set(), overflow: 0 };
}
