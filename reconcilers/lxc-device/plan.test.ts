import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proxmoxConfigText } from '../../test/lxc-device/config-arbitraries.js';
import { isStalledError, type InventoryItem, type PlanInput } from '../core/contract.js';
import {
  CGROUP1_ALLOW_KEY,
  CGROUP2_ALLOW_KEY,
  configLocation,
  editMainSection,
  lineItem,
  parseConfig,
  type ConfigFlavor,
  type EditConfigChange,
} from '../lxc-config/index.js';
import type { DeviceMount, HostDevice, LxcDeviceChange, LxcDeviceObserved, ResolvedDevices } from './model.js';
import { planLxcDevice } from './plan.js';
import type { LxcDeviceSpec } from './spec.js';

const card0: HostDevice = { path: '/dev/dri/card0', type: 'c', major: 226, minor: 0 };
const render128: HostDevice = { path: '/dev/dri/renderD128', type: 'c', major: 226, minor: 128 };
const render129: HostDevice = { path: '/dev/dri/renderD129', type: 'c', major: 226, minor: 129 };
const tun: HostDevice = { path: '/dev/net/tun', type: 'c', major: 10, minor: 200 };
const usb: HostDevice = { path: '/dev/ttyUSB0', type: 'c', major: 188, minor: 0 };

/** What observe resolves for QuickSync (a folder mount over its nodes) and for single nodes. */
function devices(dri: HostDevice[], nodes: HostDevice[] = []): ResolvedDevices {
  const mounts: DeviceMount[] = [];
  if (dri.length) mounts.push({ source: '/dev/dri', create: 'dir', optional: true, covers: dri.map((d) => d.path) });
  for (const n of nodes) mounts.push({ source: n.path, create: 'file', optional: false, covers: [n.path] });
  return { nodes: [...dri, ...nodes], mounts, skipped: [] };
}

const spec = (over: Partial<LxcDeviceSpec> = {}): LxcDeviceSpec => ({
  host: 'pve',
  container: '100',
  devices: [{ preset: 'intel-quicksync', optional: false }, { preset: 'tun', optional: false }],
  style: 'raw',
  restart: 'never',
  ...over,
});

function observed(text: string, over: Partial<LxcDeviceObserved> = {}, flavor: ConfigFlavor = 'proxmox'): LxcDeviceObserved {
  const location = configLocation(flavor, flavor === 'proxmox' ? '100' : 'media');
  return {
    platform: flavor,
    config: { location, raw: Buffer.from(text), doc: parseConfig(flavor, text) },
    devices: devices([card0, render128], [tun]),
    cgroupKey: CGROUP2_ALLOW_KEY,
    container: { running: false },
    otherConfigs: {},
    ...over,
  };
}

const input = (inventory: InventoryItem[] = [], memo: Record<string, unknown> = {}): PlanInput => ({ name: 'media', now: 0, inventory, memo });

const BASE = 'arch: amd64\ncores: 4\nhostname: media\nunprivileged: 1\n\n[snap1]\ncores: 2\nsnaptime: 1700000000\n';
const LAB_LINES = [
  'lxc.cgroup2.devices.allow: c 226:0 rwm',
  'lxc.cgroup2.devices.allow: c 226:128 rwm',
  'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
  'lxc.cgroup2.devices.allow: c 10:200 rwm',
  'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
];
const withLines = (lines: string[], base = BASE) => editMainSection(parseConfig('proxmox', base), { add: lines, remove: [] }).text;
const edits = (changes: LxcDeviceChange[]) => changes.filter((c): c is EditConfigChange => c.action === 'edit-config');
const own = (lines: string[], path = '/etc/pve/lxc/100.conf') => lines.map((l) => lineItem('pve', { path, container: '100' }, l));

