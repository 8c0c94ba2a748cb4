/**
 * UnifiedNamespace's public face: the reconciler the controller registers, the types of its spec, observation
 * and changes, and the pure pieces other code may reuse (the TRaSH layout, validation).
 */
export { unifiedNamespaceReconciler } from './reconciler.js';
export { TRASH_LAYOUT, declaredFolders, declaredRelativeFolders, isInside } from './layout.js';
export { octal } from './plan-folders.js';
export { configMounts } from './share/mounts.js';
export type { ConfigMount } from './share/model.js';
export { validateSpec } from './validate.js';
export type { UnifiedNamespaceSpec, UnifiedNamespaceShare, UnifiedNamespaceOwner } from './spec.js';
export type { MountInTree, ObservedFolder, UnifiedNamespaceChange, UnifiedNamespaceObserved, UnifiedNamespacePlan } from './model.js';
export type { UnifiedNamespaceStallReason, UnifiedNamespaceDegradedReason, UnifiedNamespaceRetryReason } from './reasons.js';
