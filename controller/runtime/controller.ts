/**
 * The controller: takes manifest snapshots, keeps the desired state (with the mass-deletion guard), owns one
 * reconcile actor per resource, and runs them through the work queue. After each run it finalizes status in
 * one place (conditions, observedGeneration, lastAppliedRevision, events, metrics) and decides what happens
 * next, controller-runtime style: failed → backoff requeue, converged → requeue after the reconciler's wish
 * or a jittered resync, stalled → wait for a spec change. Drift arrives through host watches as keys.
 */
import type { Logger } from 'pino';
import { createActor, waitFor, type ActorRefFrom } from 'xstate';
import type { Change, InventoryItem, ReconcileContext, Reconciler } from '../../reconcilers/core/contract.js';
import { reconcileMachine, SETTLED_STATES, type RunEnv, type RunOutcome } from '../../reconcilers/core/machine.js';
import { ANNOTATIONS, keyOf, parseKey, type Resource, type ResourceKey, type Revision } from '../../reconcilers/core/resource.js';
import type { Disposable, Host } from '../../reconcilers/host/index.js';
import { setCondition, summarizeReady, type Condition, type ConditionInput } from '../state/conditions.js';
import type { ResourceStatus, StateStore } from '../state/store.js';
import { DesiredState } from './desired.js';
import { hostReconciler } from './host-reconciler.js';
import { HostPool, type HostSpecInput } from './hosts.js';
import { queueDepth, readyResources, reconcileDuration, reconcileErrors, reconcileTotal } from './metrics.js';
import { WorkQueue } from './queue.js';

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
  reconcilers: Reconciler<any, any, Change>[];
  /** Periodic resync of a converged resource (jittered ±20 %). Default 10 minutes. */
  resyncMs?: number;
  concurrency?: number;
  perHostConcurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long shutdown waits for running applies before aborting them. Default 10 s. */
  drainMs?: number;
}

type ReconcileActor = ActorRefFrom<typeof reconcileMachine>;

/** What listeners of `onSettled` hear after each run's status is written. */
export interface SettledRun {
  key: ResourceKey;
  generation: string;
  result: RunOutcome['result'] | 'deleted';
  ready: string;
}

export class Controller {
  readonly desired = new DesiredState();
  readonly hosts: HostPool;
  readonly queue: WorkQueue;
  private readonly reconcilers = new Map<string, Reconciler<any, any, Change>>();
  private readonly actors = new Map<ResourceKey, ReconcileActor>();
  private readonly watches = new Map<ResourceKey, { identity: string; handle: Disposable }>();
  private readonly deleting = new Map<ResourceKey, Resource>();
  private readonly forced = new Set<ResourceKey>();
  /** Keys whose host state changed (a watch fired) since their last run: a Stalled one is looked at again. */
  private readonly drifted = new Set<ResourceKey>();
  private readonly ready = new Map<ResourceKey, string>();
  private revision: Revision = { commit: null, dirty: false };
  private readonly settledListeners = new Set<(run: SettledRun) => void>();
  private started = false;
  private readonly log: Logger;

