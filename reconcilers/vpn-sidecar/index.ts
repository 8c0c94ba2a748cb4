/**
 * VpnSidecar's public face: the reconciler the controller registers, and the types of its spec, observation,
 * changes and reasons.
 */
export { vpnSidecarReconciler } from './reconciler.js';
export type { VpnSidecarSpec } from './spec.js';
export type { VpnChange, VpnObserved, ObservedContainer } from './model.js';
export { LABELS, ownerOf } from './labels.js';
export type { VpnSidecarStallReason, VpnSidecarRetryReason, VpnSidecarDegradedReason } from './reasons.js';
