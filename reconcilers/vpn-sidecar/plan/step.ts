/**
 * The shape every VpnSidecar sub-planner has: a pure step from the plan so far to the plan with its part
 * added, given the same input (spec, observation, owner). `planVpn` runs them in order and stops after a step
 * that marks the plan `final`. Also the small helpers the steps share (targets, container refs, how a network
 * mode reads).
 */
import type { Plan, ReportedCondition } from '../../core/contract.js';
import type { Role } from '../labels.js';
import type { ContainerRef, ObservedContainer, VpnChange, VpnObserved } from '../model.js';
import type { VpnSidecarDegradedReason } from '../reasons.js';
import type { VpnSidecarSpec } from '../spec.js';

export interface VpnPlanInput {
  spec: VpnSidecarSpec;
  observed: VpnObserved;
  /** The owner label value of this resource's containers (`VpnSidecar/<name>`). */
  owner: string;
}

export interface VpnPlanDraft extends Plan<VpnChange> {
  /** Nothing more is planned after the step that set it. */
  final?: boolean;
}

export type VpnPlanStep = (input: VpnPlanInput, plan: VpnPlanDraft) => VpnPlanDraft;

/** What a step adds: changes after those so far; the first Degraded wins; the soonest recheck wins. */
export function extend(plan: VpnPlanDraft, more: { changes?: VpnChange[]; degraded?: ReportedCondition; requeueAfterMs?: number; final?: boolean }): VpnPlanDraft {
  const degraded = plan.degraded ?? more.degraded;
  const requeueAfterMs = soonest(plan.requeueAfterMs, more.requeueAfterMs);
  return {
    changes: [...plan.changes, ...(more.changes ?? [])],
    ...(degraded ? { degraded } : {}),
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
    ...(plan.final || more.final ? { final: true } : {}),
  };
}

function soonest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

export function degradedBecause(reason: VpnSidecarDegradedReason, message: string): ReportedCondition {
  return { type: 'Degraded', reason, message };
}

export const containerTarget = (name: string) => `container/${name}`;

export const shortId = (id: string) => id.slice(0, 12);

export function ref(c: ObservedContainer, role: Role): ContainerRef {
  return { id: c.id, name: c.name, role };
}

/** A network mode as messages show it: `container:<gateway name>` for the gateway, a short id for another. */
export function describeMode(mode: string, gw: ObservedContainer | null): string {
  if (!mode.startsWith('container:')) return mode;
  const id = mode.slice('container:'.length);
  return gw && id === gw.id ? `container:${gw.name}` : `container:${shortId(id)}`;
}
