/**
 * Planning the shares, pure: for each container, one bind mount of the whole root at the share's path (kept
 * when any line already provides it, else a new `mpN` at the first free index or an `lxc.mount.entry`), our
 * lines the spec no longer wants removed (never a human's), and the findings that need a person: another mount
 * at that path (Stalled), several mounts into the tree (`SplitMounts`), a locked, missing or unreadable config.
 */
import type { InventoryItem, PlanInput } from '../../core/contract.js';
import { firstFreeIndex, lockOf, mainEntries } from '../../lxc-config/index.js';
import { hostTarget, isInside } from '../layout.js';
import type { UnifiedNamespaceSpec } from '../spec.js';
import { CONFIG_LINE_ITEM, lineItem, type ConfigMount, type ObservedConfig, type ShareChange } from './model.js';
import { bindMountLine, configMounts, MAX_MOUNT_POINTS, mountOfEntry, usedMountIndices } from './mounts.js';

/** Something about one container that makes the resource Degraded or Stalled. */
export interface ShareFinding {
  severity: 'degraded' | 'stalled';
  reason: string;
  message: string;
}

/** What `describe` shows per share. */
export interface ShareStatus {
  container: string;
  path: string;
  /** The line that provides the mount (after this plan), or `null`. */
  line: string | null;
  /** Every mount of the container into the tree, when there are several. */
  splitMounts?: string[];
}

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
  const ours = inventory.filter(
    (i) => i.type === CONFIG_LINE_ITEM && i.host === spec.host && i.detail?.container === config.container,
  );
  const what = `container ${config.container}`;

  if (config.problem || !config.location) {
    if (share) plan.findings.push({ severity: 'stalled', reason: config.problem?.reason ?? 'InvalidContainer', message: `${what}: ${config.problem?.message ?? 'no config location'}` });
    return;
  }
  const location = config.location;
  const target = hostTarget(spec.host, location.path);
  if (config.snapshot === null) {
    for (const item of ours) plan.changes.push(release(item, `${target} is gone (container destroyed?)`));
    if (share) {
      plan.findings.push({ severity: 'degraded', reason: 'ContainerNotFound', message: `${what} has no config (${target}); the tree is shared once it exists` });
      plan.status.push({ container: config.container, path, line: null });
    }
    return;
  }
  const doc = config.snapshot.doc;
  const entries = mainEntries(doc);
  const present = new Set(entries.map((e) => e.text));
  const oursPresent = ours.filter((i) => present.has(lineOf(i)));
  for (const item of ours) if (!present.has(lineOf(item))) plan.changes.push(release(item, `the line is no longer in ${target}`));

  const wanted = (m: ConfigMount | null) => m !== null && m.source === spec.root && m.target === path;
  const entryByText = new Map(entries.map((e) => [e.text, e]));
  const remove = share ? oursPresent.filter((i) => !wanted(mountOfEntry(doc.flavor, entryByText.get(lineOf(i))!))) : oursPresent;
  const removedTexts = new Set(remove.map(lineOf));
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
      plan.changes.push({
        action: 'edit-config',
        target,
        summary: [
          ...add.map((l) => `add "${l}" to ${target} (bind-mount ${spec.root} at ${path} in ${what})`),
          ...remove.map((i) => `remove "${lineOf(i)}" from ${target} (written by homeostat, no longer wanted)`),
        ].join('; '),
        details: [...remove.map((i) => `- ${lineOf(i)}`), ...add.map((l) => `+ ${l}`)],
        container: config.container,
        location,
        add,
        remove: remove.map(lineOf),
        record: add.map((l) => lineItem(spec.host, location, l)),
        forget: remove.map(({ type, host, id }) => ({ type, host, id })),
      });
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
    target: hostTarget(item.host, String(item.detail?.path ?? item.id)),
    summary: `forget "${lineOf(item)}": ${why}`,
    item: { type: item.type, host: item.host, id: item.id },
  };
}

/** The exact line text of an inventory item. */
export function lineOf(item: InventoryItem): string {
  return typeof item.detail?.line === 'string' ? item.detail.line : item.id.slice(item.id.indexOf('#') + 1);
}
