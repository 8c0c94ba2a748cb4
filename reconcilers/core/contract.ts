/**
 * The contract every resource kind implements, in the spirit of mgmt's CheckApply and controller-runtime's
 * Reconcile: `observe` the host, a **pure** `plan` from spec + observation to printable changes, `apply` them,
 * `verify`, and `finalize` on delete (remove exactly the inventory, nothing else). `diff` and dry runs come from
 * `plan` for free, and `plan(spec, observe-after-apply)` must be empty: the machine checks that after every apply.
 *
 * Reconcilers are level-based: they receive the whole desired spec and re-read the live state every time,
 * never an event. Throw `StalledError` for problems only a human (or a spec change) can fix; anything else is
 * retried with backoff (`RetryableError` names the reason Ready shows meanwhile). See errors.ts.
 */
import type { Logger } from 'pino';
import type { Disposable, Host } from '../host/index.js';
import type { Problem } from './problem.js';
import type { Resource } from './resource.js';

export { StalledError, RetryableError, isStalledError } from './errors.js';

/** Something a resource created on a host, recorded so that prune removes exactly it. */
export interface InventoryItem {
  /** What it is: `file`, `directory`, `config-line`, `container`, `mount`, ... */
  type: string;
  /** Host name it lives on. */
  host: string;
  /** Identity within type + host: a path, a container id, `path#line`. */
  id: string;
  /** What finalize needs to remove it, and what `describe` shows. Never a secret. */
  detail?: Record<string, unknown>;
}

/** One printable step of a plan. */
export interface Change {
  /** A verb: `create`, `write`, `update`, `delete`, `restart`, `heartbeat`, ... */
  action: string;
  /** What it acts on, e.g. `pve:/etc/cron.d/homeostat-hdd`. */
  target: string;
  /** One line for `diff`, events and logs. Never a secret. */
  summary: string;
  /** Optional detail lines for `diff`, prefixed `+ ` / `- ` / `  `. */
  details?: string[];
}

/** A condition a reconciler reports about the live state (besides Ready/Reconciling/Stalled, which the runtime owns). */
export interface ReportedCondition {
  type: 'Degraded';
  reason: string;
  message: string;
}

export interface Plan<C extends Change = Change> {
  changes: C[];
  /** The resource works but not as declared (e.g. disk not mounted). Not an error: no backoff. */
  degraded?: ReportedCondition;
  /** Reconcile again after this long even without drift (e.g. the next heartbeat). */
  requeueAfterMs?: number;
  /**
   * What `diff` should say that is not a change (e.g. a container adopted in place as it runs): one line each,
   * never a secret. A plan with notes and no changes is empty: nothing to apply, `diff` exits 0.
   */
  notes?: string[];
}

/** What a pure `plan` may know besides spec and observation. */
export interface PlanInput {
  name: string;
  /** Milliseconds since the epoch, fixed for the whole run. */
  now: number;
  inventory: readonly InventoryItem[];
  /** What the reconciler remembered from earlier runs (see ReconcileContext.memo). */
  memo: Readonly<Record<string, unknown>>;
}

/** A per-resource key/value table in the state store, for what is too big for `memo` (e.g. a content-hash index). Never secrets. */
export interface ResourceCache {
  load(): Map<string, string>;
  /** Replaces every entry (atomically). */
  save(entries: ReadonlyMap<string, string>): void;
}

export interface ReconcileContext<Spec = unknown> {
  resource: Resource<Spec>;
  host: Host;
  /** Aborts when the controller shuts down or the resource is deleted mid-run: pass it to I/O. */
  signal: AbortSignal;
  now: number;
  /** Inventory as recorded before this run. */
  inventory: readonly InventoryItem[];
  /**
   * Record an inventory item (an item with the same type, host and id is replaced: its detail updated); resolves
   * once it is on disk: await it before the host change it describes. Records of one turn share one fsync.
   */
  recordInventory(item: InventoryItem): Promise<void>;
  /** Forget an inventory item (after the host change; committed with the next commit). */
  forgetInventory(item: Pick<InventoryItem, 'type' | 'host' | 'id'>): void;
  /** Small JSON-able values kept between runs in the state store (not in git, never secrets). */
  memo: Record<string, unknown>;
  /** Bigger data kept between runs, per resource; dropped with the resource. */
  cache: ResourceCache;
  /** Status fields shown by `describe` and the API (e.g. `lastHeartbeat`, `forwardedPort`). Merged, persisted. */
  setStatus(fields: Record<string, unknown>): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  log: Logger;
}

/**
 * A condition a kind owns besides the runtime's (e.g. VpnSidecar's `TunnelUp`), reported by `verify` on every
 * converged run. Positive: True is good, False makes Ready False with its reason, Unknown leaves Ready alone.
 * One no longer reported is removed. See controller/state/kind-conditions.ts.
 */
export interface KindCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface VerifyResult {
  degraded?: ReportedCondition;
  /** The kind's own conditions, most important first (the first False one is Ready's reason). */
  conditions?: KindCondition[];
}

export interface Reconciler<Spec = unknown, Observed = unknown, C extends Change = Change, P extends Plan<C> = Plan<C>> {
  readonly kind: string;
  /** The Host a resource acts on (`spec.host`, default `local`). */
  hostOf(spec: Spec, name: string): string;
  /**
   * Checks the schema cannot express (pure). Each problem names the field path from the spec, e.g.
   * `spec.interval`. A problem makes the resource Stalled/InvalidSpec until the spec changes.
   */
  validate?(spec: Spec): Problem[];
  observe(ctx: ReconcileContext<Spec>): Promise<Observed>;
  plan(spec: Spec, observed: Observed, input: PlanInput): P;
  apply(changes: C[], observed: Observed, ctx: ReconcileContext<Spec>): Promise<void>;
  /**
   * Extra checks after a converged plan (e.g. the device exists inside the container). Gets the observation the
   * plan was made from and that plan (empty of changes: after an apply it is the confirming plan), so it never
   * plans again.
   */
  verify?(observed: Observed, plan: P, ctx: ReconcileContext<Spec>): Promise<VerifyResult>;
  /** Remove what `ctx.inventory` lists (and only that), forgetting each item as it goes. */
  finalize(ctx: ReconcileContext<Spec>): Promise<void>;
  /** Host paths whose change should trigger a reconcile (drift). */
  watchTargets?(spec: Spec, name: string): string[];
  /**
   * Drift that is not a host file (e.g. the Docker events stream): subscribe, and call `drift.trigger()` when the
   * live state may have changed. The controller calls it when the resource's host or generation changes (closing
   * the previous subscription) and closes it on suspend, delete and shutdown. It may run alongside watchTargets.
   */
  watch?(spec: Spec, name: string, drift: DriftWatch): Disposable;
}

/** What a reconciler's `watch` gets from the controller. */
export interface DriftWatch {
  host: Host;
  log: Logger;
  /**
   * Queue a reconcile of the resource. With an event, record it first (for what the watch itself did at once,
   * e.g. stopping a container that leaks traffic around a kill switch). Never put a secret in it.
   */
  trigger(event?: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
}
