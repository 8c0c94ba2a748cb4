/**
 * The Host kind's public face: the reconciler that reports whether each Host answers, and its stall reasons.
 * (Host access itself, the transports, is `reconcilers/host/`.)
 */
export { hostKindReconciler, type HostObserved, type HostStallReason } from './reconciler.js';
