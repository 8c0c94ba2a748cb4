/**
 * Every resource kind this build of homeostat reconciles, each once. A kind with a CRD but no entry here (yet) is
 * accepted by validation and reported as Stalled/KindNotImplemented instead of being silently ignored.
 * Callers (the CLI, the daemon, tests) pass this list to the controller, which registers exactly what it gets.
 */
import type { Change, Reconciler } from './core/contract.js';
import { hostKindReconciler } from './host-kind/index.js';
import { lxcDeviceReconciler } from './lxc-device/index.js';
import { notifierReconciler } from './notifier/index.js';
import { storageKeepaliveReconciler } from './storage-keepalive/index.js';
import { unifiedNamespaceReconciler } from './unified-namespace/index.js';
import { vpnSidecarReconciler } from './vpn-sidecar/index.js';

export const allReconcilers: Reconciler<any, any, Change>[] = [
  hostKindReconciler as Reconciler<any, any, Change>,
  storageKeepaliveReconciler as Reconciler<any, any, Change>,
  lxcDeviceReconciler as Reconciler<any, any, Change>,
  unifiedNamespaceReconciler as Reconciler<any, any, Change>,
  vpnSidecarReconciler as Reconciler<any, any, Change>,
  notifierReconciler as Reconciler<any, any, Change>,
];
