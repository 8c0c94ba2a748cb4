/**
 * What a run's outcome does to a resource's status, as one pure function, Flux-style: the conditions
 * (Reconciling, Stalled, Degraded, the kind's own, and Ready summarized from them), observedGeneration and lastAppliedRevision
 * (only on success), lastReconcileTime, and the events to record: Applied, a failure, a stall only when it
 * changed, Degraded when it starts or changes reason, Recovered when it ends, a kind's condition when it turns
 * False or back to True. The controller writes the result.
 */
import type { RunOutcome } from '../../reconcilers/core/machine.js';
import type { Revision } from '../../reconcilers/core/resource.js';
import { getCondition, setCondition, summarizeReady, type Condition, type ConditionInput } from '../state/conditions.js';
import { kindConditionEvents, setKindConditions } from '../state/kind-conditions.js';
import type { ResourceStatus } from '../state/store.js';

/** The outcomes that end in a status write (the others: nothing ran, or the resource is being deleted). */
export type SettledOutcome = Extract<RunOutcome, { result: 'converged' | 'failed' | 'stalled' }>;

export interface StatusEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface SettleFacts {
  now: Date;
  /** The manifests' revision in force: becomes lastAppliedRevision when the run applied something. */
  revision: Revision;
  /** For a failed run: when the work queue retries it (shown in the failure event). */
  retryInMs?: number;
}

export function nextStatus(
  previous: ResourceStatus,
  outcome: SettledOutcome,
  facts: SettleFacts,
): { status: ResourceStatus; events: StatusEvent[] } {
  const { now } = facts;
  const generation = outcome.generation;
  let conditions = previous.conditions;
  const set = (c: ConditionInput) => (conditions = setCondition(conditions, c, generation, now));
  const events: StatusEvent[] = [];
  const status: ResourceStatus = { ...previous, lastReconcileTime: now.toISOString() };

  switch (outcome.result) {
    case 'converged': {
      set({ type: 'Reconciling', status: 'False', reason: 'Succeeded', message: 'reconciliation finished' });
      set({ type: 'Stalled', status: 'False', reason: 'Succeeded', message: '' });
      if (outcome.degraded) set({ type: 'Degraded', status: 'True', reason: outcome.degraded.reason, message: outcome.degraded.message });
      else set({ type: 'Degraded', status: 'False', reason: 'AsDeclared', message: '' });
      const withKinds = (cs: Condition[]) => setKindConditions(cs, outcome.conditions ?? [], generation, now);
      set(summarizeReady(withKinds(conditions), { result: 'converged' }));
      conditions = withKinds(conditions); // the kind's own after the runtime's, Ready included
      status.observedGeneration = generation;
      if (outcome.applied.length > 0) {
        status.lastAppliedRevision = facts.revision;
        events.push({ type: 'Normal', reason: 'Applied', message: outcome.applied.map((c) => c.summary).join('; ') });
      }
      events.push(...degradedEvents(previous.conditions, conditions), ...kindConditionEvents(previous.conditions, conditions));
      break;
    }
    case 'failed': {
      set({ type: 'Reconciling', status: 'False', reason: outcome.reason, message: outcome.message });
      set({ type: 'Stalled', status: 'False', reason: 'Retrying', message: '' });
      set(summarizeReady(conditions, { result: 'failed', reason: outcome.reason, message: outcome.message }));
      const retry = facts.retryInMs !== undefined ? ` (retry in ${Math.round(facts.retryInMs)} ms)` : '';
      events.push({ type: 'Warning', reason: outcome.reason, message: `${outcome.message}${retry}` });
      break;
    }
    case 'stalled': {
      set({ type: 'Reconciling', status: 'False', reason: outcome.reason, message: outcome.message });
      set({ type: 'Stalled', status: 'True', reason: outcome.reason, message: outcome.message });
      set(summarizeReady(conditions, { result: 'stalled' }));
      const before = getCondition(previous.conditions, 'Stalled');
      if (before?.status !== 'True' || before.reason !== outcome.reason || before.message !== outcome.message) {
        events.push({ type: 'Warning', reason: outcome.reason, message: outcome.message });
      }
      break;
    }
  }
  status.conditions = conditions;
  return { status, events };
}

/** Degraded starting or changing its reason is a Warning; Degraded ending is Recovered. */
function degradedEvents(before: readonly Condition[], after: readonly Condition[]): StatusEvent[] {
  const was = getCondition(before, 'Degraded');
  const now = getCondition(after, 'Degraded');
  if (now?.status === 'True' && (was?.status !== 'True' || was.reason !== now.reason)) {
    return [{ type: 'Warning', reason: now.reason, message: now.message }];
  }
  if (now?.status === 'False' && was?.status === 'True') return [{ type: 'Normal', reason: 'Recovered', message: `no longer ${was.reason}` }];
  return [];
}

/** Reconciling=True while a run is under way (Ready keeps what it was). */
export function reconcilingStatus(previous: ResourceStatus, generation: string, now: Date): ResourceStatus {
  const reconciling: ConditionInput = { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'reconciling' };
  return { ...previous, conditions: setCondition(previous.conditions, reconciling, generation, now) };
}

/** A suspended resource: Reconciling=False/Suspended, Ready=Unknown/Suspended; nothing else changes. */
export function suspendedStatus(previous: ResourceStatus, generation: string, now: Date): ResourceStatus {
  const suspended: ConditionInput = { type: 'Reconciling', status: 'False', reason: 'Suspended', message: 'reconciliation is suspended' };
  let conditions = setCondition(previous.conditions, suspended, generation, now);
  conditions = setCondition(conditions, summarizeReady(conditions, { result: 'suspended' }), generation, now);
  return { ...previous, conditions };
}
