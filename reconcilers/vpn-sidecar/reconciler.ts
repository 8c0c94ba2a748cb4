/**
 * The VpnSidecar reconciler: a VPN gateway container (gluetun) and the app containers that share its network
 * stack, so that its firewall is their kill switch; healed from the Docker events stream, and the VPN's
 * forwarded port delivered to the app. Wires the pure plan to observe/apply behind the `Reconciler` contract.
 */
import type { Reconciler } from '../core/contract.js';
import { applyVpn } from './apply.js';
import { finalizeVpn } from './finalize.js';
import type { VpnChange, VpnObserved } from './model.js';
import { observeVpn } from './observe.js';
import { planVpn, type VpnPlan } from './plan.js';
import type { VpnSidecarSpec } from './spec.js';
import { validateSpec } from './validate.js';
import { verifyVpn } from './verify.js';
import { watchVpn } from './watch.js';

export const vpnSidecarReconciler: Reconciler<VpnSidecarSpec, VpnObserved, VpnChange, VpnPlan> = {
  kind: 'VpnSidecar',
  hostOf: (spec) => spec.host,
  validate: validateSpec,
  observe: observeVpn,
  plan: planVpn,
  apply: applyVpn,
  verify: verifyVpn,
  finalize: finalizeVpn,
  watch: watchVpn,
};
