/**
 * StorageKeepalive's public face: the reconciler the controller registers, and the types of its spec,
 * observation and changes.
 */
export { storageKeepaliveReconciler } from './reconciler.js';
export type { StorageKeepaliveSpec } from './spec.js';
export type { StorageKeepaliveChange, StorageKeepaliveObserved } from './model.js';
