/**
 * Conditions as data, following Kubernetes `metav1.Condition`. The runtime sets `Reconciling`, `Stalled` and
 * `Degraded` from what a run found; `Ready` is never set by hand: `summarizeReady` derives it from the others
 * and from the run's outcome, Flux-style.
 */

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled' | 'Degraded' | string;
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: string | null;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Returns `conditions` with `next` set: `lastTransitionTime` moves only when the status changes.
 * Order is kept; a new type is appended.
 */
export function setCondition(conditions: Condition[], next: ConditionInput, generation: string | null, now: Date): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const updated: Condition = {
    ...next,
    observedGeneration: generation,
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString(),
  };
  return existing ? conditions.map((c) => (c.type === next.type ? updated : c)) : [...conditions, updated];
}

export function getCondition(conditions: readonly Condition[], type: ConditionType): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[], type: ConditionType): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

const RUNTIME_CONDITIONS: ReadonlySet<string> = new Set(['Ready', 'Reconciling', 'Stalled', 'Degraded']);

/** A condition a kind reports itself (kind-conditions.ts), not one the runtime sets. */
/**
 * Which way a condition is bad: one named for trouble (`PruneHeld`, `…Failed`, `…Stalled`, `…Degraded`) when True,
 * every other (`Ready`, `ManifestsValid`, `SourceReady`, `TunnelUp`) when False, as Kubernetes conditions read.
 * The one rule for what notifications call going bad and what the status page colours red.
 */
export const BAD_WHEN_TRUE = /Held$|Failed$|Stalled$|Degraded$/;

export function conditionIsBad(condition: Pick<Condition, 'type' | 'status'>): boolean {
  return BAD_WHEN_TRUE.test(condition.type) ? condition.status === 'True' : condition.status === 'False';
}

export function isKindCondition(type: ConditionType): boolean {
  return !RUNTIME_CONDITIONS.has(type);
}

/** The outcome of the latest run, as far as Ready cares. */
export type RunOutcome =
  | { result: 'converged' }
  | { result: 'failed'; reason: string; message: string }
  | { result: 'stalled' }
  | { result: 'suspended' }
  | { result: 'reconciling' };

/**
 * Ready, derived: Stalled, a failed run, a kind's own condition that is False (the first: the kind reports the
 * most important first; it names the cause more precisely than Degraded does) or Degraded make it False; a run in
 * progress makes it Unknown.
 */
export function summarizeReady(conditions: readonly Condition[], outcome: RunOutcome): ConditionInput {
  const stalled = getCondition(conditions, 'Stalled');
  if (stalled?.status === 'True') return { type: 'Ready', status: 'False', reason: stalled.reason, message: stalled.message };
  if (outcome.result === 'failed') return { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message };
  if (outcome.result === 'suspended') return { type: 'Ready', status: 'Unknown', reason: 'Suspended', message: 'reconciliation is suspended' };
  if (outcome.result === 'reconciling') {
    const previous = getCondition(conditions, 'Ready');
    return previous
      ? { type: 'Ready', status: previous.status, reason: previous.reason, message: previous.message }
      : { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'reconciliation in progress' };
  }
  const failing = conditions.find((c) => isKindCondition(c.type) && c.status === 'False');
  if (failing) return { type: 'Ready', status: 'False', reason: failing.reason, message: failing.message };
  const degraded = getCondition(conditions, 'Degraded');
  if (degraded?.status === 'True') return { type: 'Ready', status: 'False', reason: degraded.reason, message: degraded.message };
  return { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'live state matches the spec' };
}
