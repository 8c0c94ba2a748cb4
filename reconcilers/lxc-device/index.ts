/**
 * LxcDevice's public face: the reconciler the controller registers, and the types of its spec, observation
 * and changes.
 */
export { lxcDeviceReconciler } from './reconciler.js';
export type { LxcDeviceSpec, LxcDeviceEntry } from './spec.js';
export type { LxcDeviceChange, LxcDeviceObserved, LxcDevicePlan, LxcDeviceStallReason } from './model.js';
/** For `homeostat import host` (controller/import): the kind's own rules, so an import proposes only what its plan adopts. */
export { resolveDevices, deviceCgroupKey } from './observe.js';
export { planConfigLines } from './plan.js';
export { PRESETS, type Preset } from './presets.js';
export type { ResolvedDevices } from './model.js';
