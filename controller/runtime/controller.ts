/**
 * The controller: takes manifest snapshots, keeps the desired state (with the mass-deletion guard), owns one
 * reconcile actor per resource, and runs them through the work queue. Its queue handler glues the roles, each
 * in its own file: the run's context (run-context.ts), the machine deciding what runs (reconcilers/core/machine.ts,
 * which alone decides whether a Stalled resource is looked at again), the status and events an outcome makes
 * (next-status.ts), what happens to the key next (requeue.ts), and drift watches on the hosts (watches.ts).
 */
import type { Logger } from 'pino';
import { createActor, waitFor, type ActorRefFrom } from 'xstate';
import type { Change, InventoryItem, Reconciler } from '../../reconcilers/core/contract.js';
import { startOrder } from './start-order.js';
import { reconcileMachine, SETTLED_STATES, type RunOutcome } from '../../reconcilers/core/machine.js';
import { ANNOTATIONS, keyOf, parseKey, type Resource, type ResourceKey, type Revision } from '../../reconcilers/core/resource.js';
import type { Host } from '../../reconcilers/host/index.js';
import type { Condition } from '../state/conditions.js';
import type { ResourceStatus, StateStore } from '../state/store.js';
import { DesiredState } from './desired.js';
import { HostPool, type HostSpecInput } from './hosts.js';
import { countRun, queueDepth, readyResources, reconcileDuration } from './metrics.js';
import { nextStatus, reconcilingStatus, suspendedStatus, type SettledOutcome } from './next-status.js';
import { WorkQueue } from './queue.js';
import { requeueAfter, scheduleRequeue, type RequeueOutcome } from './requeue.js';
import { buildRunEnv } from './run-context.js';
import { DriftWatches } from './watches.js';

export interface ManifestSnapshot {
  resources: ReadonlyMap<ResourceKey, Resource>;
  revision: Revision;
  /** Errors naming a `kind/name` keep that resource in force as it was (never pruned because of an error). */
  errors?: ReadonlyArray<{ ref?: string }>;
}

export interface ControllerOptions {
  manifestsDir: string;
  stateDir: string;
  store: StateStore;
  log: Logger;
  /** Every kind to reconcile, each once (`allReconcilers`, which includes the Host kind). */
  reconcilers: Reconciler<any, any, Change>[];
  /** Periodic resync of a converged resource (jittered ±20 %). Default 10 minutes. */
  resyncMs?: number;
  /** Resources reconciled at once, all hosts together. Default DEFAULT_CONCURRENCY. */
  concurrency?: number;
  /** Resources of one host reconciled at once. Default DEFAULT_PER_HOST_CONCURRENCY. */
  perHostConcurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long shutdown waits for running applies before aborting them. Default 10 s. */
  drainMs?: number;
  /** A pool of Hosts already connecting (HostPool.prewarm); the controller makes its own when not given. */
  hosts?: HostPool;
  /** Watch hosts for drift (the daemon). A one-shot `apply` does not: it exits once converged. Default true. */
  watchDrift?: boolean;
}

type ReconcileActor = ActorRefFrom<typeof reconcileMachine>;

/**
 * A run mostly waits on its host: file operations over SSH are pipelined on one remote helper, shared facts
 * (running containers) are read once per host, and exec channels queue below sshd's MaxSessions (see
 * SshHostOptions.maxExecChannels), so many runs per host overlap their waits without opening more sessions.
 */
export const DEFAULT_CONCURRENCY = 128;
export const DEFAULT_PER_HOST_CONCURRENCY = 64;

/** What listeners of `onSettled` hear after each run's status is written and committed. */
export interface SettledRun {
  key: ResourceKey;
  generation: string;
  result: SettledOutcome['result'] | 'deleted';
  ready: string;
}

