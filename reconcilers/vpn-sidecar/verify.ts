/**
 * The kill-switch check after a converged run: every dependent's network mode is the gateway's current id, it
 * is attached to no network of its own, and (when the Docker host's /proc is readable) its network namespace is
 * the gateway's. A failure is an error (`KillSwitchNotVerified`, retried), never a quiet success. Also records
 * status fields (the tunnel's among them) and reports the kind's own conditions, TunnelUp and NoLeak (tunnel.ts).
 * Whether the resource is Degraded is the plan's to say (the machine hands it the plan made from this
 * observation), so nothing is planned again here. Containers that plan found matching their declaration are
 * recorded as adopted in place once the check passes (adopt-in-place.ts).
 */
import { RetryableError, type ReconcileContext, type VerifyResult } from '../core/contract.js';
import { recordInPlaceAdoptions } from './adopt-in-place.js';
import type { VpnObserved } from './model.js';
import type { VpnPlan } from './plan.js';
import type { VpnSidecarRetryReason } from './reasons.js';
import type { VpnSidecarSpec } from './spec.js';
import { tunnelConditions, tunnelStatusFields } from './tunnel.js';

export async function verifyVpn(observed: VpnObserved, plan: VpnPlan, ctx: ReconcileContext<VpnSidecarSpec>): Promise<VerifyResult> {
  const spec = ctx.resource.spec;
  const gw = observed.gateway;
  const problems = killSwitchProblems(spec, observed);
  if (problems.length > 0 || !gw) {
    throw new RetryableError<VpnSidecarRetryReason>('KillSwitchNotVerified', `kill-switch check failed: ${problems.join('; ')}`);
  }
  await recordInPlaceAdoptions(plan.adoptInPlace ?? [], ctx);
  const namespace = gw.netns !== null ? ` (network namespace ${gw.netns})` : '';
  ctx.setStatus({
    gatewayId: gw.id.slice(0, 12),
    gatewayHealth: gw.health,
    killSwitch: `${spec.dependents.length} dependent(s) share the gateway's network stack${namespace}`,
    ...(observed.portForwarding?.forwardedPort ? { forwardedPort: observed.portForwarding.forwardedPort } : {}),
    ...tunnelStatusFields(observed),
  });
  const conditions = tunnelConditions(spec, observed);
  return conditions.length > 0 ? { conditions } : {};
}

/** Why the dependents' traffic might not go through the gateway (empty: it does). */
export function killSwitchProblems(spec: VpnSidecarSpec, observed: VpnObserved): string[] {
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
  return problems;
}
