/**
 * A kind's own conditions (e.g. VpnSidecar's `TunnelUp`, `NoLeak`), pure: besides the runtime's Ready,
 * Reconciling, Stalled and Degraded, a kind reports them from `verify` on each converged run. They are positive
 * (True is good): `summarizeReady` (conditions.ts) makes Ready False with the first False one's reason. Here: how a
 * converged run's report replaces the previous one (set in the order reported, most important first; one no longer
 * reported removed; lastTransitionTime kept while the status holds), and the events their changes deserve — one
 * per change of status (or of a False one's reason), never one per run.
 */
import { getCondition, isKindCondition, setCondition, type Condition, type ConditionInput } from './conditions.js';

export interface KindConditionEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** `conditions` with the kind's own replaced by `reported` (after the runtime's, in the order reported). */
export function setKindConditions(conditions: readonly Condition[], reported: readonly ConditionInput[], generation: string | null, now: Date): Condition[] {
  const runtime = conditions.filter((c) => !isKindCondition(c.type));
  const previous = conditions.filter((c) => isKindCondition(c.type));
  const kinds = reported.filter((c) => isKindCondition(c.type));
  const next = kinds.map((c) => setCondition(previous, c, generation, now).find((p) => p.type === c.type)!);
  return [...runtime, ...next];
}

/**
 * The events of a kind condition changing: turning False is a Warning with its reason (e.g. TunnelDown), turning
 * True after False or Unknown is Normal with its reason (e.g. TunnelUp). A first report that is True, a report
 * that stays as it was, and one turning Unknown (homeostat cannot tell) say nothing.
 */
export function kindConditionEvents(before: readonly Condition[], after: readonly Condition[]): KindConditionEvent[] {
  const events: KindConditionEvent[] = [];
  for (const now of after) {
    if (!isKindCondition(now.type)) continue;
    const was = getCondition(before, now.type);
    if (now.status === 'False' && (was?.status !== 'False' || was.reason !== now.reason)) {
      events.push({ type: 'Warning', reason: now.reason, message: now.message });
    } else if (now.status === 'True' && was !== undefined && was.status !== 'True') {
      events.push({ type: 'Normal', reason: now.reason, message: now.message });
    }
  }
  return events;
}