describe('planLxcDevice: raw lines', () => {
  it('writes exactly the lab lines into the main section, device numbers from the host, never at the end of the file', () => {
    const plan = planLxcDevice(spec(), observed(BASE), input());
    const [edit] = edits(plan.changes);
    expect(edit!.add).toEqual(LAB_LINES);
    expect(edit!.details).toEqual(LAB_LINES.map((l) => `+ ${l}`));
    expect(edit!.text).toBe(withLines(LAB_LINES));
    expect(edit!.text.endsWith('snaptime: 1700000000\n')).toBe(true);
    expect(edit!.record.map((i) => i.id)).toEqual(LAB_LINES.map((l) => `/etc/pve/lxc/100.conf#${l}`));
    expect(plan.changes.map((c) => c.action)).toEqual(['edit-config']);
  });

  it('uses the numbers stat gave: a dynamically allocated render minor, a v1 key on a legacy plain LXC host', () => {
    const plan = planLxcDevice(spec(), observed(BASE, { devices: devices([render129]) }), input());
    expect(edits(plan.changes)[0]!.add).toEqual([
      'lxc.cgroup2.devices.allow: c 226:129 rwm',
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
    ]);
    const lxc = planLxcDevice(spec({ container: 'media' }), observed('lxc.net.0.type = empty\n', { devices: devices([], [tun]), cgroupKey: CGROUP1_ALLOW_KEY }, 'lxc'), input());
    expect(edits(lxc.changes)[0]!.add).toEqual(['lxc.cgroup.devices.allow = c 10:200 rwm', 'lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file']);
  });

  it("adopts a human's equivalent lines instead of duplicating them (the lab config as it is today)", () => {
    const lab = planLxcDevice(spec(), observed(withLines(LAB_LINES)), input());
    expect(lab.changes).toEqual([]);
    expect(lab.adopted).toEqual(LAB_LINES); // what verify reports, from this plan
    const equivalent = withLines([
      'lxc.cgroup2.devices.allow = c 226:* rwm',
      'lxc.mount.entry=/dev/dri dev/dri none rbind,create=dir 0 0',
      'lxc.cgroup2.devices.allow: c 10:200 rw',
      'lxc.mount.entry: /dev/net/tun /dev/net/tun none bind,create=file',
    ]);
    expect(planLxcDevice(spec(), observed(equivalent), input()).changes).toEqual([]);
  });

  it('adds only what is missing next to partial human grants (a v1 rule does not grant on Proxmox)', () => {
    const partial = withLines(['lxc.cgroup.devices.allow: c 10:200 rwm', 'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file']);
    const plan = planLxcDevice(spec({ devices: [{ preset: 'tun', optional: false }] }), observed(partial, { devices: devices([], [tun]) }), input());
    expect(edits(plan.changes)[0]!.add).toEqual(['lxc.cgroup2.devices.allow: c 10:200 rwm']);
  });

  it('a human mounting each node separately grants the QuickSync folder mount', () => {
    const perNode = withLines([
      'lxc.cgroup2.devices.allow: c 226:0 rwm',
      'lxc.cgroup2.devices.allow: c 226:128 rwm',
      'lxc.mount.entry: /dev/dri/card0 dev/dri/card0 none bind,optional,create=file',
      'lxc.mount.entry: /dev/dri/renderD128 dev/dri/renderD128 none bind,optional,create=file',
    ]);
    const plan = planLxcDevice(spec({ devices: [{ preset: 'intel-quicksync', optional: false }] }), observed(perNode, { devices: devices([card0, render128]) }), input());
    expect(plan.changes).toEqual([]);
  });

  it('keeps its own lines, heals a deleted one, and restarts a running container only with if-running', () => {
    const inv = own(LAB_LINES);
    expect(planLxcDevice(spec(), observed(withLines(LAB_LINES)), input(inv))).toEqual({ changes: [], adopted: [] });
    const healed = withLines(LAB_LINES.filter((l) => !l.includes('10:200')));
    const running = { container: { running: true } };
    const never = planLxcDevice(spec(), observed(healed, running), input(inv));
    expect(never.changes.map((c) => c.action)).toEqual(['edit-config']);
    expect(edits(never.changes)[0]!.add).toEqual(['lxc.cgroup2.devices.allow: c 10:200 rwm']);
    const ifRunning = planLxcDevice(spec({ restart: 'if-running' }), observed(healed, running), input(inv));
    expect(ifRunning.changes.map((c) => c.action)).toEqual(['edit-config', 'restart']);
    expect(planLxcDevice(spec({ restart: 'if-running' }), observed(healed), input(inv)).changes.map((c) => c.action)).toEqual(['edit-config']);
  });

  it('removes exactly its own lines for a device dropped from the spec; human lines stay', () => {
    const human = 'lxc.cgroup2.devices.allow: c 188:* rwm';
    const text = withLines([human, ...LAB_LINES]);
    const plan = planLxcDevice(spec({ devices: [{ preset: 'intel-quicksync', optional: false }] }), observed(text, { devices: devices([card0, render128]) }), input(own(LAB_LINES)));
    const [edit] = edits(plan.changes);
    expect(edit!.remove).toEqual(LAB_LINES.slice(3));
    expect(edit!.add).toEqual([]);
    expect(edit!.details).toEqual(LAB_LINES.slice(3).map((l) => `- ${l}`));
    expect(edit!.forget.map((i) => i.id)).toEqual(LAB_LINES.slice(3).map((l) => `/etc/pve/lxc/100.conf#${l}`));
    expect(edit!.text).toBe(withLines([human, ...LAB_LINES.slice(0, 3)]));
  });

  it('forgets own lines that vanished and are not wanted; cleans a previous container', () => {
    const stale = own(['lxc.cgroup2.devices.allow: c 188:0 rwm']);
    const plan = planLxcDevice(spec(), observed(withLines(LAB_LINES)), input([...own(LAB_LINES), ...stale]));
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'forget', items: stale })]);

    const oldPath = '/etc/pve/lxc/101.conf';
    const oldText = withLines(LAB_LINES.slice(3));
    const other = { location: configLocation('proxmox', '101'), raw: Buffer.from(oldText), doc: parseConfig('proxmox', oldText) };
    const moved = planLxcDevice(spec(), observed(BASE, { otherConfigs: { [oldPath]: other } }), input(own(LAB_LINES.slice(3), oldPath)));
    const [add, cleanup] = edits(moved.changes);
    expect(add!.location.path).toBe('/etc/pve/lxc/100.conf');
    expect(cleanup).toMatchObject({ location: { path: oldPath, container: '101' }, remove: LAB_LINES.slice(3), add: [] });
    expect(cleanup!.text).toBe(BASE);
    const gone = planLxcDevice(spec(), observed(withLines(LAB_LINES), { otherConfigs: { [oldPath]: null } }), input([...own(LAB_LINES), ...own(['x'], oldPath)]));
    expect(gone.changes.map((c) => c.action)).toEqual(['forget']);
  });

  it('starts a container it stopped to restart it, if it is still down', () => {
    const plan = planLxcDevice(spec(), observed(withLines(LAB_LINES)), input([], { restartingContainer: '100' }));
    expect(plan.changes.map((c) => c.action)).toEqual(['start']);
    expect(planLxcDevice(spec(), observed(withLines(LAB_LINES), { container: { running: true } }), input([], { restartingContainer: '100' })).changes).toEqual([]);
  });
});

