/**
 * Host resources have nothing to converge: their "reconcile" proves the host answers (one stat of its root,
 * which over SSH also proves the host key and the login), so `get Host` shows whether each host is reachable.
 * A failure is retried with backoff like any other.
 */
import type { Reconciler } from '../../reconcilers/core/contract.js';
import { StalledError } from '../../reconcilers/core/contract.js';
import { isHostError } from '../../reconcilers/host/index.js';

export const hostReconciler: Reconciler<unknown, { rootExists: boolean }> = {
  kind: 'Host',
  hostOf: (_spec, name) => name,
  async observe(ctx) {
    try {
      return { rootExists: (await ctx.host.stat('/')) !== null };
    } catch (err) {
      if (isHostError(err, 'EHOSTKEY')) throw new StalledError('HostKeyRejected', err.message, { cause: err });
      throw err;
    }
  },
  plan(_spec, observed) {
    if (!observed.rootExists) throw new StalledError('RootMissing', 'the host root folder does not exist');
    return { changes: [] };
  },
  async apply() {},
  async finalize() {},
};
