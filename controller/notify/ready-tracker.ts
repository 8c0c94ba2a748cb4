/**
 * Ready changes as occurrences: the last known Ready of every resource (one small entry per resource, forgotten
 * when the resource is deleted), and what a newly written status means, pure given that memory: going not-Ready
 * (a Warning with Ready's reason), going Stalled (a Warning with the stall's reason: it needs a human), or
 * recovering from not-Ready (`Recovered`, which resolves the resource's grouped repeats). `Unknown` (a resource
 * suspended, or not run yet) changes nothing: a resource that was not Ready and is Ready after a suspension has
 * recovered. The occurrence's reason is the failure's own, so the Warning event of the same run groups with it.
 */
import { getCondition, type Condition } from '../state/conditions.js';
import { RECOVERED, type Occurrence } from './notification.js';

export interface ReadyState {
  ready: 'True' | 'False';
  stalled: boolean;
  reason: string;
}

/** What a status's conditions say, or null while Ready is Unknown (or missing). */
export function readyStateOf(conditions: readonly Condition[]): ReadyState | null {
  const ready = getCondition(conditions, 'Ready');
  if (!ready || (ready.status !== 'True' && ready.status !== 'False')) return null;
  return { ready: ready.status, stalled: getCondition(conditions, 'Stalled')?.status === 'True', reason: ready.reason };
}

type Subject = Pick<Occurrence, 'kind' | 'name' | 'host'>;

/** The occurrence a change from `before` to the status `conditions` describe makes, if any (pure). */
export function readyTransition(subject: Subject, before: ReadyState | undefined, conditions: readonly Condition[]): Occurrence | null {
  const now = readyStateOf(conditions);
  if (!now) return null;
  const ready = getCondition(conditions, 'Ready')!;
  const time = ready.lastTransitionTime;
  if (now.stalled && !before?.stalled) {
    const stalled = getCondition(conditions, 'Stalled')!;
    return { ...subject, type: 'Warning', reason: stalled.reason, message: `Stalled (needs a human): ${stalled.message}`, time: stalled.lastTransitionTime };
  }
  if (now.ready === 'False' && before?.ready !== 'False') {
    return { ...subject, type: 'Warning', reason: ready.reason, message: `not Ready: ${ready.message}`, time };
  }
  if (now.ready === 'True' && before?.ready === 'False') {
    return { ...subject, type: 'Normal', reason: RECOVERED, message: `Ready again (was ${before.reason})`, time, resolves: true };
  }
  return null;
}

export class ReadyTracker {
  private readonly known = new Map<string, ReadyState>();

  /** Remembers a status without telling anything (what the store held when the dispatcher started). */
  seed(key: string, conditions: readonly Condition[]): void {
    const state = readyStateOf(conditions);
    if (state) this.known.set(key, state);
  }

  /** Remembers a newly written status; returns the occurrence it makes, if any. */
  update(key: string, subject: Subject, conditions: readonly Condition[]): Occurrence | null {
    const before = this.known.get(key);
    const occurrence = readyTransition(subject, before, conditions);
    const state = readyStateOf(conditions);
    if (state) this.known.set(key, state);
    return occurrence;
  }

  forget(key: string): void {
    this.known.delete(key);
  }

  get size(): number {
    return this.known.size;
  }
}
