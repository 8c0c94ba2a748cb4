import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '../core/contract.js';
import { planConfigEdit } from './change.js';
import { parseConfig } from './document.js';
import { CONFIG_LINE, itemKey, lineItem, lineOf, linesByPath, ownLinesIn } from './inventory.js';
import { configLocation, locationOfPath } from './paths.js';

const pve100 = configLocation('proxmox', '100');
const TEXT = 'arch: amd64\nmp0: /data,mp=/data\nlxc.cgroup2.devices.allow: c 10:200 rwm\n\n[snap]\nmp1: /old,mp=/old\n';
const snapshot = { location: pve100, raw: Buffer.from(TEXT), doc: parseConfig('proxmox', TEXT) };

describe('config-line inventory', () => {
  it('an item is `<path>#<exact line>` (a # inside the line is kept), with path, line and container in detail', () => {
    const item = lineItem('pve', pve100, 'lxc.mount.entry: /a#b a none bind 0 0');
    expect(item).toEqual({
      type: CONFIG_LINE,
      host: 'pve',
      id: '/etc/pve/lxc/100.conf#lxc.mount.entry: /a#b a none bind 0 0',
      detail: { path: '/etc/pve/lxc/100.conf', line: 'lxc.mount.entry: /a#b a none bind 0 0', container: '100' },
    });
    expect(lineOf(item)).toEqual({ path: '/etc/pve/lxc/100.conf', line: 'lxc.mount.entry: /a#b a none bind 0 0' });
    expect(itemKey(item)).toEqual({ type: CONFIG_LINE, host: 'pve', id: item.id });
  });

  it("groups this host's lines by config, in inventory order, ignoring other hosts and other item types", () => {
    const a = lineItem('pve', pve100, 'a: 1');
    const b = lineItem('pve', configLocation('lxc', 'media'), 'b = 2');
    const c = lineItem('pve', pve100, 'c: 3');
    const inventory: InventoryItem[] = [a, b, lineItem('other', pve100, 'x: 1'), { type: 'directory', host: 'pve', id: '/data' }, c];
    expect([...linesByPath(inventory, 'pve')]).toEqual([
      ['/etc/pve/lxc/100.conf', [a, c]],
      ['/var/lib/lxc/media/config', [b]],
    ]);
  });

  it('own lines are present only in the main section (a snapshot holding the same text does not count)', () => {
    const mp0 = lineItem('pve', pve100, 'mp0: /data,mp=/data');
    const mp1 = lineItem('pve', pve100, 'mp1: /old,mp=/old');
    expect(ownLinesIn(snapshot.doc, [mp0, mp1])).toEqual({ present: [mp0], vanished: [mp1] });
  });

  it('paths lead back to their config location', () => {
    expect(locationOfPath('/etc/pve/lxc/100.conf')).toEqual(pve100);
    expect(locationOfPath('/var/lib/lxc/media/config')).toEqual(configLocation('lxc', 'media'));
    expect(() => locationOfPath('/etc/passwd')).toThrow(/not a container config/);
  });
});

describe('planConfigEdit', () => {
  it('nothing to add or remove: no change', () => {
    expect(planConfigEdit({ host: 'pve', snapshot, add: [], remove: [] })).toBeNull();
  });

  it('removes only inventory lines, adds in the main section, and says what it records and forgets', () => {
    const own = lineItem('pve', pve100, 'lxc.cgroup2.devices.allow: c 10:200 rwm');
    const change = planConfigEdit({ host: 'pve', snapshot, add: ['mp2: /srv,mp=/srv'], remove: [own] })!;
    expect(change).toMatchObject({
      action: 'edit-config',
      target: 'pve:/etc/pve/lxc/100.conf',
      summary: 'edit pve:/etc/pve/lxc/100.conf: add 1 line(s), remove 1 line(s)',
      details: ['- lxc.cgroup2.devices.allow: c 10:200 rwm', '+ mp2: /srv,mp=/srv'],
      location: pve100,
      add: ['mp2: /srv,mp=/srv'],
      remove: ['lxc.cgroup2.devices.allow: c 10:200 rwm'],
      record: [lineItem('pve', pve100, 'mp2: /srv,mp=/srv')],
      forget: [itemKey(own)],
    });
    expect(change.text).toBe('arch: amd64\nmp0: /data,mp=/data\nmp2: /srv,mp=/srv\n\n[snap]\nmp1: /old,mp=/old\n');
    expect(planConfigEdit({ host: 'pve', snapshot, add: ['x: 1'], remove: [], summary: 'custom' })!.summary).toBe('custom');
  });
});
