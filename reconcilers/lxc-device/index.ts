/**
 * LxcDevice's public face: the reconciler the controller registers, and the types of its spec, observation
 * and changes.
 */
export { lxcDeviceReconciler } from './reconciler.js';
export type { LxcDeviceSpec, LxcDeviceEntry } from './spec.js';
export type { LxcDeviceChange, LxcDeviceObserved, LxcDevicePlan, LxcDeviceStallReason } from './model.js';
