/**
 * What `get`, `describe` and the HTTP API show of a resource, read from the state store: one view shape for
 * all three, so the table, the JSON and the API never disagree.
 */
import type { Condition } from '../state/conditions.js';
import type { EventRow, ResourceRow, StateStore } from '../state/store.js';
import type { InventoryItem } from '../../reconcilers/core/contract.js';
import { formatRevision, type Revision } from '../../reconcilers/core/resource.js';

export interface ResourceView {
  kind: string;
  name: string;
  host: string;
  file: string;
  ready: 'True' | 'False' | 'Unknown';
  /** The reason that best says what the resource is doing: Stalled/Degraded/Ready reason. */
  status: string;
  message: string;
  createdAt: string;
  generation: string;
  observedGeneration: string | null;
  lastAppliedRevision: Revision | null;
  lastReconcileTime: string | null;
  conditions: Condition[];
  fields: Record<string, unknown>;
}

export function listResourceViews(store: StateStore, kind?: string): ResourceView[] {
  return store.listResources(kind).map((row) => toView(store, row));
}

/** The view of one resource, or null when there is none (what the status page's stream sends for a changed row). */
export function resourceView(store: StateStore, kind: string, name: string): ResourceView | null {
  const row = store.getResource(kind, name);
  return row ? toView(store, row) : null;
}

function toView(store: StateStore, row: ResourceRow): ResourceView {
  const status = store.getStatus(row.kind, row.name);
  const ready = status.conditions.find((c) => c.type === 'Ready');
  const reconciling = status.conditions.find((c) => c.type === 'Reconciling');
  const shown = reconciling?.status === 'True' ? reconciling : ready;
  return {
    kind: row.kind,
    name: row.name,
    host: row.host,
    file: row.file,
    ready: (ready?.status ?? 'Unknown') as ResourceView['ready'],
    status: shown?.reason ?? 'Pending',
    message: shown?.message ?? '',
    createdAt: row.createdAt,
    generation: row.generation,
    observedGeneration: status.observedGeneration,
    lastAppliedRevision: status.lastAppliedRevision,
    lastReconcileTime: status.lastReconcileTime,
    conditions: status.conditions,
    fields: status.fields,
  };
}

export interface ResourceDetail extends ResourceView {
  spec: unknown;
  annotations: Record<string, string>;
  inventory: readonly InventoryItem[];
  events: EventRow[];
}

export function describeResource(store: StateStore, kind: string, name: string): ResourceDetail | null {
  const row = store.getResource(kind, name);
  if (!row) return null;
  return {
    ...toView(store, row),
    spec: row.resource.spec,
    annotations: row.resource.metadata.annotations,
    inventory: store.listInventory(kind, name),
    events: store.listEvents(kind, name, 20),
  };
}

/** "3m", "2h", "5d": kubectl-style age. */
export function formatAge(fromIso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(fromIso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export { formatRevision };