describe('planLxcDevice: style dev', () => {
  const devSpec = spec({ style: 'dev', gid: 104, mode: '660', devices: [{ preset: 'intel-quicksync', optional: false }] });
  const dri = { devices: devices([card0, render128]) };

  it('writes devN at the first free index of the main section and [pve:pending], with gid and mode', () => {
    const text = 'arch: amd64\ndev0: /dev/ttyUSB0\ndev2: /dev/net/tun\n\n[pve:pending]\ndev1: /dev/sda\n\n[snap]\ndev3: /dev/x\n';
    const plan = planLxcDevice(devSpec, observed(text, dri), input());
    expect(edits(plan.changes)[0]!.add).toEqual(['dev3: /dev/dri/card0,gid=104,mode=0660', 'dev4: /dev/dri/renderD128,gid=104,mode=0660']);
  });

  it('keeps its own devN, adopts a matching human one, stalls on a conflicting one', () => {
    const mine = ['dev0: /dev/dri/card0,gid=104,mode=0660', 'dev1: /dev/dri/renderD128,gid=104,mode=0660'];
    expect(planLxcDevice(devSpec, observed(withLines(mine), dri), input(own(mine))).changes).toEqual([]);
    const human = withLines(['dev5: /dev/dri/renderD128,gid=104,mode=0660,uid=0', 'dev0: path=/dev/dri/card0,mode=0660,gid=104']);
    expect(planLxcDevice(devSpec, observed(human, dri), input()).changes).toEqual([]);
    const conflict = withLines(['dev0: /dev/dri/renderD128,gid=44']);
    let error: unknown;
    try {
      planLxcDevice(devSpec, observed(conflict, dri), input());
    } catch (e) {
      error = e;
    }
    expect(isStalledError(error) && error.reason).toBe('ConflictingDevice');
    expect((error as Error).message).toContain('dev0: /dev/dri/renderD128,gid=44');
  });

  it('a changed gid replaces its own line, reusing the index', () => {
    const old = ['dev0: /dev/dri/card0,gid=44,mode=0660'];
    const plan = planLxcDevice({ ...devSpec, devices: [{ path: '/dev/dri/card0', optional: false }] }, observed(withLines(old), { devices: devices([], [card0]) }), input(own(old)));
    expect(edits(plan.changes)[0]).toMatchObject({ remove: old, add: ['dev0: /dev/dri/card0,gid=104,mode=0660'] });
  });
});

// ── properties ────────────────────────────────────────────────────────────

interface World {
  text: string;
  inventory: InventoryItem[];
  running: boolean;
}

