/**
 * A kind that only watches: its spec names one path on a Host, it observes and changes nothing. Tests of the drift
 * watches (controller/runtime/watches.test.ts, test/controller/own-writes.test.ts) register resources of it.
 */
import type { Change, Reconciler } from '../../reconcilers/core/contract.js';

export interface WatchOnlySpec {
  path: string;
  host?: string;
}

/** `kind` watching `spec.path` on `spec.host`, or on `defaultHost` when the spec names none. */
export function watchOnlyKind(kind: string, defaultHost: string): Reconciler<any, any, Change> {
  const reconciler: Reconciler<WatchOnlySpec, null> = {
    kind,
    hostOf: (spec) => spec.host ?? defaultHost,
    async observe() {
      return null;
    },
    plan: () => ({ changes: [] }),
    async apply() {},
    async finalize() {},
    watchTargets: (spec) => [spec.path],
  };
  return reconciler as Reconciler<any, any, Change>;
}
