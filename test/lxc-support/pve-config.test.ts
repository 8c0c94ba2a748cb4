/**
 * The pct stand-in's pure half: reading a Proxmox CT config's main section like pve-container does, and
 * translating it into the LXC lines the real container gets. No LXC needed.
 */
import { describe, expect, it } from 'vitest';
// The stand-in is plain Node ESM (it runs from PATH without a build step).
import { decodeText, encodeText, formatConfig, mainSectionLines, parseMainSection } from '../support/pct/pve-config.mjs';
import { translate } from '../support/pct/translate.mjs';

const REALISTIC = [
  '#Media%20box%3A jellyfin',
  '#second line',
  'arch: amd64',
  'cores: 4',
  'dev0: /dev/dri/renderD128,gid=104',
  'hostname: media',
  'memory: 4096',
  'mp0: /mnt/hdd/media,mp=/media',
  'net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth',
  'rootfs: local-lvm:vm-100-disk-0,size=16G',
  'unprivileged: 1',
  'lxc.cgroup2.devices.allow: c 226:128 rwm',
  'lxc.mount.entry = /dev/dri dev/dri none bind,optional,create=dir',
  'lxc.cgroup2.devices.allow: c 226:0 rwm',
  '',
  '[pve:pending]',
  'lxc.cgroup2.devices.allow: c 10:200 rwm',
  'memory: 8192',
  '',
  '[before-upgrade]',
  'lxc.mount.entry: /dev/net/tun dev/net/tun none bind,create=file',
  'snaptime: 1700000000',
  '',
].join('\n');

describe('parseMainSection', () => {
  it('stops at the first section header, pending or snapshot', () => {
    expect(mainSectionLines(REALISTIC)).not.toContain('memory: 8192');
    expect(mainSectionLines('a: 1\n[snap1]\nb: 2\n')).toEqual(['a: 1']);
    expect(mainSectionLines('a: 1\n[PVE:PENDING]\nb: 2\n')).toEqual(['a: 1']);
  });

  it('keeps lxc.* keys in order with duplicates, in both separator forms', () => {
    const conf = parseMainSection(REALISTIC, '100');
    expect(conf.lxc).toEqual([
      ['lxc.cgroup2.devices.allow', 'c 226:128 rwm'],
      ['lxc.mount.entry', '/dev/dri dev/dri none bind,optional,create=dir'],
      ['lxc.cgroup2.devices.allow', 'c 226:0 rwm'],
    ]);
    expect(conf.keys.get('memory')).toBe('4096');
    expect(conf.keys.get('dev0')).toBe('/dev/dri/renderD128,gid=104');
    expect(conf.warnings).toEqual([]);
  });

  it('decodes # lines as the description and warns like Proxmox about unparsable lines', () => {
    const conf = parseMainSection('#a%3Ab\n#c\nnot a config line\ndelete: memory\n', '100');
    expect(conf.description).toBe('a:b\nc\n');
    expect(conf.warnings).toEqual([
      'vm 100 - unable to parse config: not a config line',
      "vm 100 - property 'delete' is only allowed in [pve:pending]",
    ]);
  });

  it('encodes and decodes text like PVE::Tools (":" and control bytes escaped)', () => {
    expect(encodeText('Media box: jellyfin\n')).toBe('Media box%3A jellyfin%0A');
    expect(decodeText(encodeText('grüße: ok'))).toBe('grüße: ok');
  });

  it('formats `pct config` as sorted keys, the encoded description, then lxc.* in order', () => {
    const out = formatConfig(parseMainSection(REALISTIC, '100'));
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('arch: amd64');
    expect(lines).toContain('description: Media box%3A jellyfin%0Asecond line%0A');
    expect(lines.slice(-3)).toEqual([
      'lxc.cgroup2.devices.allow: c 226:128 rwm',
      'lxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir',
      'lxc.cgroup2.devices.allow: c 226:0 rwm',
    ]);
    expect(out).not.toContain('8192');
    expect(out).not.toContain('snaptime');
  });
});

interface FakeFs {
  [path: string]: { kind: 'char' | 'block' | 'dir' | 'file'; major?: number; minor?: number };
}

const context = (fs: FakeFs, cgroupV1Devices = true, root = '/sandbox') => ({
  vmid: '100',
  cgroupV1Devices,
  resolveHostPath: (p: string) => (fs[`${root}${p}`] ? `${root}${p}` : p),
  statPath: (p: string) => (fs[p] ? { major: 0, minor: 0, ...fs[p] } : null),
  devNodePath: (key: string) => `/var/lib/lxc/hs-test-x/pve-standin-dev/${key}`,
});

const translated = (text: string, fs: FakeFs = {}, v1 = true) => translate(parseMainSection(text, '100'), context(fs, v1));

