/**
 * VpnSidecar's public face: the reconciler the controller registers, and the types of its spec, observation,
 * changes and reasons (its own conditions TunnelUp and NoLeak among them).
 */
export { vpnSidecarReconciler } from './reconciler.js';
export type { VpnSidecarSpec, VpnLeakProbe } from './spec.js';
export type { VpnChange, VpnObserved, ObservedContainer, ObservedTunnel } from './model.js';
export { LABELS, ownerOf } from './labels.js';
export type { VpnSidecarStallReason, VpnSidecarRetryReason, VpnSidecarDegradedReason, TunnelUpReason, NoLeakReason } from './reasons.js';