  constructor(private readonly opts: ControllerOptions) {
    this.log = opts.log;
    for (const r of [hostReconciler, ...opts.reconcilers]) this.reconcilers.set(r.kind, r);
    this.hosts = new HostPool({ manifestsDir: opts.manifestsDir, stateDir: opts.stateDir, log: opts.log });
    this.queue = new WorkQueue({
      handler: (key, signal) => this.handle(key, signal),
      groupOf: (key) => this.hostNameOf(key) ?? '',
      concurrency: opts.concurrency ?? 4,
      perGroupConcurrency: opts.perHostConcurrency ?? 2,
      baseDelayMs: opts.backoffBaseMs ?? 500,
      maxDelayMs: opts.backoffMaxMs ?? 5 * 60_000,
    });
    queueDepth.set(0);
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
    for (const key of change.changed) {
      const resource = this.desired.get(key)!;
      this.opts.store.upsertResource({
        kind: resource.kind,
        name: resource.metadata.name,
        host: this.hostOfResource(resource) ?? '',
        file: resource.source.file,
        generation: resource.generation,
        resource,
      });
    }
    for (const { key, resource } of change.deleted) this.deleting.set(key, resource);
    this.reportPruneGuard(change.held);

    const changedHosts = await this.syncHosts();
    const keys = new Set<ResourceKey>([...change.changed, ...change.deleted.map((d) => d.key)]);
    for (const resource of this.desired.all()) {
      const host = this.hostOfResource(resource);
      if (host && changedHosts.includes(host)) keys.add(keyOf(resource));
    }
    for (const key of keys) this.queue.add(key);
    queueDepth.set(this.queue.depth);
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

  private emitSettled(run: SettledRun): void {
    for (const listener of this.settledListeners) {
      try {
        listener(run);
      } catch (err) {
        this.log.error({ err }, 'settled listener failed');
      }
    }
  }

  /** Resolves when no key is queued or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    await this.queue.shutdown(this.opts.drainMs ?? 10_000);
    for (const { handle } of this.watches.values()) handle.close();
    this.watches.clear();
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
    await this.hosts.closeAll();
  }

  // ── one run ──────────────────────────────────────────────────────────────

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
      return this.writeStatus(resource, status, {
        result: 'stalled',
        generation: resource.generation,
        reason: 'KindNotImplemented',
        message: `this version of homeostat has no reconciler for kind ${kind} yet`,
      });
    }
    const actor = this.actorFor(key);
    if (resource.metadata.annotations[ANNOTATIONS.suspend] === 'true') {
      actor.send({ type: 'SUSPEND' });
      this.unwatch(key);
      return this.writeSuspended(resource, status);
    }
    if (actor.getSnapshot().matches('suspended')) actor.send({ type: 'RESUME' });

    const hostName = reconciler.hostOf(resource.spec, name);
    const host = this.hosts.get(hostName);
    if (!host) {
      return this.writeStatus(resource, status, {
        result: 'stalled',
        generation: resource.generation,
        reason: 'HostNotFound',
        message: `no Host named "${hostName}" is defined`,
      });
    }
    this.ensureWatch(key, resource, reconciler, host);
    // Stalled waits for a spec change, an explicit reconcile, or a change on the host where it is stuck (the human
    // who unmounts the stray disk or removes the foreign container expects it to recover without a command).
    const forced = this.forced.delete(key);
    const drifted = this.drifted.delete(key);
    const current = actor.getSnapshot();
    const stalledAsBefore = current.matches('stalled') && current.context.stalledGeneration === resource.generation;
    if (stalledAsBefore && !forced && !drifted) return;
    const force = forced || stalledAsBefore;

    const started = performance.now();
    const fields: Record<string, unknown> = {};
    const env = this.buildEnv(resource, reconciler, host, status, fields, signal);
    this.opts.store.putStatus(kind, name, {
      ...status,
      conditions: setCondition(status.conditions, { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'reconciling' }, resource.generation, new Date()),
    });
    actor.send({ type: 'RECONCILE', env, force });
    const snapshot = await waitFor(actor, (s) => SETTLED_STATES.some((state) => s.matches(state)));
    reconcileDuration.observe({ kind }, (performance.now() - started) / 1000);
    const outcome = snapshot.context.outcome;
    if (!outcome) return;
    status.memo = env.ctx.memo;
    status.fields = { ...status.fields, ...fields };
    this.writeStatus(resource, status, outcome);
  }

  private async finalize(key: ResourceKey, resource: Resource, signal: AbortSignal): Promise<void> {
    const { kind, name } = parseKey(key);
    this.unwatch(key);
    const reconciler = this.reconcilers.get(kind);
    const pruneDisabled = resource.metadata.annotations[ANNOTATIONS.prune] === 'disabled';
    const inventory = this.opts.store.listInventory(kind, name);
    if (reconciler && !pruneDisabled && inventory.length > 0) {
      const hostName = reconciler.hostOf(resource.spec, name);
      const host = this.hosts.get(hostName);
      if (!host) {
        this.event(kind, name, 'Warning', 'FinalizeBlocked', `cannot prune: Host "${hostName}" is gone`);
        this.queue.addRateLimited(key);
        return;
      }
      const status = this.opts.store.getStatus(kind, name);
      const env = this.buildEnv(resource, reconciler, host, status, {}, signal);
      const actor = this.actorFor(key);
      actor.send({ type: 'DELETE', env });
      const snapshot = await waitFor(actor, (s) => s.matches('deleted') || s.matches('finalizeFailed'));
      if (snapshot.matches('finalizeFailed')) {
        const outcome = snapshot.context.outcome;
        const message = outcome?.result === 'finalizeFailed' ? outcome.message : 'finalize failed';
        this.event(kind, name, 'Warning', 'PruneFailed', message);
        reconcileTotal.inc({ kind, result: 'finalizeFailed' });
        this.queue.addRateLimited(key);
        return;
      }
      this.event(kind, name, 'Normal', 'Pruned', `removed ${inventory.length} inventory item(s): ${describeInventory(inventory)}`);
    } else if (pruneDisabled) {
      this.event(kind, name, 'Normal', 'PruneSkipped', `${ANNOTATIONS.prune}: disabled; left ${inventory.length} item(s) in place`);
    }
    reconcileTotal.inc({ kind, result: 'finalized' });
    this.actors.get(key)?.stop();
    this.actors.delete(key);
    this.deleting.delete(key);
    this.ready.delete(key);
    this.queue.remove(key);
    this.opts.store.deleteResource(kind, name);
    this.updateReadyGauge();
    this.log.info({ resource: key }, 'deleted');
    this.emitSettled({ key, generation: resource.generation, result: 'deleted', ready: 'Unknown' });
    if (kind === 'Host') await this.syncHosts();
  }

  private buildEnv(
    resource: Resource,
    reconciler: Reconciler<any, any, Change>,
    host: Host,
    status: ResourceStatus,
    fields: Record<string, unknown>,
    signal: AbortSignal,
  ): RunEnv {
    const { kind } = resource;
    const name = resource.metadata.name;
    const store = this.opts.store;
    const ctx: ReconcileContext = {
      resource,
      host,
      signal,
      now: Date.now(),
      // Live: what apply records is visible to the confirming plan of the same run.
      get inventory() {
        return store.listInventory(kind, name);
      },
      recordInventory: (item: InventoryItem) => store.recordInventory(kind, name, item),
      forgetInventory: (item) => store.forgetInventory(kind, name, item),
      memo: { ...status.memo },
      cache: { load: () => store.loadCache(kind, name), save: (entries) => store.saveCache(kind, name, entries) },
      setStatus: (f) => Object.assign(fields, f),
      event: (type, reason, message) => this.event(kind, name, type, reason, message),
      log: this.log.child({ resource: `${kind}/${name}` }),
    };
    return { reconciler, ctx };
  }

  // ── status, in one place ─────────────────────────────────────────────────

  private writeStatus(resource: Resource, status: ResourceStatus, outcome: RunOutcome): void {
    const { kind } = resource;
    const name = resource.metadata.name;
    const now = new Date();
    const gen = resource.generation;
    let conditions = status.conditions;
    const set = (c: ConditionInput) => (conditions = setCondition(conditions, c, gen, now));
    const before = conditionMap(status.conditions);
    const key = `${kind}/${name}`;

    switch (outcome.result) {
      case 'converged': {
        set({ type: 'Reconciling', status: 'False', reason: 'Succeeded', message: 'reconciliation finished' });
        set({ type: 'Stalled', status: 'False', reason: 'Succeeded', message: '' });
        if (outcome.degraded) set({ type: 'Degraded', status: 'True', reason: outcome.degraded.reason, message: outcome.degraded.message });
        else set({ type: 'Degraded', status: 'False', reason: 'AsDeclared', message: '' });
        set(summarizeReady(conditions, { result: 'converged' }));
        status.observedGeneration = gen;
        if (outcome.applied.length > 0) {
          status.lastAppliedRevision = this.revision;
          this.event(kind, name, 'Normal', 'Applied', outcome.applied.map((c) => c.summary).join('; '));
        }
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.requeueAfterMs ?? this.jitteredResync());
        break;
      }
      case 'failed': {
        set({ type: 'Reconciling', status: 'False', reason: outcome.reason, message: outcome.message });
        set({ type: 'Stalled', status: 'False', reason: 'Retrying', message: '' });
        set(summarizeReady(conditions, { result: 'failed', reason: outcome.reason, message: outcome.message }));
        const delay = this.queue.addRateLimited(key);
        this.event(kind, name, 'Warning', outcome.reason, `${outcome.message} (retry in ${Math.round(delay)} ms)`);
        this.log.warn({ resource: key, reason: outcome.reason, err: outcome.message, retryInMs: delay }, 'reconcile failed');
        reconcileErrors.inc({ kind, reason: outcome.reason });
        break;
      }
      case 'stalled': {
        set({ type: 'Reconciling', status: 'False', reason: outcome.reason, message: outcome.message });
        set({ type: 'Stalled', status: 'True', reason: outcome.reason, message: outcome.message });
        set(summarizeReady(conditions, { result: 'stalled' }));
        this.queue.forget(key);
        if (before.Stalled?.status !== 'True' || before.Stalled.reason !== outcome.reason || before.Stalled.message !== outcome.message) {
          this.event(kind, name, 'Warning', outcome.reason, outcome.message);
          this.log.warn({ resource: key, reason: outcome.reason, msg2: outcome.message }, 'stalled');
        }
        reconcileErrors.inc({ kind, reason: outcome.reason });
        break;
      }
      default:
        return;
    }
    const degradedNow = conditions.find((c) => c.type === 'Degraded');
    if (degradedNow?.status === 'True' && (before.Degraded?.status !== 'True' || before.Degraded.reason !== degradedNow.reason)) {
      this.event(kind, name, 'Warning', degradedNow.reason, degradedNow.message);
    }
    if (degradedNow?.status === 'False' && before.Degraded?.status === 'True') {
      this.event(kind, name, 'Normal', 'Recovered', `no longer ${before.Degraded.reason}`);
    }
    reconcileTotal.inc({ kind, result: outcome.result });
    status.conditions = conditions;
    status.lastReconcileTime = now.toISOString();
    this.opts.store.putStatus(kind, name, status);
    const ready = conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
    this.ready.set(key, ready);
    this.updateReadyGauge();
    this.emitSettled({ key, generation: gen, result: outcome.result, ready });
  }

  private writeSuspended(resource: Resource, status: ResourceStatus): void {
    const now = new Date();
    let conditions = setCondition(status.conditions, { type: 'Reconciling', status: 'False', reason: 'Suspended', message: 'reconciliation is suspended' }, resource.generation, now);
    conditions = setCondition(conditions, summarizeReady(conditions, { result: 'suspended' }), resource.generation, now);
    this.opts.store.putStatus(resource.kind, resource.metadata.name, { ...status, conditions });
  }

  private event(kind: string, name: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.opts.store.recordEvent(kind, name, type, reason, message);
    this.log.info({ resource: `${kind}/${name}`, event: reason, type }, message);
  }

  private reportPruneGuard(held: ResourceKey[]): void {
    const condition: Condition = {
      type: 'PruneHeld',
      status: held.length > 0 ? 'True' : 'False',
      reason: held.length > 0 ? 'MassDeletion' : 'NothingHeld',
      message:
        held.length > 0
          ? `${held.length} resource(s) disappeared from the manifests at once; their deletion is held until the files return or \`homeostat prune --confirm\`: ${held.join(', ')}`
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

  // ── hosts, watches, actors ───────────────────────────────────────────────

  private async syncHosts(): Promise<string[]> {
    const hostResources = [...this.desired.all(), ...this.deleting.values()].filter((r) => r.kind === 'Host');
    const unique = new Map(hostResources.map((r) => [r.metadata.name, r as Resource<HostSpecInput>]));
    const changed = await this.hosts.update([...unique.values()]);
    if (changed.length > 0) {
      for (const [key, watch] of this.watches) {
        if (changed.includes(this.hostNameOf(key) ?? '')) {
          watch.handle.close();
          this.watches.delete(key);
        }
      }
    }
    return changed;
  }

  private ensureWatch(key: ResourceKey, resource: Resource, reconciler: Reconciler<any, any, Change>, host: Host): void {
    const targets = reconciler.watchTargets?.(resource.spec, resource.metadata.name) ?? [];
    // A reconciler's own watch (e.g. Docker events) depends on the whole spec: renew it when the generation changes.
    const identity = `${host.name}|${targets.join('|')}${reconciler.watch ? `|gen:${resource.generation}` : ''}`;
    const existing = this.watches.get(key);
    if (existing?.identity === identity) return;
    existing?.handle.close();
    if (targets.length === 0 && !reconciler.watch) {
      this.watches.delete(key);
      return;
    }
    const handles: Disposable[] = [];
    if (targets.length > 0) {
      handles.push(
        host.watch(targets, (event) => {
          this.log.debug({ resource: key, path: event.path, kind: event.kind }, 'drift event');
          this.drift(key);
        }),
      );
    }
    if (reconciler.watch) {
      const { kind, name } = parseKey(key);
      try {
        handles.push(
          reconciler.watch(resource.spec, name, {
            host,
            log: this.log.child({ resource: key }),
            trigger: (event) => {
              if (event) this.event(kind, name, event.type, event.reason, event.message);
              this.log.debug({ resource: key }, 'drift event');
              this.drift(key);
            },
          }),
        );
      } catch (err) {
        // The run itself reports what is wrong (e.g. no Docker endpoint); the resync still covers drift.
        this.log.warn({ resource: key, err }, 'cannot watch for drift');
      }
    }
    this.watches.set(key, { identity, handle: { close: () => handles.forEach((h) => h.close()) } });
  }

  private drift(key: ResourceKey): void {
    this.drifted.add(key);
    this.queue.add(key);
  }

  private unwatch(key: ResourceKey): void {
    this.watches.get(key)?.handle.close();
    this.watches.delete(key);
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

  private jitteredResync(): number {
    const base = this.opts.resyncMs ?? 10 * 60_000;
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  private updateReadyGauge(): void {
    readyResources.reset();
    for (const [key, status] of this.ready) readyResources.inc({ kind: parseKey(key).kind, status });
  }
}

function conditionMap(conditions: readonly Condition[]): Record<string, Condition | undefined> {
  return Object.fromEntries(conditions.map((c) => [c.type, c]));
}

function describeInventory(items: readonly InventoryItem[]): string {
  return items.map((i) => `${i.type} ${i.host}:${i.id}`).join(', ');
}
