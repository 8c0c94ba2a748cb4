/**
 * The one place a run's context is built (`ReconcileContext` inside the machine's `RunEnv`): the resource, its
 * host, the abort signal, a fixed `now`, the inventory (live: what apply records is visible to the confirming
 * plan of the same run), memo, cache, status fields, events and a per-resource logger.
 * `live` (the controller) writes through to the state store; `dryRun` (`homeostat diff`) reads the store when
 * there is one and drops every write: recordInventory, forgetInventory, cache.save, setStatus and event.
 */
import type { Logger } from 'pino';
import type { Change, ReconcileContext, Reconciler } from '../../reconcilers/core/contract.js';
import type { RunEnv } from '../../reconcilers/core/machine.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import type { Host } from '../../reconcilers/host/index.js';
import type { StateStore } from '../state/store.js';

/** What the run is about. */
export interface RunTarget {
  resource: Resource;
  reconciler: Reconciler<any, any, Change>;
  host: Host;
  signal: AbortSignal;
}

export type RunAccess =
  | {
      mode: 'live';
      store: StateStore;
      log: Logger;
      /** Records an event on the resource. */
      event: ReconcileContext['event'];
    }
  | { mode: 'dryRun'; store: StateStore | null; log: Logger };

export interface BuiltRun {
  env: RunEnv;
  /** The status fields the run set (`ctx.setStatus`), to merge into the status written after it. */
  fields: Record<string, unknown>;
}

export function buildRunEnv(target: RunTarget, access: RunAccess): BuiltRun {
  const { resource, reconciler, host, signal } = target;
  const { kind } = resource;
  const name = resource.metadata.name;
  const { store } = access;
  const fields: Record<string, unknown> = {};
  const live = access.mode === 'live' ? access : null;
  let log: Logger | undefined;
  const ctx: ReconcileContext = {
    resource,
    host,
    signal,
    now: Date.now(),
    get inventory() {
      return store?.listInventory(kind, name) ?? [];
    },
    recordInventory: async (item) => live?.store.recordInventory(kind, name, item),
    forgetInventory: (item) => live?.store.forgetInventory(kind, name, item),
    memo: { ...(store?.getStatus(kind, name).memo ?? {}) },
    cache: {
      load: () => store?.loadCache(kind, name) ?? new Map(),
      save: (entries) => live?.store.saveCache(kind, name, entries),
    },
    setStatus: (f) => {
      if (live) Object.assign(fields, f);
    },
    event: (type, reason, message) => live?.event(type, reason, message),
    // Made when first used: most runs log nothing, and a child logger per run was a measurable part of a start.
    get log() {
      return (log ??= access.log.child({ resource: `${kind}/${name}` }));
    },
  };
  return { env: { reconciler, ctx }, fields };
}
