/**
 * What happens to a key after a run, decided in one switch as controller-runtime decides it in one place:
 * failed → retry with rate-limited backoff; converged → come back after the reconciler's `requeueAfterMs` or a
 * jittered resync, and forget the backoff once the key goes its ceiling without failing (queue.ts); stalled →
 * schedule nothing and wait (a spec change or `homeostat reconcile` queues it again at once; drift does too, but
 * no sooner than its backoff, which the stall counts as a failure for); finalized → drop everything for it.
 */
import type { RunOutcome } from '../../reconcilers/core/machine.js';
import type { WorkQueue } from './queue.js';

export type Requeue =
  | { type: 'backoff' }
  | { type: 'after'; delayMs: number }
  /** Nothing scheduled; counts as a run that did not converge (drift waits for the backoff). */
  | { type: 'wait' }
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
      return { type: 'wait' };
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
      queue.noteConverged(key);
      queue.addAfter(key, requeue.delayMs);
      return requeue.delayMs;
    case 'wait':
      queue.countFailure(key);
      return undefined;
    case 'drop':
      queue.remove(key);
      return undefined;
  }
}

function jitteredResync({ resyncMs, random = Math.random }: RequeuePolicy): number {
  return Math.round(resyncMs * (0.8 + 0.4 * random()));
}