/** Applies a plan to the model the way apply does: the edit's text, inventory records/forgets, restarts. */
function applyToWorld(world: World, changes: LxcDeviceChange[]): World {
  let { text, inventory, running } = world;
  const same = (a: InventoryItem) => (b: InventoryItem) => a.type === b.type && a.host === b.host && a.id === b.id;
  for (const change of changes) {
    if (change.action === 'edit-config') {
      for (const item of change.record) if (!inventory.some(same(item))) inventory = [...inventory, item];
      text = change.text;
      inventory = inventory.filter((i) => !change.forget.some((f) => same(f)(i)));
    } else if (change.action === 'forget') {
      inventory = inventory.filter((i) => !change.items.some((f) => same(f)(i)));
    } else if (change.action === 'start') running = true;
  }
  return { text, inventory, running };
}

const deviceSets = fc.record({
  dri: fc.subarray([card0, render128, render129]),
  nodes: fc.subarray([tun, usb]),
}).filter(({ dri, nodes }) => dri.length + nodes.length > 0);

const specs = fc.record({
  style: fc.constantFrom<'raw' | 'dev'>('raw', 'dev'),
  restart: fc.constantFrom<'never' | 'if-running'>('never', 'if-running'),
  gid: fc.option(fc.constantFrom(44, 104), { nil: undefined }),
});

function specFor(s: { style: 'raw' | 'dev'; restart: 'never' | 'if-running'; gid?: number }): LxcDeviceSpec {
  return spec({ style: s.style, restart: s.restart, ...(s.style === 'dev' && s.gid !== undefined ? { gid: s.gid } : {}) });
}

/** Plans, or `null` when the generated config holds a human devN that conflicts with the spec (Stalled). */
function tryPlan(sp: LxcDeviceSpec, obs: LxcDeviceObserved, inp: PlanInput) {
  try {
    return planLxcDevice(sp, obs, inp);
  } catch (e) {
    if (isStalledError(e) && e.reason === 'ConflictingDevice') return null;
    throw e;
  }
}

describe('properties over generated Proxmox configs', () => {
  it('reconciling twice changes nothing', () => {
    fc.assert(
      fc.property(proxmoxConfigText, deviceSets, specs, fc.boolean(), ({ text }, set, s, running) => {
        const sp = specFor(s);
        const devs = devices(set.dri, set.nodes);
        const first = tryPlan(sp, observed(text, { devices: devs, container: { running } }), input());
        if (first === null) return;
        const world = applyToWorld({ text, inventory: [], running }, first.changes);
        const second = planLxcDevice(sp, observed(world.text, { devices: devs, container: { running: world.running } }), input(world.inventory));
        expect(second.changes).toEqual([]);
        // Everything outside the main section is as it was.
        const tail = (t: string) => {
          const doc = parseConfig('proxmox', t);
          return doc.lines.slice(doc.mainEnd);
        };
        expect(tail(world.text)).toEqual(tail(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('granting the devices, then removing them (finalize), gives back the original bytes', () => {
    fc.assert(
      fc.property(proxmoxConfigText, deviceSets, specs, ({ text }, set, s) => {
        const sp = specFor(s);
        const first = tryPlan(sp, observed(text, { devices: devices(set.dri, set.nodes) }), input());
        if (first === null) return;
        const world = applyToWorld({ text, inventory: [], running: false }, first.changes);
        // What finalize does: remove every inventory line from the main section.
        const lines = world.inventory.map((i) => i.id.slice(i.id.indexOf('#') + 1));
        const back = editMainSection(parseConfig('proxmox', world.text), { add: [], remove: lines });
        expect(back.missing).toEqual([]);
        expect(back.text).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('after a human deletes any of its lines, one reconcile restores exactly that line', () => {
    fc.assert(
      fc.property(proxmoxConfigText, deviceSets, fc.nat(), ({ text }, set, pick) => {
        const sp = spec();
        const devs = devices(set.dri, set.nodes);
        const first = tryPlan(sp, observed(text, { devices: devs }), input());
        if (first === null) return;
        const world = applyToWorld({ text, inventory: [], running: false }, first.changes);
        if (world.inventory.length === 0) return;
        const victim = world.inventory[pick % world.inventory.length]!;
        const line = victim.id.slice(victim.id.indexOf('#') + 1);
        const broken = editMainSection(parseConfig('proxmox', world.text), { add: [], remove: [line] }).text;
        const heal = planLxcDevice(sp, observed(broken, { devices: devs }), input(world.inventory));
        expect(edits(heal.changes).map((e) => e.add)).toEqual([[line]]);
        const healed = applyToWorld({ ...world, text: broken }, heal.changes);
        expect(planLxcDevice(sp, observed(healed.text, { devices: devs }), input(healed.inventory)).changes).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
