import { describe, expect, it } from 'vitest';
import type { LxcDeviceSpec } from './spec.js';
import { validateSpec } from './validate.js';
import { lxcDeviceReconciler } from './reconciler.js';

const spec = (over: Partial<LxcDeviceSpec> = {}): LxcDeviceSpec => ({
  host: 'pve',
  container: '100',
  devices: [{ preset: 'tun', optional: false }],
  style: 'raw',
  restart: 'never',
  ...over,
});

describe('validateSpec', () => {
  it('accepts presets, device paths and style dev settings', () => {
    expect(validateSpec(spec({ devices: [{ preset: 'intel-quicksync', optional: false }, { path: '/dev/ttyUSB0', optional: true }] }))).toEqual([]);
    expect(validateSpec(spec({ style: 'dev', gid: 104, uid: 0, mode: '0660' }))).toEqual([]);
    expect(validateSpec(spec({ devices: [{ path: '/dev/bus/usb/001/002', optional: false }] }))).toEqual([]);
  });

  it.each([
    ['/etc/shadow', 'must be a device node under /dev/'],
    ['/dev/../etc/shadow', 'must not contain "." or ".."'],
    ['/dev/./tun', 'must not contain "." or ".."'],
    ['/dev//tun', 'normalized'],
    ['/dev/net/', 'normalized'],
    ['/dev/a b', 'whitespace'],
    ['/dev/a,gid=0', 'commas'],
    ['/devices/x', 'under /dev/'],
  ])('names the field for the bad path %s', (path, message) => {
    expect(validateSpec(spec({ devices: [{ preset: 'tun', optional: false }, { path, optional: false }] }))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.devices[1].path', message: expect.stringContaining(message) },
    ]);
  });

  it('names unknown presets, entries with both or neither, and dev-only settings with style raw', () => {
    expect(validateSpec(spec({ devices: [{ preset: 'nvidia' as 'tun', optional: false }] }))).toEqual([
      { reason: 'InvalidSpec', path: 'spec.devices[0].preset', message: 'unknown preset "nvidia" (known: intel-quicksync, tun)' },
    ]);
    expect(validateSpec(spec({ devices: [{ preset: 'tun', path: '/dev/net/tun', optional: false }] }))[0]?.path).toBe('spec.devices[0]');
    expect(validateSpec(spec({ devices: [{ optional: false }] }))[0]?.path).toBe('spec.devices[0]');
    expect(validateSpec(spec({ gid: 104 }))).toEqual([{ reason: 'InvalidSpec', path: 'spec.gid', message: 'only applies to style: dev (Proxmox devN entries)' }]);
    expect(validateSpec(spec({ style: 'dev', mode: '0999' }))[0]?.path).toBe('spec.mode');
  });
});

describe('watch targets', () => {
  it('watches the Proxmox config for a VMID and the LXC config for a name, and the declared device nodes', () => {
    expect(lxcDeviceReconciler.watchTargets!(spec(), 'x')).toEqual(['/etc/pve/lxc/100.conf', '/var/lib/lxc/100/config', '/dev/net/tun']);
    expect(lxcDeviceReconciler.watchTargets!(spec({ container: 'media' }), 'x')).toEqual(['/var/lib/lxc/media/config', '/dev/net/tun']);
    const devices = [{ preset: 'intel-quicksync' as const, optional: false }, { path: '/dev/ttyUSB0', optional: true }, { path: '/etc/../dev/x', optional: false }];
    expect(lxcDeviceReconciler.watchTargets!(spec({ container: 'media', devices }), 'x')).toEqual(['/var/lib/lxc/media/config', '/dev/dri', '/dev/ttyUSB0']);
  });
});
