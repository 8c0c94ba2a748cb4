/**
 * Applying a config edit: the main section edited by the lxc-config library and written compare-and-swap
 * against the bytes the plan saw (Proxmox: under pct's lock; a locked config is never written). A running
 * container sees a new bind mount only from its next start: that is said in an event.
 */
import type { ReconcileContext } from '../../core/contract.js';
import { editMainSection, writeConfig } from '../../lxc-config/index.js';
import type { UnifiedNamespaceObserved } from '../model.js';
import type { UnifiedNamespaceSpec } from '../spec.js';
import type { EditConfigChange } from './model.js';

type Ctx = ReconcileContext<UnifiedNamespaceSpec>;

export async function applyConfigEdit(change: EditConfigChange, observed: UnifiedNamespaceObserved, ctx: Ctx): Promise<void> {
  const snapshot = observed.shares.find((c) => c.container === change.container)?.snapshot;
  if (!snapshot) throw new Error(`no observed config for container ${change.container}; observing again`);
  const { text } = editMainSection(snapshot.doc, { add: change.add, remove: change.remove });
  await writeConfig(ctx.host, snapshot, text, { signal: ctx.signal });
  for (const item of change.forget) ctx.forgetInventory(item);
  for (const item of change.record) ctx.recordInventory(item);
  if (change.add.length > 0 && (await isRunning(ctx, change.container, snapshot.location.flavor))) {
    const how = snapshot.location.flavor === 'proxmox' ? `pct reboot ${change.container}` : `lxc-stop -r -n ${change.container}`;
    ctx.event('Normal', 'RestartNeeded', `container ${change.container} is running: it gets ${ctx.resource.spec.root} at its next start (${how})`);
  }
}

async function isRunning(ctx: Ctx, container: string, flavor: 'proxmox' | 'lxc'): Promise<boolean> {
  const argv = flavor === 'proxmox' ? ['pct', 'status', container] : ['lxc-info', '-s', '-n', container];
  try {
    const result = await ctx.host.exec(argv, { signal: ctx.signal, timeoutMs: 15_000 });
    return result.code === 0 && /\brunning\b/i.test(result.stdout);
  } catch {
    return false;
  }
}
