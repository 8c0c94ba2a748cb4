/**
 * Step 5 of VpnSidecar's plan: each dependent follows the gateway. Created when missing; recreated on the
 * gateway's current id when it no longer matches its declaration, sits on another network mode, is dead, or the
 * gateway is (re)created in this plan (carrying its anonymous volumes); started when it is down; restarted when
 * it sits in an older network namespace than the gateway's (the gateway was started again, or restarted). None of
 * this while the leak probe finds traffic getting out with the tunnel down: they stay stopped until it is up.
 */
import type { ObservedContainer, VpnChange } from '../model.js';
import { desiredDependent } from '../desired.js';
import { carriedVolumes, createChange, pulledImageReason, recreateChange, recreateReasons } from './container-changes.js';
import { leakFound } from '../tunnel.js';
import { isUp } from './leaks.js';
import { containerTarget, describeMode, extend, ref, type VpnPlanInput, type VpnPlanStep } from './step.js';
import { startedAtNs } from '../timestamps.js';

/** What the plan so far does to the gateway: a new container (created or recreated), started again, or nothing. */
export type GatewayRenewal = 'recreated' | 'started' | null;

export function gatewayRenewal(changes: readonly VpnChange[]): GatewayRenewal {
  for (const c of changes) {
    if ((c.action === 'create' || c.action === 'recreate') && c.desired.role === 'gateway') return 'recreated';
    if (c.action === 'start' && c.ref.role === 'gateway') return 'started';
  }
  return null;
}

export const planDependents: VpnPlanStep = (input, plan) => {
  if (leakFound(input.observed)) return plan; // held stopped while the tunnel is down and traffic gets out (planLeaks)
  const renewed = gatewayRenewal(plan.changes);
  return extend(plan, { changes: input.spec.dependents.flatMap((_, i) => planDependent(input, i, renewed)) });
};

function planDependent({ spec, observed, owner }: VpnPlanInput, index: number, renewed: GatewayRenewal): VpnChange[] {
  const dependent = spec.dependents[index]!;
  const desired = desiredDependent(dependent, observed.secrets);
  const gw = observed.gateway;
  const c = observed.dependents[dependent.name] ?? null;
  if (!c) return [createChange(desired)];
  const reasons = recreateReasons(c, desired, owner);
  const pulled = pulledImageReason(c, desired, observed);
  if (pulled) reasons.push(pulled);
  const wantedMode = gw && renewed !== 'recreated' ? `container:${gw.id}` : null;
  if (renewed === 'recreated') reasons.push(`the gateway ${spec.gateway.name} is ${gw ? 'recreated' : 'created'}`);
  else if (c.networkMode !== wantedMode) reasons.push(`network mode is ${describeMode(c.networkMode, gw)}, not the gateway's`);
  else if (c.status === 'dead') reasons.push('it is dead');
  if (reasons.length > 0) return [recreateChange(c, desired, reasons, carriedVolumes(c, desired))];
  if (!isUp(c)) return [{ action: 'start', target: containerTarget(c.name), summary: `start ${c.name} (it is ${c.status})`, ref: ref(c, 'dependent') }];
  const stale = staleReason(c, gw!, renewed);
  return stale ? [{ action: 'restart', target: containerTarget(c.name), summary: `restart ${c.name}: ${stale}`, ref: ref(c, 'dependent'), reason: stale }] : [];
}

/** Why a running dependent is in a network namespace that is not the gateway's current one, or null. */
function staleReason(c: ObservedContainer, gw: ObservedContainer, renewed: GatewayRenewal): string | null {
  if (renewed === 'started') return `the gateway ${gw.name} is started again: ${c.name} must join its new network namespace`;
  if (c.netns !== null && gw.netns !== null && c.netns !== gw.netns) {
    return `it is in network namespace ${c.netns}, the gateway ${gw.name} in ${gw.netns}`;
  }
  if (startedAtNs(c.startedAt) < startedAtNs(gw.startedAt)) {
    return `it started before the gateway ${gw.name} restarted, so it sits in the gateway's old network namespace (no network)`;
  }
  return null;
}
