/** The pure converters of `homeostat import host`: cron lines → StorageKeepalive, config lines → LxcDevice candidates. */
import { describe, expect, it } from 'vitest';
import { lxcConfigLocation, parseConfig, proxmoxConfigLocation } from '../../reconcilers/lxc-config/index.js';
import { cronLines, intervalOfSchedule, keepaliveDocument, touchedFile } from '../../controller/import/keepalive.js';
import { deviceCandidates, lxcDeviceDocument, styleOf } from '../../controller/import/lxc-device.js';
import { manifestName, renderImport } from '../../controller/import/document.js';

const snapshot = (text: string) => ({ location: proxmoxConfigLocation('100'), raw: Buffer.from(text), doc: parseConfig('proxmox', text) });

describe('cron lines', () => {
  it('reads schedules with and without the user field, skipping comments, variables and @-lines', () => {
    const text = '# c\nMAILTO=""\n@reboot root touch /x/y\n*/5 * * * * root touch /mnt/hdd/.keepalive\n';
    expect(cronLines(text, true)).toEqual([{ lineNo: 4, text: '*/5 * * * * root touch /mnt/hdd/.keepalive', schedule: '*/5 * * * *', command: 'touch /mnt/hdd/.keepalive' }]);
    expect(cronLines('*/5 * * * * touch /mnt/hdd/.keepalive\n', false)[0]!.command).toBe('touch /mnt/hdd/.keepalive');
  });
  it('maps only steady schedules to intervals (cron.ts owns the rule)', () => {
    expect(intervalOfSchedule('*/5 * * * *')).toBe('5m');
    expect(intervalOfSchedule('* * * * *')).toBe('1m');
    expect(intervalOfSchedule('0 * * * *')).toBe('1h');
    expect(intervalOfSchedule('0 */6 * * *')).toBe('6h');
    expect(intervalOfSchedule('0 0 * * *')).toBe('24h');
    expect(intervalOfSchedule('*/7 * * * *')).toBeNull();
    expect(intervalOfSchedule('17 3 * * *')).toBeNull();
  });
  it('recognises touch, quoted paths and the mountpoint guard; nothing else', () => {
    expect(touchedFile("touch '/mnt/hdd/.k'")).toEqual({ file: '/mnt/hdd/.k', guard: null });
    expect(touchedFile('mountpoint -q /mnt/hdd && /usr/bin/touch /mnt/hdd/.k')).toEqual({ file: '/mnt/hdd/.k', guard: '/mnt/hdd' });
    expect(touchedFile('mountpoint -q /mnt/other && touch /mnt/hdd/.k')).toBeNull();
    expect(touchedFile('touch /mnt/a /mnt/b')).toBeNull();
    expect(touchedFile('rm -rf /mnt/hdd')).toBeNull();
  });
  it('a guarded line requires the mountpoint', () => {
    const [line] = cronLines('*/10 * * * * root mountpoint -q /mnt/hdd && touch /mnt/hdd/.k\n', true);
    expect(keepaliveDocument('pve', '/etc/crontab', line!)?.spec).toMatchObject({ path: '/mnt/hdd', file: '.k', interval: '10m', requireMountpoint: true });
  });
});

