/**
 * StorageKeepalive's public face: the reconciler the controller registers, and the types of its spec,
 * observation and changes.
 */
export { storageKeepaliveReconciler } from './reconciler.js';
export type { StorageKeepaliveSpec } from './spec.js';
export type { StorageKeepaliveChange, StorageKeepaliveObserved } from './model.js';
/** For `homeostat import host` (controller/import): the one rule for which intervals cron can carry. */
export { cronSchedule, CRON_DIR } from './cron.js';
