/**
 * What happens to a key after a run, decided in one switch as controller-runtime decides it in one place:
 * failed → retry with rate-limited backoff; converged → forget the backoff and come back after the reconciler's
 * `requeueAfterMs` or a jittered resync; stalled → forget the backoff and wait (a spec change, `homeostat
 * reconcile` or drift queues it again); finalized → drop everything scheduled for it.
 */
import type { RunOutcome } from '../../reconcilers/core/machine.js';
import type { WorkQueue } from './queue.js';

export type Requeue =
  | { type: 'backoff' }
  | { type: 'after'; delayMs: number }
  | { type: 'none' }
  /** The resource is gone. */
  | { type: 'drop' };

/** The outcomes that decide a requeue (`unchanged`: nothing ran, so nothing changes). */
export type RequeueOutcome = Exclude<RunOutcome, { result: 'unchanged' }>;

export interface RequeuePolicy {
  /** Periodic resync of a converged resource, jittered ±20 %. */
  resyncMs: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

export function requeueAfter(outcome: RequeueOutcome, policy: RequeuePolicy): Requeue {
  switch (outcome.result) {
    case 'failed':
    case 'finalizeFailed':
      return { type: 'backoff' };
    case 'converged':
      return { type: 'after', delayMs: outcome.requeueAfterMs ?? jitteredResync(policy) };
    case 'stalled':
      return { type: 'none' };
    case 'finalized':
      return { type: 'drop' };
  }
}

/** Carries a decision out on the queue; returns the delay of a backoff or a later run. */
export function scheduleRequeue(queue: WorkQueue, key: string, requeue: Requeue): number | undefined {
  switch (requeue.type) {
    case 'backoff':
      return queue.addRateLimited(key);
    case 'after':
      queue.forget(key);
      queue.addAfter(key, requeue.delayMs);
      return requeue.delayMs;
    case 'none':
      queue.forget(key);
      return undefined;
    case 'drop':
      queue.remove(key);
      return undefined;
  }
}

function jitteredResync({ resyncMs, random = Math.random }: RequeuePolicy): number {
  return Math.round(resyncMs * (0.8 + 0.4 * random()));
}
