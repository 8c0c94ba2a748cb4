/**
 * The LxcDevice reconciler: passes host devices (QuickSync's /dev/dri, /dev/net/tun, any node) into an LXC
 * container by keeping the granting lines in its config, on Proxmox or plain LXC, restarting it when asked, and
 * healing a human's deletion through a watch on the config. Wires the pure plan to observe/apply/verify.
 */
import type { Reconciler } from '../core/contract.js';
import { DEFAULT_LXC_PATH, isLxcName, isProxmoxVmid, PVE_LXC_DIR } from '../lxc-config/index.js';
import { applyLxcDevice, finalizeLxcDevice } from './apply.js';
import type { LxcDeviceChange, LxcDeviceObserved } from './model.js';
import { observeLxcDevice } from './observe.js';
import { planLxcDevice } from './plan.js';
import type { LxcDeviceSpec } from './spec.js';
import { validateSpec } from './validate.js';
import { verifyLxcDevice } from './verify.js';

export const lxcDeviceReconciler: Reconciler<LxcDeviceSpec, LxcDeviceObserved, LxcDeviceChange> = {
  kind: 'LxcDevice',
  hostOf: (spec) => spec.host,
  validate: validateSpec,
  observe: observeLxcDevice,
  plan: planLxcDevice,
  apply: applyLxcDevice,
  verify: verifyLxcDevice,
  finalize: finalizeLxcDevice,
  watchTargets,
};

/**
 * The container's config. Which platform the host has is not known here, so both candidates are watched:
 * `/etc/pve/lxc/<vmid>.conf` (Proxmox; for a numeric container) and `/var/lib/lxc/<name>/config` (plain LXC;
 * on Proxmox, LXC's generated copy, rewritten at every start: a start triggers a check too).
 */
function watchTargets(spec: LxcDeviceSpec): string[] {
  const targets: string[] = [];
  if (isProxmoxVmid(spec.container)) targets.push(`${PVE_LXC_DIR}/${spec.container}.conf`);
  if (isLxcName(spec.container)) targets.push(`${DEFAULT_LXC_PATH}/${spec.container}/config`);
  return targets;
}