describe('LxcDevice candidates', () => {
  it('QuickSync and TUN lines become presets with explicit fallbacks; other device mounts stay paths', () => {
    const text = [
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
      'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
      'lxc.mount.entry: /dev/ttyUSB0 dev/ttyUSB0 none bind,create=file',
      'lxc.mount.entry: /mnt/hdd mnt/hdd none bind 0 0',
      '',
    ].join('\n');
    expect(deviceCandidates(snapshot(text), ['/dev/dri/card0', '/dev/dri/renderD128'])).toEqual([
      { entry: { preset: 'intel-quicksync' }, fallback: [{ path: '/dev/dri/card0' }, { path: '/dev/dri/renderD128' }] },
      { entry: { preset: 'tun' }, fallback: [{ path: '/dev/net/tun' }] },
      { entry: { path: '/dev/ttyUSB0' }, fallback: [] },
    ]);
  });
  it('style dev only when every device line is a devN agreeing on gid/uid/mode', () => {
    expect(styleOf(snapshot('dev0: /dev/net/tun,gid=104,mode=0660\ndev1: /dev/dri/card0,gid=104,mode=0660\n'))).toEqual({ style: 'dev', gid: 104, mode: '0660' });
    expect(styleOf(snapshot('dev0: /dev/net/tun,gid=104\ndev1: /dev/dri/card0,gid=44\n'))).toEqual({ style: 'raw' });
    expect(styleOf(snapshot('dev0: /dev/net/tun\nlxc.cgroup2.devices.allow: c 10:200 rwm\n'))).toEqual({ style: 'raw' });
  });
});

describe('LxcDevice lines not carried', () => {
  it('lists every lxc.* line no entry rests on, except those another document carries (a UnifiedNamespace share)', () => {
    const text = 'lxc.apparmor.profile: unconfined\nlxc.mount.entry: /data data none bind,create=dir 0 0\nlxc.mount.entry: /srv srv none bind 0 0\n';
    const input = { host: 'pve', snapshot: snapshot(text), style: { style: 'raw' as const }, cgroupKey: 'lxc.cgroup2.devices.allow', candidates: [], resolved: [] };
    const listed = (carriedElsewhere?: Set<string>) => lxcDeviceDocument({ ...input, ...(carriedElsewhere ? { carriedElsewhere } : {}) }).unexpressed;
    expect(listed()).toEqual([
      'Not carried by homeostat (left as they are: homeostat never edits a line it does not own), /etc/pve/lxc/100.conf:',
      '  line 1: lxc.apparmor.profile: unconfined',
      '  line 2: lxc.mount.entry: /data data none bind,create=dir 0 0',
      '  line 3: lxc.mount.entry: /srv srv none bind 0 0',
    ]);
    expect(listed(new Set(['lxc.mount.entry: /data data none bind,create=dir 0 0']))).toEqual([
      'Not carried by homeostat (left as they are: homeostat never edits a line it does not own), /etc/pve/lxc/100.conf:',
      '  line 1: lxc.apparmor.profile: unconfined',
      '  line 3: lxc.mount.entry: /srv srv none bind 0 0',
    ]);
  });
});

describe('LxcDevice lines not carried, plain LXC', () => {
  it("lists only the cgroup and mount lines: the container's own settings (name, rootfs, network) are not homeostat's to carry", () => {
    const text = [
      'lxc.uts.name = arr',
      'lxc.rootfs.path = dir:/var/lib/lxc/arr/rootfs',
      'lxc.net.0.type = veth',
      'lxc.apparmor.profile = unconfined',
      'lxc.cgroup2.devices.allow = c 188:* rwm',
      'lxc.mount.entry = /srv srv none bind 0 0',
      '',
    ].join('\n');
    const lxcSnapshot = { location: lxcConfigLocation('arr'), raw: Buffer.from(text), doc: parseConfig('lxc', text) };
    const input = { host: 'box', snapshot: lxcSnapshot, style: { style: 'raw' as const }, cgroupKey: 'lxc.cgroup2.devices.allow', candidates: [], resolved: [] };
    expect(lxcDeviceDocument(input).unexpressed).toEqual([
      'Not carried by homeostat (left as they are: homeostat never edits a line it does not own), /var/lib/lxc/arr/config:',
      '  line 5: lxc.cgroup2.devices.allow = c 188:* rwm',
      '  line 6: lxc.mount.entry = /srv srv none bind 0 0',
    ]);
  });
});

describe('rendering', () => {
  it('names are DNS-1123; a result without documents is comments only', () => {
    expect(manifestName('PVE_1-ct100-devices')).toBe('pve-1-ct100-devices');
    expect(renderImport({ documents: [], notes: ['x'] }, ['h'])).toBe('# h\n#\n# x\n');
  });
});
