/**
 * Step 6 of VpnSidecar's plan: the images the planned creates and recreates need and the Docker host lacks are
 * pulled before any container is created, recreated, started or restarted (so nothing is removed for a
 * declaration whose image cannot be had). With `pull: always`, a create or recreate pulls its image even when the
 * Docker host has it (as compose's pull_policy: always does); that pull may fail and the local image is used.
 */
import type { VpnChange } from '../model.js';
import { extend, type VpnPlanStep } from './step.js';

const CONTAINER_ACTIONS: ReadonlySet<VpnChange['action']> = new Set(['create', 'recreate', 'start', 'restart']);

/** A change that creates, recreates, starts or restarts a declared container. */
export function isContainerChange(change: VpnChange): boolean {
  return CONTAINER_ACTIONS.has(change.action);
}

export const planPulls: VpnPlanStep = ({ observed }, plan) => {
  const needed = new Set<string>();
  for (const c of plan.changes) {
    if ((c.action === 'create' || c.action === 'recreate') && (!observed.images[c.desired.image] || c.desired.pull === 'always')) needed.add(c.desired.image);
  }
  if (needed.size === 0) return plan;
  const pulls: VpnChange[] = [...needed].map((image) =>
    observed.images[image]
      ? { action: 'pull', target: `image/${image}`, summary: `pull image ${image} (pull: always)`, image, present: true }
      : { action: 'pull', target: `image/${image}`, summary: `pull image ${image} (not on the Docker host)`, image },
  );
  const at = plan.changes.findIndex(isContainerChange);
  return { ...plan, changes: [...plan.changes.slice(0, at), ...pulls, ...plan.changes.slice(at)] };
};
