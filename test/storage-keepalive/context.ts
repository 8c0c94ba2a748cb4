/**
 * A hand-built `ReconcileContext` for reconciler integration tests: an in-memory stand-in for the state store
 * (inventory, memo, cache, status, events) that lives across runs, and `reconcileOnce`, which drives one
 * observe → plan → apply → observe → plan pass the way the runtime does, with an injected `now`.
 */
import type { Change, InventoryItem, Plan, ReconcileContext, Reconciler } from '../../reconcilers/core/contract.js';
import { silentLogger } from '../../reconcilers/core/log.js';
import type { Resource } from '../../reconcilers/core/resource.js';
import type { Host } from '../../reconcilers/host/host.js';
import { testResource } from '../support/resource.js';

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const sameItem = (a: Pick<InventoryItem, 'type' | 'host' | 'id'>) => (b: InventoryItem) =>
  a.type === b.type && a.host === b.host && a.id === b.id;

/** What the state store would keep for one resource. */
export class MemoryState {
  inventory: InventoryItem[] = [];
  memo: Record<string, unknown> = {};
  cache = new Map<string, string>();
  status: Record<string, unknown> = {};
  events: RecordedEvent[] = [];

  /** A context for one run: inventory as recorded before it, writes go straight to this state. */
  context<Spec>(resource: Resource<Spec>, host: Host, now: number, signal = new AbortController().signal): ReconcileContext<Spec> {
    return {
      resource,
      host,
      signal,
      now,
      inventory: this.inventory.map((item) => ({ ...item })),
      recordInventory: async (item) => {
        // As the state store: recording an item already there replaces its detail.
        const at = this.inventory.findIndex(sameItem(item));
        if (at === -1) this.inventory.push({ ...item });
        else this.inventory[at] = { ...item };
      },
      forgetInventory: (item) => {
        this.inventory = this.inventory.filter((i) => !sameItem(item)(i));
      },
      memo: this.memo,
      cache: {
        load: () => new Map(this.cache),
        save: (entries) => {
          this.cache = new Map(entries);
        },
      },
      setStatus: (fields) => Object.assign(this.status, fields),
      event: (type, reason, message) => this.events.push({ type, reason, message }),
      log: silentLogger,
    };
  }
}

export function resourceOf<Spec>(kind: string, name: string, spec: Spec): Resource<Spec> {
  return testResource(kind, name, spec, { file: 'test.yaml', generation: 'test' });
}

/** One pass as the runtime makes it: observe, plan, apply when there is something to do, observe and plan again. */
export async function reconcileOnce<Spec, Observed, C extends Change>(
  reconciler: Reconciler<Spec, Observed, C>,
  state: MemoryState,
  resource: Resource<Spec>,
  host: Host,
  now: number,
): Promise<{ plan: Plan<C>; after: Plan<C> }> {
  const planInput = () => ({ name: resource.metadata.name, now, inventory: [...state.inventory], memo: { ...state.memo } });
  const ctx = state.context(resource, host, now);
  const observed = await reconciler.observe(ctx);
  const plan = reconciler.plan(resource.spec, observed, planInput());
  if (plan.changes.length > 0) await reconciler.apply(plan.changes, observed, ctx);
  const again = state.context(resource, host, now);
  const after = reconciler.plan(resource.spec, await reconciler.observe(again), planInput());
  return { plan, after };
}
