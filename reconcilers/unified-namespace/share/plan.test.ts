import { describe, expect, it } from 'vitest';
import type { InventoryItem } from '../../core/contract.js';
import { lxcConfig, nsSpec, proxmoxConfig } from '../../../test/unified-namespace/fixtures.js';
import { CONFIG_LINE } from '../../lxc-config/index.js';
import { planShares } from './plan.js';

const ours = (container: string, line: string, path = `/etc/pve/lxc/${container}.conf`): InventoryItem => ({
  type: CONFIG_LINE,
  host: 'pve',
  id: `${path}#${line}`,
  detail: { container, path, line },
});
const shared = nsSpec({ shareInto: [{ container: '100' }] });

describe('planShares', () => {
  it('Proxmox: one mpN of the whole root at the first free index (main section and pending changes count)', () => {
    const plan = planShares(shared, [proxmoxConfig('100', 'mp0: /mnt/a,mp=/a\nmp1: local-lvm:vm-100-disk-1,mp=/srv,size=8G\n[pve:pending]\nmp2: /mnt/c,mp=/c\n[snap]\nmp3: /x,mp=/x\n')], { inventory: [] });
    expect(plan.changes).toEqual([
      expect.objectContaining({
        action: 'edit-config',
        add: ['mp3: /data,mp=/data'],
        remove: [],
        record: [ours('100', 'mp3: /data,mp=/data')],
        details: ['+ mp3: /data,mp=/data'],
      }),
    ]);
    expect(plan.findings).toEqual([]);
    expect(plan.status).toEqual([{ container: '100', path: '/data', line: 'mp3: /data,mp=/data' }]);
  });

  it('plain LXC: an lxc.mount.entry bind mount, at the share path', () => {
    const spec = nsSpec({ shareInto: [{ container: 'media', path: '/srv/data' }] });
    const plan = planShares(spec, [lxcConfig('media', 'lxc.uts.name = media\n')], { inventory: [] });
    expect(plan.changes).toEqual([expect.objectContaining({ add: ['lxc.mount.entry = /data srv/data none bind,create=dir 0 0'] })]);
  });

  it('a mount a person already wrote counts: nothing is added, nothing recorded', () => {
    for (const line of ['mp5: /data,mp=/data,backup=0', 'lxc.mount.entry: /data/ data none rbind 0 0']) {
      const plan = planShares(shared, [proxmoxConfig('100', `arch: amd64\n${line}\n`)], { inventory: [] });
      expect(plan.changes, line).toEqual([]);
      expect(plan.status[0]?.line).toBe(line);
    }
  });

  it('several mounts into the tree are SplitMounts (Degraded), listing them; a human line is never removed', () => {
    const plan = planShares(shared, [proxmoxConfig('100', 'mp0: /data/media,mp=/media\nmp1: /data/torrents,mp=/torrents\n')], { inventory: [] });
    expect(plan.changes).toEqual([expect.objectContaining({ add: ['mp2: /data,mp=/data'], remove: [] })]);
    expect(plan.findings).toEqual([
      {
        severity: 'degraded',
        reason: 'SplitMounts',
        message: expect.stringContaining('container 100 has 3 mounts into /data ("mp0: /data/media,mp=/media", "mp1: /data/torrents,mp=/torrents", "mp2: /data,mp=/data")'),
      },
    ]);
    expect(plan.status[0]?.splitMounts).toHaveLength(3);
    // A mount of a folder above the tree exposes it too.
    expect(planShares(shared, [proxmoxConfig('100', 'mp0: /,mp=/host\nmp1: /data,mp=/data\n')], { inventory: [] }).findings[0]?.reason).toBe('SplitMounts');
  });

  it('another mount at the share path is Stalled/MountPathTaken', () => {
    const plan = planShares(shared, [proxmoxConfig('100', 'mp0: /mnt/other,mp=/data\n')], { inventory: [] });
    expect(plan.changes).toEqual([]);
    expect(plan.findings).toEqual([{ severity: 'stalled', reason: 'MountPathTaken', message: expect.stringContaining('"mp0: /mnt/other,mp=/data"') }]);
  });

  it('our line for an old root is replaced (only ours, by exact text); a share dropped from the spec loses only our line', () => {
    const config = proxmoxConfig('100', 'mp0: /old,mp=/data\nmp1: /mnt/a,mp=/a\n');
    const plan = planShares(shared, [config], { inventory: [ours('100', 'mp0: /old,mp=/data')] });
    expect(plan.changes).toEqual([
      expect.objectContaining({ add: ['mp2: /data,mp=/data'], remove: ['mp0: /old,mp=/data'], forget: [{ type: CONFIG_LINE, host: 'pve', id: '/etc/pve/lxc/100.conf#mp0: /old,mp=/data' }] }),
    ]);
    const dropped = planShares(nsSpec(), [proxmoxConfig('100', 'mp0: /data,mp=/data\nmp1: /data,mp=/data2\n')], { inventory: [ours('100', 'mp0: /data,mp=/data')] });
    expect(dropped.changes).toEqual([expect.objectContaining({ add: [], remove: ['mp0: /data,mp=/data'] })]);
    expect(dropped.status).toEqual([]);
  });

  it('a line of ours that is gone is forgotten; a destroyed container releases its lines', () => {
    const gone = planShares(shared, [proxmoxConfig('100', 'mp0: /data,mp=/data\n')], { inventory: [ours('100', 'mp7: /data,mp=/data')] });
    expect(gone.changes).toEqual([expect.objectContaining({ action: 'release', item: { type: CONFIG_LINE, host: 'pve', id: '/etc/pve/lxc/100.conf#mp7: /data,mp=/data' } })]);
    const destroyed = planShares(shared, [{ ...proxmoxConfig('100', ''), snapshot: null }], { inventory: [ours('100', 'mp0: /data,mp=/data')] });
    expect(destroyed.changes.map((c) => c.action)).toEqual(['release']);
    expect(destroyed.findings).toEqual([{ severity: 'degraded', reason: 'ContainerNotFound', message: expect.stringContaining('container 100 has no config') }]);
  });

  it('a locked config waits (Degraded/ConfigLocked); an unreadable one or a bad id is Stalled', () => {
    const locked = planShares(shared, [proxmoxConfig('100', 'lock: backup\n')], { inventory: [] });
    expect(locked.changes).toEqual([]);
    expect(locked.findings[0]).toMatchObject({ severity: 'degraded', reason: 'ConfigLocked' });
    const bad = planShares(nsSpec({ shareInto: [{ container: 'media' }] }), [{ container: 'media', location: null, snapshot: null, problem: { reason: 'InvalidContainer', message: '"media" is not a Proxmox VMID' } }], { inventory: [] });
    expect(bad.findings).toEqual([{ severity: 'stalled', reason: 'InvalidContainer', message: 'container media: "media" is not a Proxmox VMID' }]);
  });
});
