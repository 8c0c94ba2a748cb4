import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InventoryItem } from '../core/contract.js';
import { failureReason } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { isHostError, LocalHost } from '../host/index.js';
import { applyConfigEdit, removeOwnLines, type ConfigEditContext } from './apply.js';
import { planConfigEdit } from './change.js';
import { lineItem } from './inventory.js';
import { ConfigError, readConfig } from './io.js';
import { configLocation } from './paths.js';

let root: string;
let host: LocalHost;
const pve = configLocation('proxmox', '100');
const real = (p: string) => join(root, p);
const read = (p: string) => readFileSync(real(p), 'utf8');

function writeReal(path: string, text: string): void {
  mkdirSync(dirname(real(path)), { recursive: true });
  writeFileSync(real(path), text);
  chmodSync(real(path), 0o640);
}

/** A context that keeps the inventory and a log of each step with what the config held at that moment. */
function recordingContext(inventory: InventoryItem[] = []) {
  const steps: string[] = [];
  const events: string[] = [];
  const warnings: string[] = [];
  const state = { inventory: [...inventory] };
  const fileHas = (item: InventoryItem) => read(String(item.detail?.path ?? item.id.split('#')[0])).includes(String(item.id.split('#')[1]));
  const ctx: ConfigEditContext = {
    host,
    signal: new AbortController().signal,
    inventory,
    recordInventory: async (item) => {
      steps.push(`record (in file: ${fileHas(item)})`);
      state.inventory.push(item);
    },
    forgetInventory: (item) => {
      steps.push('forget');
      state.inventory = state.inventory.filter((i) => i.type !== item.type || i.host !== item.host || i.id !== item.id);
    },
    event: (_type, reason, message) => events.push(`${reason}: ${message}`),
    log: { ...silentLogger, warn: (_obj: unknown, msg: string) => warnings.push(msg) } as unknown as ConfigEditContext['log'],
  };
  return { ctx, steps, events, warnings, state };
}

const BASE = 'arch: amd64\nhostname: media\n\n[snap]\nmp0: /old,mp=/old\n';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-lxc-config-apply-'));
  host = new LocalHost({ name: 'pve', root, platform: 'proxmox' });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('applyConfigEdit', () => {
  it('records before the write and forgets after it, so no crash leaves an unrecorded line of ours', async () => {
    const own = lineItem('pve', pve, 'lxc.cgroup2.devices.allow: c 10:200 rwm');
    writeReal(pve.path, BASE.replace('hostname: media\n', `hostname: media\n${lineOf(own)}\n`));
    const snapshot = (await readConfig(host, pve))!;
    const change = planConfigEdit({ host: 'pve', snapshot, add: ['mp1: /data,mp=/data'], remove: [own] })!;
    const { ctx, steps, events, state } = recordingContext([own]);
    await applyConfigEdit(ctx, change, snapshot);
    expect(steps).toEqual(['record (in file: false)', 'forget']);
    expect(read(pve.path)).toBe(BASE.replace('hostname: media\n', 'hostname: media\nmp1: /data,mp=/data\n'));
    expect(state.inventory.map((i) => i.id)).toEqual(['/etc/pve/lxc/100.conf#mp1: /data,mp=/data']);
    expect(events).toEqual([
      'ConfigEdited: edit pve:/etc/pve/lxc/100.conf: add 1 line(s), remove 1 line(s): - lxc.cgroup2.devices.allow: c 10:200 rwm; + mp1: /data,mp=/data',
    ]);
  });

  it('takes its records back when the write certainly did not happen: the file changed (CAS) or is locked', async () => {
    writeReal(pve.path, BASE);
    const snapshot = (await readConfig(host, pve))!;
    const change = planConfigEdit({ host: 'pve', snapshot, add: ['mp1: /data,mp=/data'], remove: [] })!;

    writeReal(pve.path, `${BASE}#edited meanwhile\n`);
    const conflict = recordingContext();
    const error = await applyConfigEdit(conflict.ctx, change, snapshot).catch((e: unknown) => e);
    expect(isHostError(error, 'ECONFLICT')).toBe(true);
    expect(conflict.state.inventory).toEqual([]);
    expect(read(pve.path)).toBe(`${BASE}#edited meanwhile\n`);

    const lockedText = `lock: backup\n${BASE}`;
    writeReal(pve.path, lockedText);
    const lockedSnapshot = (await readConfig(host, pve))!;
    const locked = recordingContext();
    const refused = await applyConfigEdit(locked.ctx, planConfigEdit({ host: 'pve', snapshot: lockedSnapshot, add: ['mp1: /data,mp=/data'], remove: [] })!, lockedSnapshot).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect(failureReason(refused)).toBe('ConfigLocked'); // what Ready says while it is retried
    expect(locked.state.inventory).toEqual([]);
    expect(read(pve.path)).toBe(lockedText);
  });

  it('refuses a snapshot of another config', async () => {
    writeReal(pve.path, BASE);
    writeReal('/etc/pve/lxc/101.conf', BASE);
    const snapshot = (await readConfig(host, pve))!;
    const other = (await readConfig(host, configLocation('proxmox', '101')))!;
    const change = planConfigEdit({ host: 'pve', snapshot, add: ['x: 1'], remove: [] })!;
    await expect(applyConfigEdit(recordingContext().ctx, change, other)).rejects.toThrow(/snapshot of \/etc\/pve\/lxc\/101.conf/);
  });
});

describe('removeOwnLines', () => {
  it("removes exactly the inventory's lines from every config (a human's identical line above stays), then forgets them", async () => {
    const media = configLocation('lxc', 'media');
    const mine = lineItem('pve', pve, 'mp1: /data,mp=/data');
    const human = 'lxc.cgroup2.devices.allow: c 10:200 rwm';
    const both = lineItem('pve', pve, human);
    writeReal(pve.path, `arch: amd64\n${human}\nmp1: /data,mp=/data\n${human}\n\n[snap]\nmp1: /data,mp=/data\n`);
    writeReal(media.path, 'lxc.uts.name = media\nlxc.mount.entry = /data data none bind,create=dir 0 0\n');
    const lxcLine = lineItem('pve', media, 'lxc.mount.entry = /data data none bind,create=dir 0 0');
    const gone = lineItem('pve', configLocation('proxmox', '102'), 'mp0: /data,mp=/data');
    const elsewhere = lineItem('other-host', pve, 'mp1: /data,mp=/data');
    const { ctx, events, warnings, state } = recordingContext([mine, both, lxcLine, gone, elsewhere]);

    const changed = await removeOwnLines(ctx);
    expect(read(pve.path)).toBe(`arch: amd64\n${human}\n\n[snap]\nmp1: /data,mp=/data\n`);
    expect(read(media.path)).toBe('lxc.uts.name = media\n');
    expect(changed).toEqual([
      { location: pve, removed: ['mp1: /data,mp=/data', human] },
      { location: media, removed: ['lxc.mount.entry = /data data none bind,create=dir 0 0'] },
    ]);
    expect(state.inventory).toEqual([elsewhere]);
    expect(events).toHaveLength(2);
    expect(warnings).toEqual([expect.stringContaining('cannot remove other-host:/etc/pve/lxc/100.conf#mp1')]);

    // Again: nothing left to remove, nothing written.
    expect(await removeOwnLines(recordingContext([mine]).ctx)).toEqual([]);
  });
});

function lineOf(item: InventoryItem): string {
  return item.id.slice(item.id.indexOf('#') + 1);
}
