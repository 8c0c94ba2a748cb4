/**
 * The kill-switch check after a converged run: every dependent's network mode is the gateway's current id, it
 * is attached to no network of its own, and (when the Docker host's /proc is readable) its network namespace is
 * the gateway's. A failure is an error (retried), never a quiet success. Also records status fields.
 */
import type { ReconcileContext, VerifyResult } from '../core/contract.js';
import type { VpnObserved } from './model.js';
import { planVpn } from './plan.js';
import type { VpnSidecarSpec } from './spec.js';

export async function verifyVpn(observed: VpnObserved, ctx: ReconcileContext<VpnSidecarSpec>): Promise<VerifyResult> {
  const spec = ctx.resource.spec;
  const gw = observed.gateway;
  const problems: string[] = [];
  if (!gw || gw.status !== 'running') problems.push(`the gateway ${spec.gateway.name} is not running`);
  for (const dependent of spec.dependents) {
    const c = observed.dependents[dependent.name];
    if (!c) {
      problems.push(`${dependent.name} does not exist`);
      continue;
    }
    if (!gw || c.networkMode !== `container:${gw.id}`) problems.push(`${dependent.name} has network mode ${c.networkMode}, not container:${gw?.id.slice(0, 12) ?? '?'}`);
    if (c.networks.length > 0) problems.push(`${dependent.name} is attached to networks of its own: ${c.networks.join(', ')}`);
    if (gw && c.netns !== null && gw.netns !== null && c.netns !== gw.netns) {
      problems.push(`${dependent.name} is in network namespace ${c.netns}, the gateway in ${gw.netns}`);
    }
  }
  if (problems.length > 0) throw new Error(`kill-switch check failed: ${problems.join('; ')}`);

  const namespace = gw!.netns !== null ? ` (network namespace ${gw!.netns})` : '';
  ctx.setStatus({
    gatewayId: gw!.id.slice(0, 12),
    gatewayHealth: gw!.health,
    killSwitch: `${spec.dependents.length} dependent(s) share the gateway's network stack${namespace}`,
    ...(observed.portForwarding?.forwardedPort ? { forwardedPort: observed.portForwarding.forwardedPort } : {}),
  });
  // The degraded state of what is live now (the plan before an apply may be stale).
  const now = planVpn(spec, observed, { name: ctx.resource.metadata.name, now: ctx.now, inventory: ctx.inventory, memo: ctx.memo });
  return now.degraded ? { degraded: now.degraded } : {};
}
