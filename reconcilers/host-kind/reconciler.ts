/**
 * The Host kind's reconciler. A Host has nothing to converge: its "reconcile" proves the host answers (one stat
 * of its root, which over SSH also proves the host key and the login), so `get Host` shows whether each host is
 * reachable. A failure is retried with backoff like any other (HostError names it: HostUnreachable, ...); a host
 * key that does not match, or a root folder that does not exist, waits for a human.
 * The connections themselves are the controller's HostPool, built from the Host resources in force.
 */
import type { Reconciler } from '../core/contract.js';
import { StalledError } from '../core/contract.js';
import { isHostError } from '../host/index.js';

/** Why a Host stalls. */
export type HostStallReason = 'HostKeyRejected' | 'RootMissing';

export interface HostObserved {
  rootExists: boolean;
}

export const hostKindReconciler: Reconciler<unknown, HostObserved> = {
  kind: 'Host',
  hostOf: (_spec, name) => name,
  async observe(ctx) {
    try {
      return { rootExists: (await ctx.host.stat('/')) !== null };
    } catch (err) {
      if (isHostError(err, 'EHOSTKEY')) throw new StalledError<HostStallReason>('HostKeyRejected', err.message, { cause: err });
      throw err;
    }
  },
  plan(_spec, observed) {
    if (!observed.rootExists) throw new StalledError<HostStallReason>('RootMissing', 'the host root folder does not exist');
    return { changes: [] };
  },
  async apply() {},
  async finalize() {},
};
