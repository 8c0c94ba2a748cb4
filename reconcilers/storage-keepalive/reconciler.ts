/**
 * The StorageKeepalive reconciler: keeps a USB disk from falling asleep, either by writing a heartbeat file
 * itself (`mode: controller`) or by converging a cron file that does (`mode: cron`), and never writes to a
 * disk that is not mounted. Wires the pure plan to observe/apply behind the `Reconciler` contract.
 */
import type { Reconciler } from '../core/contract.js';
import { applyKeepalive, finalizeKeepalive } from './apply.js';
import { cronFilePath } from './cron.js';
import type { StorageKeepaliveChange, StorageKeepaliveObserved } from './model.js';
import { observeKeepalive } from './observe.js';
import { planKeepalive } from './plan.js';
import type { StorageKeepaliveSpec } from './spec.js';
import { heartbeatPath } from './targets.js';
import { validateSpec } from './validate.js';

export const storageKeepaliveReconciler: Reconciler<StorageKeepaliveSpec, StorageKeepaliveObserved, StorageKeepaliveChange> = {
  kind: 'StorageKeepalive',
  hostOf: (spec) => spec.host,
  validate: validateSpec,
  observe: observeKeepalive,
  plan: planKeepalive,
  apply: applyKeepalive,
  finalize: finalizeKeepalive,
  watchTargets,
};

/**
 * Drift triggers: `spec.path` (the disk appearing or going), plus the heartbeat file in controller mode (an
 * unmount shows up on it), or the cron file in cron mode.
 */
function watchTargets(spec: StorageKeepaliveSpec, name: string): string[] {
  return spec.mode === 'cron' ? [cronFilePath(name), spec.path] : [heartbeatPath(spec), spec.path];
}