export class Controller {
  readonly desired = new DesiredState();
  readonly hosts: HostPool;
  readonly queue: WorkQueue;
  private readonly reconcilers = new Map<string, Reconciler<any, any, Change>>();
  private readonly actors = new Map<ResourceKey, ReconcileActor>();
  private readonly watches: DriftWatches;
  private readonly deleting = new Map<ResourceKey, Resource>();
  /** Keys asked for by `homeostat reconcile` since their last run. */
  private readonly forced = new Set<ResourceKey>();
  /** Keys whose host state changed (a watch fired) since their last run. */
  private readonly drifted = new Set<ResourceKey>();
  private readonly ready = new Map<ResourceKey, string>();
  private revision: Revision = { commit: null, dirty: false };
  private readonly settledListeners = new Set<(run: SettledRun) => void>();
  private started = false;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.log;
    for (const r of opts.reconcilers) {
      if (this.reconcilers.has(r.kind)) throw new Error(`two reconcilers for kind ${r.kind}`);
      this.reconcilers.set(r.kind, r);
    }
    this.hosts = opts.hosts ?? new HostPool({ manifestsDir: opts.manifestsDir, stateDir: opts.stateDir, log: opts.log });
    this.watches = new DriftWatches({
      hosts: this.hosts,
      log: opts.log,
      onDrift: (key) => {
        this.drifted.add(key);
        this.queue.addRespectingBackoff(key);
      },
      event: (kind, name, type, reason, message) => this.event(kind, name, type, reason, message),
    });
    this.queue = new WorkQueue({
      handler: (key, signal) => this.handle(key, signal),
      groupOf: (key) => this.hostNameOf(key) ?? '',
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      perGroupConcurrency: opts.perHostConcurrency ?? DEFAULT_PER_HOST_CONCURRENCY,
      baseDelayMs: opts.backoffBaseMs ?? 500,
      maxDelayMs: opts.backoffMaxMs ?? 5 * 60_000,
    });
    queueDepth.set(0);
    readyResources.reset();
  }

  /**
   * Starts connecting to these Hosts ahead of the first snapshot (HostPool.prewarm; the daemon's host-prescan);
   * the snapshot's Hosts settle the pool, and its resources are queued as usual.
   */
  async prewarmHosts(hostResources: readonly Resource[]): Promise<void> {
    if (this.started || hostResources.length === 0) return;
    await this.hosts.prewarm(hostResources.filter((r) => r.kind === 'Host') as Resource<HostSpecInput>[]);
  }

  /** Takes a manifest snapshot: updates hosts, queues changed keys, starts prunes (or holds them). */
  async accept(snapshot: ManifestSnapshot): Promise<void> {
    this.revision = snapshot.revision;
    const known = new Map<ResourceKey, Resource>();
    if (!this.started) {
      this.started = true;
      for (const row of this.opts.store.listResources()) known.set(`${row.kind}/${row.name}`, row.resource);
    }
    const disputed = new Set((snapshot.errors ?? []).flatMap((e) => (e.ref ? [e.ref] : [])));
    const change = this.desired.accept(snapshot.resources, known, disputed);
    this.opts.store.upsertResources(
      change.changed.map((key) => {
        const resource = this.desired.get(key)!;
        const row = { kind: resource.kind, name: resource.metadata.name, host: this.hostOfResource(resource) ?? '', file: resource.source.file };
        return { ...row, generation: resource.generation, resource };
      }),
    );
    for (const { key, resource } of change.deleted) this.deleting.set(key, resource);
    this.reportPruneGuard(change.held);

    const changedHosts = await this.syncHosts();
    const keys = new Set<ResourceKey>([...change.changed, ...change.deleted.map((d) => d.key)]);
    for (const resource of this.desired.all()) {
      const host = this.hostOfResource(resource);
      if (host && changedHosts.includes(host)) keys.add(keyOf(resource));
    }
    this.watchAll(keys);
    const items = [...keys].map((key) => {
      const resource = this.desired.get(key) ?? this.deleting.get(key);
      return { key, kind: parseKey(key).kind, host: (resource && this.hostOfResource(resource)) ?? '' };
    });
    for (const key of startOrder(items)) this.queue.add(key);
    queueDepth.set(this.queue.depth);
  }

  /**
   * Sets up the drift watches of every resource in `keys` at once, before any of them runs, so that a host's
   * watch (one inotifywait over SSH) starts with the whole set instead of being restarted as each resource's first
   * run adds its paths. The run ensures its watch again (a no-op when nothing changed).
   */
  private watchAll(keys: Iterable<ResourceKey>): void {
    if (this.opts.watchDrift === false) return;
    for (const key of keys) {
      const resource = this.desired.get(key);
      const reconciler = resource && this.reconcilers.get(resource.kind);
      if (!resource || !reconciler || resource.metadata.annotations[ANNOTATIONS.suspend] === 'true') continue;
      const host = this.hosts.get(reconciler.hostOf(resource.spec, resource.metadata.name));
      if (host) this.watches.ensure(key, resource, reconciler, host);
    }
  }

  /** `homeostat prune --confirm`: releases the deletions the guard holds. */
  confirmPrune(): ResourceKey[] {
    const released = this.desired.confirmPrune();
    for (const { key, resource } of released) {
      this.deleting.set(key, resource);
      this.queue.add(key);
    }
    this.reportPruneGuard([]);
    return released.map((r) => r.key);
  }

  /** `homeostat reconcile KIND/NAME`: run now, even when stalled. Returns false for an unknown key. */
  reconcileNow(key: ResourceKey): boolean {
    if (!this.desired.get(key) && !this.deleting.has(key)) return false;
    this.forced.add(key);
    this.queue.add(key);
    return true;
  }

  /** Calls `listener` after every run's status is written (tests, benchmarks). Returns an unsubscribe. */
  onSettled(listener: (run: SettledRun) => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  /** Resolves when no key is queued or running and what they wrote is committed (listeners told). */
  async idle(): Promise<void> {
    await this.queue.idle();
    await new Promise<void>((resolve) => this.opts.store.afterCommit(resolve));
  }

  /** Stops taking work, lets running applies finish for `drainMs` (default the option's) and aborts the rest. Idempotent. */
  stop(drainMs = this.opts.drainMs ?? 10_000): Promise<void> {
    this.stopping ??= (async () => {
      await this.queue.shutdown(drainMs);
      this.watches.closeAll();
      for (const actor of this.actors.values()) actor.stop();
      this.actors.clear();
      await this.hosts.closeAll();
    })();
    return this.stopping;
  }

  // ── the queue handler: one run of one key ────────────────────────────────

  private async handle(key: ResourceKey, signal: AbortSignal): Promise<void> {
    queueDepth.set(this.queue.depth);
    const deleting = this.deleting.get(key);
    if (deleting && !this.desired.get(key)) return this.finalize(key, deleting, signal);
    const resource = this.desired.get(key);
    if (!resource) return;
    const { kind, name } = parseKey(key);
    const reconciler = this.reconcilers.get(kind);
    const status = this.opts.store.getStatus(kind, name);
    if (!reconciler) {
      return this.settle(resource, status, {
        result: 'stalled',
        generation: resource.generation,
        reason: 'KindNotImplemented',
        message: `this version of homeostat has no reconciler for kind ${kind} yet`,
      });
    }
    const actor = this.actorFor(key);
    if (resource.metadata.annotations[ANNOTATIONS.suspend] === 'true') {
      actor.send({ type: 'SUSPEND' });
      this.watches.close(key);
      this.opts.store.putStatus(kind, name, suspendedStatus(status, resource.generation, new Date()));
      return;
    }
    if (actor.getSnapshot().matches('suspended')) actor.send({ type: 'RESUME' });

    const hostName = reconciler.hostOf(resource.spec, name);
    const host = this.hosts.get(hostName);
    if (!host) {
      return this.settle(resource, status, {
        result: 'stalled',
        generation: resource.generation,
        reason: 'HostNotFound',
        message: `no Host named "${hostName}" is defined`,
      });
    }
    if (this.opts.watchDrift !== false) this.watches.ensure(key, resource, reconciler, host);

    // Whether a Stalled resource runs again (new generation, `homeostat reconcile`, drift on its host) is the
    // machine's call; a RECONCILE it does not take ends as `unchanged`, and nothing is written.
    const force = this.forced.delete(key);
    const drifted = this.drifted.delete(key);
    const started = performance.now();
    const { env, fields } = this.runEnv(resource, reconciler, host, signal);
    actor.send({ type: 'RECONCILE', env, force, drifted });
    if (actor.getSnapshot().matches('running')) {
      this.opts.store.putStatus(kind, name, reconcilingStatus(status, resource.generation, new Date()));
    }
    const snapshot = await waitFor(actor, (s) => SETTLED_STATES.some((state) => s.matches(state)));
    const outcome = snapshot.context.outcome;
    if (outcome?.result === 'unchanged') return;
    reconcileDuration.observe({ kind }, (performance.now() - started) / 1000);
    if (!outcome || !isSettled(outcome)) return;
    this.settle(resource, { ...status, memo: env.ctx.memo, fields: { ...status.fields, ...fields } }, outcome);
  }

  /** Prunes a resource gone from the manifests: its inventory, through its reconciler, unless prune is disabled. */
  private async finalize(key: ResourceKey, resource: Resource, signal: AbortSignal): Promise<void> {
    const { kind, name } = parseKey(key);
    this.watches.close(key);
    const reconciler = this.reconcilers.get(kind);
    const pruneDisabled = resource.metadata.annotations[ANNOTATIONS.prune] === 'disabled';
    const inventory = this.opts.store.listInventory(kind, name);
    if (reconciler && !pruneDisabled && inventory.length > 0) {
      const hostName = reconciler.hostOf(resource.spec, name);
      const host = this.hosts.get(hostName);
      if (!host) {
        const message = `cannot prune: Host "${hostName}" is gone`;
        this.event(kind, name, 'Warning', 'FinalizeBlocked', message);
        this.requeue(key, { result: 'finalizeFailed', message, error: null });
        return;
      }
      const actor = this.actorFor(key);
      actor.send({ type: 'DELETE', env: this.runEnv(resource, reconciler, host, signal).env });
      const snapshot = await waitFor(actor, (s) => s.matches('deleted') || s.matches('finalizeFailed'));
      if (snapshot.matches('finalizeFailed')) {
        const outcome = snapshot.context.outcome;
        const failed = outcome?.result === 'finalizeFailed' ? outcome : ({ result: 'finalizeFailed', message: 'finalize failed', error: null } as const);
        this.event(kind, name, 'Warning', 'PruneFailed', failed.message);
        countRun(kind, failed);
        this.requeue(key, failed);
        return;
      }
      this.event(kind, name, 'Normal', 'Pruned', `removed ${inventory.length} inventory item(s): ${describeInventory(inventory)}`);
    } else if (pruneDisabled) {
      this.event(kind, name, 'Normal', 'PruneSkipped', `${ANNOTATIONS.prune}: disabled; left ${inventory.length} item(s) in place`);
    }
    countRun(kind, { result: 'finalized' });
    this.actors.get(key)?.stop();
    this.actors.delete(key);
    this.deleting.delete(key);
    this.setReady(key, undefined);
    this.requeue(key, { result: 'finalized' });
    this.opts.store.deleteResource(kind, name);
    this.log.info({ resource: key }, 'deleted');
    this.emitSettled({ key, generation: resource.generation, result: 'deleted', ready: 'Unknown' });
    if (kind === 'Host') await this.syncHosts();
  }

  /** After a run: requeue, then write status and events (next-status.ts), count it, tell the listeners. */
  private settle(resource: Resource, current: ResourceStatus, outcome: SettledOutcome): void {
    const key = keyOf(resource);
    const { kind } = resource;
    const name = resource.metadata.name;
    const retryInMs = this.requeue(key, outcome);
    const { status, events } = nextStatus(current, outcome, { now: new Date(), revision: this.revision, ...(retryInMs !== undefined ? { retryInMs } : {}) });
    for (const e of events) this.event(kind, name, e.type, e.reason, e.message);
    if (outcome.result === 'failed') {
      this.log.warn({ resource: key, reason: outcome.reason, err: outcome.message, retryInMs }, 'reconcile failed');
    } else if (outcome.result === 'stalled' && events.length > 0) {
      this.log.warn({ resource: key, reason: outcome.reason, msg2: outcome.message }, 'stalled');
    }
    countRun(kind, outcome);
    this.opts.store.putStatus(kind, name, status);
    const ready = status.conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
    this.setReady(key, ready);
    this.emitSettled({ key, generation: outcome.generation, result: outcome.result, ready });
  }

  private runEnv(resource: Resource, reconciler: Reconciler<any, any, Change>, host: Host, signal: AbortSignal) {
    const { kind } = resource;
    const name = resource.metadata.name;
    const event = (type: 'Normal' | 'Warning', reason: string, message: string) => this.event(kind, name, type, reason, message);
    return buildRunEnv({ resource, reconciler, host, signal }, { mode: 'live', store: this.opts.store, log: this.log, event });
  }

  private requeue(key: ResourceKey, outcome: RequeueOutcome): number | undefined {
    return scheduleRequeue(this.queue, key, requeueAfter(outcome, { resyncMs: this.opts.resyncMs ?? 10 * 60_000 }));
  }

  private event(kind: string, name: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.opts.store.recordEvent(kind, name, type, reason, message);
    this.log.info({ resource: `${kind}/${name}`, event: reason, type }, message);
  }

  /** Tells the listeners once the run's status is committed (the store commits at the end of this turn). */
  private emitSettled(run: SettledRun): void {
    if (this.settledListeners.size === 0) return;
    this.opts.store.afterCommit(() => {
      for (const listener of this.settledListeners) {
        try {
          listener(run);
        } catch (err) {
          this.log.error({ err }, 'settled listener failed');
        }
      }
    });
  }

  private reportPruneGuard(held: ResourceKey[]): void {
    const condition: Condition = {
      type: 'PruneHeld',
      status: held.length > 0 ? 'True' : 'False',
      reason: held.length > 0 ? 'MassDeletion' : 'NothingHeld',
      message:
        held.length > 0
          ? `${held.length} resource(s) disappeared from the manifests and, with the deletions less than 10 minutes before them, more than half of the resources would go; their deletion is held until the files return or \`homeostat prune --confirm\`: ${held.join(', ')}`
          : '',
      observedGeneration: null,
      lastTransitionTime: new Date().toISOString(),
    };
    const previous = this.opts.store.listControllerConditions().find((c) => c.type === 'PruneHeld');
    if (previous && previous.status === condition.status && previous.message === condition.message) return;
    if (!previous && held.length === 0) return;
    this.opts.store.putControllerCondition(condition);
    if (held.length > 0) this.log.warn({ held }, condition.message);
  }

  // ── hosts, actors ────────────────────────────────────────────────────────

  private syncHosts(): Promise<string[]> {
    return this.watches.syncHosts([...this.desired.all(), ...this.deleting.values()].filter((r) => r.kind === 'Host'));
  }

  private actorFor(key: ResourceKey): ReconcileActor {
    let actor = this.actors.get(key);
    if (!actor) {
      actor = createActor(reconcileMachine, { input: { key } });
      actor.start();
      this.actors.set(key, actor);
    }
    return actor;
  }

  private hostNameOf(key: ResourceKey): string | undefined {
    const resource = this.desired.get(key) ?? this.deleting.get(key);
    return resource ? this.hostOfResource(resource) : undefined;
  }

  private hostOfResource(resource: Resource): string | undefined {
    return this.reconcilers.get(resource.kind)?.hostOf(resource.spec, resource.metadata.name) ??
      ((resource.spec as { host?: string } | null)?.host ?? 'local');
  }

  /** Records a key's Ready status (undefined: gone) and moves it between the gauge's series (O(1) per run). */
  private setReady(key: ResourceKey, status: string | undefined): void {
    const previous = this.ready.get(key);
    if (previous === status) return;
    const { kind } = parseKey(key);
    if (previous !== undefined) readyResources.dec({ kind, status: previous });
    if (status === undefined) this.ready.delete(key);
    else {
      this.ready.set(key, status);
      readyResources.inc({ kind, status });
    }
  }
}

function isSettled(outcome: RunOutcome): outcome is SettledOutcome {
  return outcome.result === 'converged' || outcome.result === 'failed' || outcome.result === 'stalled';
}

function describeInventory(items: readonly InventoryItem[]): string {
  return items.map((i) => `${i.type} ${i.host}:${i.id}`).join(', ');
}
