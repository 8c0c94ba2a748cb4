/**
 * One row of the status page: the part of a resource's view (controller/status/views.ts) the table shows, small
 * enough that the live stream can send a changed row instead of the resource's whole status. Pure.
 */
import { formatRevision } from '../../../reconcilers/core/resource.js';
import type { ResourceView } from '../../status/views.js';

/** Longer messages are cut in the row (the resource's detail shows them whole). */
export const ROW_MESSAGE_CHARS = 400;

export interface ResourceSummary {
  kind: string;
  name: string;
  host: string;
  ready: ResourceView['ready'];
  /** The reason that best says what the resource is doing (Reconciling while a run is under way, else Ready's). */
  reason: string;
  message: string;
  createdAt: string;
  /** The applied revision as `get` prints it (short sha, `-dirty`, or `-`). */
  revision: string;
  lastReconcileTime: string | null;
  /** The spec generation has not been applied yet (observedGeneration behind). */
  pending: boolean;
}

export function summarize(view: ResourceView): ResourceSummary {
  return {
    kind: view.kind,
    name: view.name,
    host: view.host,
    ready: view.ready,
    reason: view.status,
    message: cut(view.message, ROW_MESSAGE_CHARS),
    createdAt: view.createdAt,
    revision: formatRevision(view.lastAppliedRevision),
    lastReconcileTime: view.lastReconcileTime,
    pending: view.observedGeneration !== view.generation,
  };
}

export function summaryKey(row: { kind: string; name: string }): string {
  return `${row.kind}/${row.name}`;
}

/** `text` cut to `max` characters, with an ellipsis when it was longer. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
