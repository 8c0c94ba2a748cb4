/**
 * LxcDevice's plan, pure: from spec, observation and inventory to the config edits that grant the devices,
 * the inventory bookkeeping, and the restart that makes a running container see them.
 *
 * Per grant: homeostat's own line (recorded in the inventory and present) is kept; else a human's lines that
 * already grant it are adopted (relied on, never owned); else the line is added. Own lines no grant needs are
 * removed, and own lines that vanished are forgotten. Lines in the config of a container the spec no longer
 * names are removed there. `devN` entries take the first index free in the main section and `[pve:pending]`.
 * The plan also carries the human lines it relies on (`adopted`), which verify reports.
 */
import { StalledError, type InventoryItem, type PlanInput } from '../core/contract.js';
import {
  firstFreeIndex,
  indexedKey,
  lineOf,
  linesByPath,
  mainEntries,
  mainLineTexts,
  ownLinesIn,
  planConfigEdit,
  sectionEntries,
  type ConfigDocument,
} from '../lxc-config/index.js';
import { desiredGrants, devEntryProps, devLine, devPropsSatisfy, humanLinesGranting } from './grants.js';
import type { LxcDeviceChange, LxcDeviceMemo, LxcDevicePlan, LxcDeviceObserved, LxcDeviceStallReason } from './model.js';
import type { LxcDeviceSpec } from './spec.js';

/** Proxmox accepts dev0 .. dev255 (`$MAX_DEVICES` in PVE::LXC::Config). */
export const MAX_DEV_INDEX = 256;

/** What one config needs: lines to add and remove, which own lines stay, which human lines are relied upon. */
export interface ConfigLinesPlan {
  add: string[];
  remove: string[];
  keep: string[];
  adopted: string[];
  /** Own lines that are not in the file (and not being added): forget them. */
  vanished: string[];
}

export function planConfigLines(
  spec: Pick<LxcDeviceSpec, 'style' | 'gid' | 'uid' | 'mode'>,
  observed: Pick<LxcDeviceObserved, 'devices' | 'cgroupKey'>,
  doc: ConfigDocument,
  ownLines: readonly string[],
): ConfigLinesPlan {
  const texts = new Set(mainLineTexts(doc));
  const own = new Set(ownLines);
  const ownPresent = ownLines.filter((l) => texts.has(l));
  const humanEntries = mainEntries(doc).filter((e) => !own.has(e.text));
  const keep = new Set<string>();
  const adopted = new Set<string>();
  const add: string[] = [];
  const devWanted: Array<Record<string, string>> = [];

  for (const grant of desiredGrants(spec, observed.devices, doc.flavor, observed.cgroupKey)) {
    if (grant.kind === 'dev') {
      const mine = ownPresent.find((line) => {
        const entry = mainEntries(doc).find((e) => e.text === line);
        const props = entry ? devEntryProps(entry) : null;
        return props !== null && devPropsSatisfy(props, grant.props) && !keep.has(line);
      });
      if (mine) {
        keep.add(mine);
        continue;
      }
      const human = humanLinesGranting(grant, humanEntries, doc.flavor);
      if (human) human.forEach((e) => adopted.add(e.text));
      else devWanted.push(grant.props);
      continue;
    }
    if (own.has(grant.line) && texts.has(grant.line)) {
      keep.add(grant.line);
      continue;
    }
    const human = humanLinesGranting(grant, humanEntries, doc.flavor);
    if (human) human.forEach((e) => adopted.add(e.text));
    else if (!add.includes(grant.line)) add.push(grant.line);
  }

  const remove = ownPresent.filter((l) => !keep.has(l));
  if (devWanted.length > 0) {
    const removed = new Set(remove);
    const used = [
      ...mainEntries(doc).filter((e) => !removed.has(e.text)),
      ...sectionEntries(doc, 'pve:pending'),
    ].flatMap((e) => {
      const key = indexedKey(e.key);
      return key?.prefix === 'dev' ? [key.index] : [];
    });
    for (const props of devWanted) {
      const index = firstFreeIndex(used, MAX_DEV_INDEX);
      if (index === null) {
        throw new StalledError<LxcDeviceStallReason>('NoFreeDeviceIndex', `all of dev0..dev${MAX_DEV_INDEX - 1} are in use: no room for ${props.path}`);
      }
      used.push(index);
      add.push(devLine(index, props));
    }
  }
  const vanished = ownLines.filter((l) => !texts.has(l) && !add.includes(l));
  return { add, remove, keep: [...keep], adopted: [...adopted], vanished };
}

export function planLxcDevice(spec: LxcDeviceSpec, observed: LxcDeviceObserved, input: PlanInput): LxcDevicePlan {
  const host = spec.host;
  const current = observed.config;
  const byPath = linesByPath(input.inventory, host);
  const changes: LxcDeviceChange[] = [];
  const forget: InventoryItem[] = [];

  const ownItems = byPath.get(current.location.path) ?? [];
  const lines = planConfigLines(spec, observed, current.doc, ownItems.map((i) => lineOf(i).line));
  const edit = planConfigEdit({ host, snapshot: current, add: lines.add, remove: ownItems.filter((i) => lines.remove.includes(lineOf(i).line)) });
  if (edit) changes.push(edit);
  forget.push(...ownItems.filter((i) => lines.vanished.includes(lineOf(i).line)));

  // Lines left in the config of a container the spec no longer names.
  for (const [path, items] of byPath) {
    if (path === current.location.path) continue;
    const other = observed.otherConfigs[path];
    if (!other) {
      forget.push(...items);
      continue;
    }
    const { present, vanished } = ownLinesIn(other.doc, items);
    forget.push(...vanished);
    const cleanup = planConfigEdit({ host, snapshot: other, add: [], remove: present });
    if (cleanup) changes.push(cleanup);
  }

  if (forget.length > 0) {
    changes.push({
      action: 'forget',
      target: `${host}:inventory`,
      summary: `forget ${forget.length} line(s) homeostat wrote that are no longer in their config`,
      details: forget.map((i) => `  ${lineOf(i).path}: ${lineOf(i).line}`),
      items: forget,
    });
  }

  const container = current.location.container;
  const memo = input.memo as LxcDeviceMemo;
  if (edit && observed.container.running && spec.restart === 'if-running') {
    changes.push({
      action: 'restart',
      target: `${host}:container/${container}`,
      summary: `restart container ${container} on ${host} so that it sees the new device lines (restart: if-running)`,
      container,
    });
  } else if (!observed.container.running && memo.restartingContainer === container) {
    changes.push({
      action: 'start',
      target: `${host}:container/${container}`,
      summary: `start container ${container} on ${host} again: homeostat stopped it to restart it`,
      container,
    });
  }
  return { changes, adopted: lines.adopted };
}