describe('translate', () => {
  it('passes raw lxc.* lines through as `key = value`, mapping cgroup2 device rules to the cgroup v1 keys LXC enforces here', () => {
    const { lines } = translated('lxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file\n');
    expect(lines.slice(1)).toEqual(['lxc.cgroup.devices.allow = c 10:200 rwm', 'lxc.mount.entry = /dev/net/tun dev/net/tun none bind,create=file']);
  });

  it('on a cgroup-v2 machine passes everything verbatim', () => {
    const { lines } = translated('lxc.cgroup2.devices.allow: c 10:200 rwm\nlxc.cgroup.devices.allow: c 10:200 rwm\n', {}, false);
    expect(lines.slice(1)).toEqual(['lxc.cgroup2.devices.allow = c 10:200 rwm', 'lxc.cgroup.devices.allow = c 10:200 rwm']);
  });

  it('ignores legacy lxc.cgroup.* keys (a Proxmox 8 host is pure cgroup v2) and any lxc.net.* line', () => {
    const { lines } = translated('lxc.cgroup.devices.allow: c 10:200 rwm\nlxc.net.0.type: veth\n');
    expect(lines.slice(1).every((l) => l.startsWith('# ignored'))).toBe(true);
  });

  it('ignores everything after the main section', () => {
    const { lines, nodes } = translated(REALISTIC, { '/dev/dri/renderD128': { kind: 'char', major: 226, minor: 128 }, '/sandbox/mnt/hdd/media': { kind: 'dir' } });
    expect(lines.join('\n')).not.toContain('10:200');
    expect(lines.join('\n')).not.toContain('net/tun');
    expect(nodes).toHaveLength(1);
  });

  it('turns devN into a devices allow line and a bind mount of a private node with mode/uid/gid', () => {
    const { lines, nodes } = translated('dev0: /dev/net/tun,gid=104,mode=0620\ndev1: path=/dev/sda,deny-write=1\n', {
      '/dev/net/tun': { kind: 'char', major: 10, minor: 200 },
      '/dev/sda': { kind: 'block', major: 8, minor: 0 },
    });
    expect(lines.slice(1)).toEqual([
      'lxc.cgroup.devices.allow = c 10:200 rw',
      'lxc.mount.entry = /var/lib/lxc/hs-test-x/pve-standin-dev/dev0 dev/net/tun none bind,create=file 0 0',
      'lxc.cgroup.devices.allow = b 8:0 r',
      'lxc.mount.entry = /var/lib/lxc/hs-test-x/pve-standin-dev/dev1 dev/sda none bind,create=file 0 0',
    ]);
    expect(nodes[0]).toMatchObject({ key: 'dev0', type: 'c', major: 10, minor: 200, mode: 0o620, uid: 0, gid: 104 });
    expect(nodes[1]).toMatchObject({ key: 'dev1', type: 'b', mode: 0o660 });
  });

  it('refuses devN entries Proxmox refuses', () => {
    expect(() => translated('dev0: /dev/nope\n')).toThrow('Device /dev/nope does not exist');
    expect(() => translated('dev0: /etc/passwd\n')).toThrow('/etc/passwd is not a valid device path');
    expect(() => translated('dev0: /dev/../etc/passwd\n')).toThrow('is not a valid device path');
    expect(() => translated('dev0: /dev/null,mode=777\n', { '/dev/null': { kind: 'char', major: 1, minor: 3 } })).toThrow('mode');
    expect(() => translated('dev0: /dev/null,colour=red\n', { '/dev/null': { kind: 'char', major: 1, minor: 3 } })).toThrow("unknown property 'colour'");
    expect(() => translated('dev0: /dev/shm\n', { '/dev/shm': { kind: 'dir' } })).toThrow('Not a character or block device');
  });

  it('turns a bind mpN into a mount entry, resolving the host path under the sandbox root first', () => {
    const { lines, warnings } = translated('mp1: /data/media,mp=/data/media,ro=1\nmp0: /data,mp=/data\nmp2: local-lvm:vm-100-disk-1,mp=/srv,size=8G\n', {
      '/sandbox/data': { kind: 'dir' },
      '/data/media': { kind: 'dir' },
    });
    expect(lines.slice(1)).toEqual([
      'lxc.mount.entry = /sandbox/data data none bind,create=dir 0 0',
      'lxc.mount.entry = /data/media data/media none bind,create=dir,ro 0 0',
    ]);
    expect(warnings).toEqual(["mp2: storage volume 'local-lvm:vm-100-disk-1' is not emulated by the pct stand-in; skipped"]);
    expect(() => translated('mp0: /missing,mp=/x\n')).toThrow("mp0: bind mount source '/missing' does not exist");
    expect(() => translated('mp0: /data\n', { '/sandbox/data': { kind: 'dir' } })).toThrow("missing property - 'mp'");
  });

  it('maps the source of a raw lxc.mount.entry under the sandbox root only when it exists there', () => {
    const { lines } = translated('lxc.mount.entry: /data data none bind,create=dir 0 0\nlxc.mount.entry: /dev/dri dev/dri none bind,optional,create=dir\n', {
      '/sandbox/data': { kind: 'dir' },
    });
    expect(lines.slice(1)).toEqual(['lxc.mount.entry = /sandbox/data data none bind,create=dir 0 0', 'lxc.mount.entry = /dev/dri dev/dri none bind,optional,create=dir']);
  });
});
