/**
 * The LxcDevice reconciler: passes host devices (QuickSync's /dev/dri, /dev/net/tun, any node) into an LXC
 * container by keeping the granting lines in its config, on Proxmox or plain LXC, restarting it when asked, and
 * healing a human's deletion through a watch on the config. Wires the pure plan to observe/apply/verify.
 */
import type { Reconciler } from '../core/contract.js';
import { DEFAULT_LXC_PATH, isLxcName, isProxmoxVmid, PVE_LXC_DIR } from '../lxc-config/index.js';
import { applyLxcDevice, finalizeLxcDevice } from './apply.js';
import type { LxcDeviceChange, LxcDeviceObserved, LxcDevicePlan } from './model.js';
import { observeLxcDevice } from './observe.js';
import { planLxcDevice } from './plan.js';
import { isPreset, PRESETS } from './presets.js';
import type { LxcDeviceSpec } from './spec.js';
import { validateSpec } from './validate.js';
import { verifyLxcDevice } from './verify.js';

export const lxcDeviceReconciler: Reconciler<LxcDeviceSpec, LxcDeviceObserved, LxcDeviceChange, LxcDevicePlan> = {
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
 * on Proxmox, LXC's generated copy, rewritten at every start: a start triggers a check too). And the declared
 * device nodes (a preset's folder or paths): a device plugged in later is noticed, and a resource Stalled on
 * DeviceNotFound looks again by itself.
 */
function watchTargets(spec: LxcDeviceSpec): string[] {
  const configs: string[] = [];
  if (isProxmoxVmid(spec.container)) configs.push(`${PVE_LXC_DIR}/${spec.container}.conf`);
  if (isLxcName(spec.container)) configs.push(`${DEFAULT_LXC_PATH}/${spec.container}/config`);
  const devices = spec.devices.flatMap((entry) => {
    const preset = entry.preset !== undefined && isPreset(entry.preset) ? PRESETS[entry.preset]! : undefined;
    return [...(preset?.dir ? [preset.dir.path] : []), ...(preset?.paths ?? []), ...(entry.path !== undefined ? [entry.path] : [])];
  });
  // Only device paths validation accepts (anything else is InvalidSpec, and never watched).
  const valid = devices.filter((path) => path.startsWith('/dev/') && !path.split('/').includes('..'));
  return [...new Set([...configs, ...valid])];
}
