/**
 * Planning the shares, pure: for each container, one bind mount of the whole root at the share's path (kept
 * when any line already provides it, else a new `mpN` at the first free index or an `lxc.mount.entry`), our
 * lines the spec no longer wants removed (never a human's), and the findings that need a person: another mount
 * at that path (Stalled), several mounts into the tree (`SplitMounts`), a locked, missing or unreadable config.
 */
import type { InventoryItem, PlanInput } from '../../core/contract.js';
import type { Problem } from '../../core/problem.js';
import { firstFreeIndex, itemKey, lineOf, linesByPath, lockOf, mainEntries, ownLinesIn, planConfigEdit } from '../../lxc-config/index.js';
import { hostTarget, isInside } from '../layout.js';
import type { ShareStallReason, UnifiedNamespaceDegradedReason } from '../reasons.js';
import type { UnifiedNamespaceSpec } from '../spec.js';
import type { ConfigMount, ObservedConfig, ShareChange, ShareStatus } from './model.js';
import { bindMountLine, configMounts, MAX_MOUNT_POINTS, mountOfEntry, usedMountIndices } from './mounts.js';

/** Something that makes the resource Degraded or Stalled (about one container, or mounts in the tree). */
export type ShareFinding =
  | (Problem<ShareStallReason> & { severity: 'stalled' })
  | (Problem<Exclude<UnifiedNamespaceDegradedReason, 'RootParentMissing'>> & { severity: 'degraded' });

/** The exact line an inventory item records. */
const textOf = (item: InventoryItem) => lineOf(item).line;

export interface SharePlan {
  changes: ShareChange[];
  findings: ShareFinding[];
  status: ShareStatus[];
}

export function planShares(spec: UnifiedNamespaceSpec, configs: readonly ObservedConfig[], input: Pick<PlanInput, 'inventory'>): SharePlan {
  const plan: SharePlan = { changes: [], findings: [], status: [] };
  for (const config of configs) planContainer(spec, config, input.inventory, plan);
  return plan;
}

function planContainer(spec: UnifiedNamespaceSpec, config: ObservedConfig, inventory: readonly InventoryItem[], plan: SharePlan): void {
  const share = spec.shareInto.find((s) => s.container === config.container);
  const path = share?.path ?? spec.root;
  const what = `container ${config.container}`;

  if (config.problem || !config.location) {
    if (share) plan.findings.push({ severity: 'stalled', reason: config.problem?.reason ?? 'InvalidContainer', message: `${what}: ${config.problem?.message ?? 'no config location'}` });
    return;
  }
  const location = config.location;
  const target = hostTarget(spec.host, location.path);
  const ours = linesByPath(inventory, spec.host).get(location.path) ?? [];
  if (config.snapshot === null) {
    for (const item of ours) plan.changes.push(release(item, `${target} is gone (container destroyed?)`));
    if (share) {
      plan.findings.push({ severity: 'degraded', reason: 'ContainerNotFound', message: `${what} has no config (${target}); the tree is shared once it exists` });
      plan.status.push({ container: config.container, path, line: null });
    }
    return;
  }
  const doc = config.snapshot.doc;
  const { present: oursPresent, vanished } = ownLinesIn(doc, ours);
  for (const item of vanished) plan.changes.push(release(item, `the line is no longer in ${target}`));

  const wanted = (m: ConfigMount | null) => m !== null && m.source === spec.root && m.target === path;
  const entryByText = new Map(mainEntries(doc).map((e) => [e.text, e]));
  const unwanted = (item: InventoryItem) => {
    const entry = entryByText.get(textOf(item));
    return !entry || !wanted(mountOfEntry(doc.flavor, entry));
  };
  const remove = share ? oursPresent.filter(unwanted) : oursPresent;
  const removedTexts = new Set(remove.map(textOf));
  const remaining = configMounts(doc).filter((m) => !removedTexts.has(m.text));

  const add: string[] = [];
  let providing: ConfigMount | undefined;
  if (share) {
    providing = remaining.find(wanted);
    const taken = remaining.filter((m) => m.target === path && !wanted(m));
    if (taken.length > 0) {
      plan.findings.push({
        severity: 'stalled',
        reason: 'MountPathTaken',
        message: `${what} already mounts something else at ${path} (${taken.map((m) => `"${m.text}"`).join(', ')}): remove it, or set spec.shareInto path`,
      });
      return;
    }
    if (!providing) {
      const index = doc.flavor === 'proxmox' ? firstFreeIndex(usedMountIndices(doc), MAX_MOUNT_POINTS) : 0;
      if (index === null) {
        plan.findings.push({ severity: 'stalled', reason: 'NoFreeMountPoint', message: `${what}: mp0 to mp${MAX_MOUNT_POINTS - 1} are all taken` });
        return;
      }
      const text = bindMountLine(doc.flavor, spec.root, path, index);
      add.push(text);
      providing = { key: doc.flavor === 'proxmox' ? `mp${index}` : 'lxc.mount.entry', text, source: spec.root, target: path };
    }
  }

  if (add.length > 0 || remove.length > 0) {
    const locked = lockOf(doc);
    if (locked !== null) {
      plan.findings.push({ severity: 'degraded', reason: 'ConfigLocked', message: `${what} is locked (lock: ${locked}); its mount of ${spec.root} waits until Proxmox releases it` });
    } else {
      const summary = [
        ...add.map((l) => `add "${l}" to ${target} (bind-mount ${spec.root} at ${path} in ${what})`),
        ...remove.map((i) => `remove "${textOf(i)}" from ${target} (written by homeostat, no longer wanted)`),
      ].join('; ');
      plan.changes.push(planConfigEdit({ host: spec.host, snapshot: config.snapshot, add, remove, summary })!);
    }
  }

  if (!share) return;
  const after = [...remaining, ...(add.length > 0 && providing ? [providing] : [])];
  const intoTree = after.filter((m) => isInside(spec.root, m.source) || isInside(m.source, spec.root));
  const status: ShareStatus = { container: config.container, path, line: providing?.text ?? null };
  if (intoTree.length > 1) {
    status.splitMounts = intoTree.map((m) => m.text);
    plan.findings.push({
      severity: 'degraded',
      reason: 'SplitMounts',
      message:
        `${what} has ${intoTree.length} mounts into ${spec.root} (${intoTree.map((m) => `"${m.text}"`).join(', ')}): ` +
        `hardlinks and renames between them fail (EXDEV); keep only the one of the whole tree`,
    });
  }
  plan.status.push(status);
}

function release(item: InventoryItem, why: string): ShareChange {
  return {
    action: 'release',
    target: hostTarget(item.host, lineOf(item).path),
    summary: `forget "${textOf(item)}": ${why}`,
    item: itemKey(item),
  };
}
