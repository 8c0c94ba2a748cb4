/**
 * LxcDevice's verify: when the container runs, check inside it that each device node exists (`pct exec` /
 * `lxc-attach` with `test -e`). A missing node in a running container is Degraded: `PendingRestart` with
 * `restart: never` (the config grants it; the container has not been restarted since), `DeviceMissingInContainer`
 * otherwise. Also publishes what the resource relies on: its lines, the adopted human lines (from the plan made
 * from this observation: verify never plans again), devices, skipped ones.
 */
import type { ReconcileContext, VerifyResult } from '../core/contract.js';
import { containerTools, lineOf, linesByPath } from '../lxc-config/index.js';
import type { LxcDeviceMemo, LxcDeviceObserved, LxcDevicePlan } from './model.js';
import type { LxcDeviceSpec } from './spec.js';

export async function verifyLxcDevice(observed: LxcDeviceObserved, plan: LxcDevicePlan, ctx: ReconcileContext<LxcDeviceSpec>): Promise<VerifyResult> {
  const spec = ctx.resource.spec;
  const memo = ctx.memo as LxcDeviceMemo;
  const { container, location } = { container: observed.container, location: observed.config.location };
  const adopted = plan.adopted;
  const newlyAdopted = adopted.filter((l) => !(memo.adoptedLines ?? []).includes(l));
  if (newlyAdopted.length > 0) {
    ctx.event('Normal', 'Adopted', `relying on line(s) a human wrote in ${ctx.host.name}:${location.path} instead of adding duplicates: ${newlyAdopted.join('; ')}`);
  }
  memo.adoptedLines = adopted;
  ctx.setStatus({
    config: `${ctx.host.name}:${location.path}`,
    containerRunning: container.running,
    devices: observed.devices.nodes.map((d) => `${d.path} (${d.type} ${d.major}:${d.minor})`),
    managedLines: (linesByPath(ctx.inventory, ctx.host.name).get(location.path) ?? []).map((i) => lineOf(i).line),
    adoptedLines: adopted,
    skippedDevices: observed.devices.skipped,
  });
  if (!container.running) return {};
  if (memo.restartingContainer === location.container) delete memo.restartingContainer;

  const tools = containerTools(ctx.host, observed.platform, location.container);
  const missing: string[] = [];
  for (const node of observed.devices.nodes) {
    if (!(await tools.exists(node.path, ctx.signal))) missing.push(node.path);
  }
  if (missing.length === 0) return {};
  if (spec.restart === 'never') {
    return {
      degraded: {
        type: 'Degraded',
        reason: 'PendingRestart',
        message:
          `container ${location.container} runs without ${missing.join(', ')}: the config grants ${missing.length > 1 ? 'them' : 'it'}, ` +
          `but a running container only sees that after a restart (restart: never; restart it, or set restart: if-running)`,
      },
    };
  }
  return {
    degraded: {
      type: 'Degraded',
      reason: 'DeviceMissingInContainer',
      message:
        `container ${location.container} runs without ${missing.join(', ')} although its config grants ${missing.length > 1 ? 'them' : 'it'} ` +
        `(homeostat restarts only after its own edits; restart it by hand if the lines were added by hand)`,
    },
  };
}
