import { describe, expect, it } from 'vitest';
import { formatDeviceRule, parseDeviceRule, ruleAllows } from './cgroup-rule.js';
import { containerPathOf, formatMountEntry, mountExposes, parseMountEntry } from './mount-entry.js';
import { configLocation, isProxmoxVmid } from './paths.js';
import { firstFreeIndex, formatPropertyString, indexedKey, parsePropertyString } from './property-string.js';

describe('Proxmox property strings', () => {
  it('parses the default key without its name and formats like print_property_string', () => {
    expect(parsePropertyString('/dev/dri/renderD128,gid=104,mode=0660', 'path')).toEqual({ path: '/dev/dri/renderD128', gid: '104', mode: '0660' });
    expect(parsePropertyString('path=/dev/net/tun,uid=0', 'path')).toEqual({ path: '/dev/net/tun', uid: '0' });
    expect(parsePropertyString('a,,b', 'path')).toBeNull();
    expect(parsePropertyString('/a,/b', 'path')).toBeNull();
    expect(formatPropertyString({ uid: '0', path: '/dev/x', gid: '104', mode: '0660' }, 'path')).toBe('/dev/x,gid=104,mode=0660,uid=0');
    expect(formatPropertyString({ volume: '/mnt/data', mp: '/data', backup: '0' }, 'volume')).toBe('/mnt/data,backup=0,mp=/data');
    expect(() => formatPropertyString({ path: '/dev/a,b' }, 'path')).toThrow(/comma/);
  });

  it('finds indexes and the first free one', () => {
    expect(indexedKey('dev12')).toEqual({ prefix: 'dev', index: 12 });
    expect(indexedKey('lxc.a')).toBeNull();
    expect(firstFreeIndex([0, 1, 3], 256)).toBe(2);
    expect(firstFreeIndex([0, 1], 2)).toBeNull();
  });
});

describe('lxc.mount.entry', () => {
  it('parses and formats fstab fields, with \\040 for spaces', () => {
    const entry = parseMountEntry('/dev/dri dev/dri none bind,optional,create=dir');
    expect(entry).toEqual({ source: '/dev/dri', target: 'dev/dri', fstype: 'none', options: ['bind', 'optional', 'create=dir'], rest: [] });
    expect(formatMountEntry(entry!)).toBe('/dev/dri dev/dri none bind,optional,create=dir');
    const spaced = parseMountEntry('/mnt/my\\040disk mnt/x none rbind 0 0')!;
    expect(spaced.source).toBe('/mnt/my disk');
    expect(formatMountEntry(spaced)).toBe('/mnt/my\\040disk mnt/x none rbind 0 0');
    expect(parseMountEntry('only two')).toBeNull();
    expect(containerPathOf('dev/dri/')).toBe('/dev/dri');
    expect(containerPathOf('/dev/net/tun')).toBe('/dev/net/tun');
  });

  it('knows which host paths an entry exposes where', () => {
    const dri = parseMountEntry('/dev/dri dev/dri none bind,optional,create=dir')!;
    expect(mountExposes(dri, '/dev/dri/renderD128', '/dev/dri/renderD128')).toBe(true);
    expect(mountExposes(dri, '/dev/dri', '/dev/dri')).toBe(true);
    expect(mountExposes(dri, '/dev/dri2/x', '/dev/dri2/x')).toBe(false);
    expect(mountExposes(dri, '/dev/net/tun', '/dev/net/tun')).toBe(false);
    const elsewhere = parseMountEntry('/dev/dri mnt/dri none bind,create=dir')!;
    expect(mountExposes(elsewhere, '/dev/dri/card0', '/dev/dri/card0')).toBe(false);
    const notBind = parseMountEntry('/dev/dri dev/dri none ro,create=dir')!;
    expect(mountExposes(notBind, '/dev/dri/card0', '/dev/dri/card0')).toBe(false);
    const allDev = parseMountEntry('/dev dev none rbind,create=dir')!;
    expect(mountExposes(allDev, '/dev/net/tun', '/dev/net/tun')).toBe(true);
  });
});

describe('device cgroup rules', () => {
  it('parses, formats and matches', () => {
    const tun = { type: 'c' as const, major: 10, minor: 200 };
    expect(parseDeviceRule('c 10:200 rwm')).toEqual({ type: 'c', major: 10, minor: 200, access: 'rwm' });
    expect(formatDeviceRule({ ...tun, access: 'rwm' })).toBe('c 10:200 rwm');
    expect(ruleAllows(parseDeviceRule('c 10:200 rwm')!, tun, 'rwm')).toBe(true);
    expect(ruleAllows(parseDeviceRule('c 10:* rwm')!, tun, 'rwm')).toBe(true);
    expect(ruleAllows(parseDeviceRule('a')!, tun, 'rwm')).toBe(true);
    expect(ruleAllows(parseDeviceRule('c 10:200 r')!, tun, 'rw')).toBe(false);
    expect(ruleAllows(parseDeviceRule('b 10:200 rwm')!, tun, 'rw')).toBe(false);
    expect(ruleAllows(parseDeviceRule('c 10:201 rwm')!, tun, 'rw')).toBe(false);
    expect(parseDeviceRule('c ten:200 rwm')).toBeNull();
  });
});

describe('config locations', () => {
  it('maps a VMID or a name to the config file and pct lock', () => {
    expect(configLocation('proxmox', '100')).toEqual({
      flavor: 'proxmox',
      container: '100',
      path: '/etc/pve/lxc/100.conf',
      lockPath: '/run/lock/lxc/pve-config-100.lock',
    });
    expect(configLocation('lxc', 'media')).toEqual({ flavor: 'lxc', container: 'media', path: '/var/lib/lxc/media/config', lockPath: null });
  });

  it('refuses a VMID that is not a number, clearly', () => {
    expect(() => configLocation('proxmox', 'media')).toThrow('"media" is not a Proxmox VMID');
    expect(isProxmoxVmid('099')).toBe(false);
    expect(isProxmoxVmid('99')).toBe(false);
    expect(isProxmoxVmid('999999999')).toBe(true);
    expect(() => configLocation('lxc', '..')).toThrow(/not an LXC container name/);
  });
});
