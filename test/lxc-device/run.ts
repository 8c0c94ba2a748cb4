/**
 * Drives the LxcDevice reconciler through one run the way the reconcile machine does (validate → observe →
 * plan → apply → observe and plan again, which must be empty → verify), without the controller, and reports
 * the outcome as the runtime would: converged (maybe Degraded), stalled with a reason, or failed.
 */
import { isStalledError, type ReportedCondition } from '../../reconcilers/core/contract.js';
import { errorMessage, joinProblems } from '../../reconcilers/core/problem.js';
import type { Host } from '../../reconcilers/host/index.js';
import { lxcDeviceReconciler as reconciler, type LxcDevicePlan, type LxcDeviceSpec } from '../../reconcilers/lxc-device/index.js';
import { MemoryState, resourceOf } from '../storage-keepalive/context.js';

export type RunResult =
  | { result: 'converged'; plan: LxcDevicePlan; degraded?: ReportedCondition }
  | { result: 'stalled'; reason: string; message: string }
  | { result: 'failed'; message: string; error: unknown };

export function lxcDevice(spec: Partial<LxcDeviceSpec> & Pick<LxcDeviceSpec, 'container' | 'devices'>, name = 'media') {
  return resourceOf<LxcDeviceSpec>('LxcDevice', name, { host: 'local', style: 'raw', restart: 'never', ...spec });
}

export async function runOnce(state: MemoryState, resource: ReturnType<typeof lxcDevice>, host: Host): Promise<RunResult> {
  const problems = reconciler.validate!(resource.spec);
  if (problems.length > 0) return { result: 'stalled', reason: 'InvalidSpec', message: joinProblems(problems, problems.length) };
  const planInput = () => ({ name: resource.metadata.name, now: Date.now(), inventory: [...state.inventory], memo: { ...state.memo } });
  try {
    let observed = await reconciler.observe(state.context(resource, host, Date.now()));
    const plan = reconciler.plan(resource.spec, observed, planInput());
    // verify gets the plan made from the observation it checks: after an apply, the (empty) confirming plan.
    let last = plan;
    if (plan.changes.length > 0) {
      await reconciler.apply(plan.changes, observed, state.context(resource, host, Date.now()));
      observed = await reconciler.observe(state.context(resource, host, Date.now()));
      last = reconciler.plan(resource.spec, observed, planInput());
      if (last.changes.length > 0) throw new Error(`NotConverged: ${last.changes.map((c) => c.summary).join('; ')}`);
    }
    const verified = await reconciler.verify!(observed, last, state.context(resource, host, Date.now()));
    return { result: 'converged', plan, ...(verified.degraded ? { degraded: verified.degraded } : {}) };
  } catch (error) {
    if (isStalledError(error)) return { result: 'stalled', reason: error.reason, message: error.message };
    return { result: 'failed', message: errorMessage(error), error };
  }
}

export async function finalizeOnce(state: MemoryState, resource: ReturnType<typeof lxcDevice>, host: Host): Promise<void> {
  await reconciler.finalize(state.context(resource, host, Date.now()));
}
