/**
 * The UnifiedNamespace reconciler: keeps one folder tree (typically /data) on one filesystem, with its folders,
 * owner and mode, proves hardlinks work across it, shares it into containers as one bind mount each, and audits
 * the library for copies that should have been hardlinks. Wires the pure plan to observe/apply behind the
 * `Reconciler` contract.
 */
import type { Reconciler } from '../core/contract.js';
import { applyNamespace } from './apply.js';
import { finalizeNamespace } from './finalize.js';
import { declaredFolders } from './layout.js';
import type { UnifiedNamespaceChange, UnifiedNamespaceObserved, UnifiedNamespacePlan } from './model.js';
import { observeNamespace } from './observe.js';
import { planNamespace } from './plan.js';
import type { UnifiedNamespaceSpec } from './spec.js';
import { validateSpec } from './validate.js';
import { verifyNamespace } from './verify.js';

export const unifiedNamespaceReconciler: Reconciler<UnifiedNamespaceSpec, UnifiedNamespaceObserved, UnifiedNamespaceChange, UnifiedNamespacePlan> = {
  kind: 'UnifiedNamespace',
  hostOf: (spec) => spec.host,
  validate: validateSpec,
  observe: observeNamespace,
  plan: planNamespace,
  apply: applyNamespace,
  verify: verifyNamespace,
  finalize: finalizeNamespace,
  watchTargets,
};

/**
 * Drift triggers: the root and every declared folder (a folder deleted, chmod'ed or chown'ed by hand shows up
 * on it or on its parent). Mounts make no inotify event: the plan asks to be run again every RECHECK_MS.
 */
function watchTargets(spec: UnifiedNamespaceSpec): string[] {
  return declaredFolders(spec).map((f) => f.path);
}
