import { describe, expect, it } from 'vitest';
import { explain } from '../../controller/manifests/index.js';

describe('explain', () => {
  it('a field: description, type, default and pattern', () => {
    const text = explain('StorageKeepalive.spec.interval');
    expect(text).toContain('KIND:     StorageKeepalive\nVERSION:  homeostat.dev/v1alpha1');
    expect(text).toContain('FIELD:    spec.interval <string>');
    expect(text).toContain('Time between heartbeats');
    expect(text).toContain('DEFAULT:  5m');
    expect(text).toContain('PATTERN:  ^[0-9]+(ms|s|m|h)$');
    expect(text).toContain('RANGE:    1s .. 24h');
    expect(text).toContain('MAX LEN:  16 characters');
  });

  it('a kind: its description and top-level fields, marking required ones', () => {
    const text = explain('Host');
    expect(text).toContain('A machine the other kinds act on');
    expect(text).toMatch(/FIELDS:\n {2}apiVersion <string> -required-/);
    expect(text).toContain('  spec <Object> -required-');
  });

  it('an object: its child fields with defaults; enums; kinds by any name, lists walked through', () => {
    const ssh = explain('host.spec.ssh');
    expect(ssh).toContain('FIELD:    spec.ssh <HostSshSpec>');
    expect(ssh).toContain('  address <string> -required-');
    expect(ssh).toContain('  port <integer> (default: 22)');
    expect(explain('storagekeepalives.spec.method')).toContain('ENUM:     write-fsync | touch');
    const preset = explain('LxcDevice.spec.devices.preset');
    expect(preset).toContain('ENUM:     intel-quicksync | tun');
    expect(explain('LxcDevice.spec.devices')).toContain('ONE OF:   preset | path');
    expect(explain('VpnSidecar.spec.gateway.secretEnv.WIREGUARD_PRIVATE_KEY')).toContain('  file <string> -required-');
  });

  it('unknown kinds and fields are errors naming the valid ones', () => {
    expect(() => explain('Pod')).toThrow(
      'unknown kind "Pod": the kinds are Host, LxcDevice, Notifier, StorageKeepalive, UnifiedNamespace, VpnSidecar',
    );
    expect(() => explain('Host.spec.bogus')).toThrow('Host.spec has no field "bogus": its fields are platform, root, ssh, docker');
    expect(() => explain('Host.bogus')).toThrow('Host has no field "bogus": its fields are apiVersion, kind, metadata, spec');
    expect(() => explain('StorageKeepalive.spec.path.x')).toThrow('StorageKeepalive.spec.path is <string>: it has no fields');
  });
});
