/**
 * Applying a share's config edit with lxc-config's `applyConfigEdit` (record, compare-and-swap write against the
 * bytes the plan saw, forget; Proxmox: under pct's lock; a locked config is never written). A running container
 * sees a new bind mount only from its next start: that is said in an event (`RestartNeeded`), asked of the
 * container with lxc-config's lifecycle tools.
 */
import type { ReconcileContext } from '../../core/contract.js';
import { errorMessage } from '../../core/problem.js';
import { applyConfigEdit, containerTools, type EditConfigChange } from '../../lxc-config/index.js';
import type { UnifiedNamespaceObserved } from '../model.js';
import type { UnifiedNamespaceSpec } from '../spec.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

export async function applyShareEdit(change: EditConfigChange, observed: UnifiedNamespaceObserved, ctx: Ctx): Promise<void> {
  const { path, container, flavor } = change.location;
  const snapshot = observed.shares.find((c) => c.location?.path === path)?.snapshot;
  if (!snapshot) throw new Error(`no observed config ${path} for container ${container}; observing again`);
  await applyConfigEdit(ctx, change, snapshot);
  if (change.add.length === 0) return;
  const tools = containerTools(ctx.host, flavor, container);
  const running = await tools.state(ctx.signal).then(
    (state) => state.running,
    (err: unknown) => {
      // Only the advice below depends on it: the edit is done.
      ctx.log.warn({ err }, `could not tell whether container ${container} runs: ${errorMessage(err)}`);
      return false;
    },
  );
  if (running) {
    ctx.event('Normal', 'RestartNeeded', `container ${container} is running: it gets ${ctx.resource.spec.root} at its next start (${tools.restartCommand})`);
  }
}
