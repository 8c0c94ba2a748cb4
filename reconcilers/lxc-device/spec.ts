/**
 * The LxcDevice spec as reconcilers see it: validated by ajv against `crds/lxc-device.yaml`, defaults filled in.
 * Generated from that CRD (`npm run gen:types`), never kept by hand.
 */
export type { LxcDeviceSpec, LxcDeviceEntry } from '../../crds/types.js';
