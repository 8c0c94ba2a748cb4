import { describe, expect, it } from 'vitest';
import { configOf, hostConfigOf, parseByteSize, parseDevice, restartPolicy, stopTimeoutSeconds } from './container-options.js';
import { desiredDependent, desiredGateway } from './desired.js';
import { createOptions } from './docker-config.js';
import type { VpnDependent, VpnSidecarSpec } from './spec.js';

const dependent = (over: Partial<VpnDependent> = {}): VpnDependent => ({ name: 'app', image: 'app:1', env: {}, secretEnv: {}, volumes: [], ports: [], ...over });
const spec = (gateway: Partial<VpnSidecarSpec['gateway']> = {}): VpnSidecarSpec => ({
  host: 'local',
  adopt: false,
  gateway: { name: 'gluetun', image: 'qmcgaw/gluetun:v3.40.0', env: {}, secretEnv: {}, controlServer: { port: 8000 }, ...gateway },
  dependents: [],
});

describe('compose-like options become Docker create config', () => {
  it('parses as the docker CLI does', () => {
    expect(parseDevice('/dev/dri')).toEqual({ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' });
    expect(parseDevice('/dev/sda:r')).toEqual({ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'r' });
    expect(parseDevice('/dev/dri/renderD128:/dev/dri/renderD128:rw')).toMatchObject({ PathInContainer: '/dev/dri/renderD128', CgroupPermissions: 'rw' });
    expect(parseByteSize('256m')).toBe(256 * 1024 ** 2);
    expect(parseByteSize('1gb')).toBe(1024 ** 3);
    expect(parseByteSize('65536')).toBe(65536);
    expect(parseByteSize('99999999999999999g')).toBeNull();
    expect(restartPolicy(undefined)).toEqual({ Name: 'unless-stopped' });
    expect(restartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(stopTimeoutSeconds('1500ms')).toBe(2);
    expect(stopTimeoutSeconds('0s')).toBe(0);
  });

  it('maps every field', () => {
    const o = {
      command: ['--port', '8080'],
      entrypoint: [],
      user: '1000:1000',
      workingDir: '/app',
      stopGracePeriod: '1m',
      healthcheck: { test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:8080'], interval: '30s', timeout: '5s', startPeriod: '10s', retries: 3 },
      capDrop: ['ALL'],
      devices: ['/dev/dri'],
      tmpfs: ['/tmp', '/run:size=64m'],
      readOnly: true,
      shmSize: '1g',
      ulimits: { nofile: { soft: 20000, hard: 40000 }, nproc: { soft: 65535, hard: 65535 } },
    };
    expect(configOf(o)).toEqual({
      Cmd: ['--port', '8080'],
      Entrypoint: [''],
      User: '1000:1000',
      WorkingDir: '/app',
      StopTimeout: 60,
      Healthcheck: { Test: ['CMD-SHELL', 'wget -q -O- http://127.0.0.1:8080'], Interval: 30e9, Timeout: 5e9, StartPeriod: 10e9, Retries: 3 },
    });
    expect(hostConfigOf(o, 'dependent')).toEqual({
      RestartPolicy: { Name: 'unless-stopped' },
      CapDrop: ['ALL'],
      Devices: [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }],
      Tmpfs: { '/tmp': '', '/run': 'size=64m' },
      ReadonlyRootfs: true,
      ShmSize: 1024 ** 3,
      Ulimits: [{ Name: 'nofile', Soft: 20000, Hard: 40000 }, { Name: 'nproc', Soft: 65535, Hard: 65535 }],
    });
    expect(configOf({ healthcheck: { disable: true } }).Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('the gateway keeps NET_ADMIN and /dev/net/tun, not repeated when its compose file declares them', () => {
    const plain = hostConfigOf({}, 'gateway');
    expect(plain.CapAdd).toEqual(['NET_ADMIN']);
    expect(plain.Devices).toEqual([{ PathOnHost: '/dev/net/tun', PathInContainer: '/dev/net/tun', CgroupPermissions: 'rwm' }]);
    const gluetun = hostConfigOf({ capAdd: ['NET_ADMIN', 'SYS_MODULE'], devices: ['/dev/net/tun:/dev/net/tun'], sysctls: { 'net.ipv6.conf.all.disable_ipv6': '0' } }, 'gateway');
    expect(gluetun.CapAdd).toEqual(['NET_ADMIN', 'SYS_MODULE']);
    expect(gluetun.Devices).toHaveLength(1);
    expect(gluetun).toMatchObject({ Sysctls: { 'net.ipv6.conf.all.disable_ipv6': '0' } });
    expect(hostConfigOf({ capAdd: ['CAP_NET_ADMIN'] }, 'gateway').CapAdd).toEqual(['CAP_NET_ADMIN']);
  });

  it('user labels go beside homeostat\'s own, which always win', () => {
    const desired = desiredDependent(dependent({ labels: { 'com.example.team': 'media', 'dev.homeostat.role': 'gateway' } }), {});
    const labels = createOptions('media', desired, {}, { gatewayId: 'abc' }).Labels!;
    expect(labels['com.example.team']).toBe('media');
    expect(labels['dev.homeostat.role']).toBe('dependent');
  });
});

describe('options in the spec hash', () => {
  it('an option-less declaration hashes the fields it always did (no recreate on upgrade)', () => {
    expect(Object.keys(desiredGateway(spec(), {}).fields).sort()).toEqual(['env', 'image', 'ports', 'secretEnv', 'shape']);
    expect(Object.keys(desiredDependent(dependent(), {}).fields).sort()).toEqual(['env', 'image', 'secretEnv', 'shape', 'volumes']);
  });

  it('a set option changes the hash; the same option again does not; pull alone does not', () => {
    const base = desiredDependent(dependent(), {});
    const withUser = desiredDependent(dependent({ user: '1000' }), {});
    expect(withUser.specHash).not.toBe(base.specHash);
    expect(withUser.fields.user).toBeDefined();
    expect(desiredDependent(dependent({ user: '1000' }), {}).specHash).toBe(withUser.specHash);
    expect(desiredDependent(dependent({ user: '1001' }), {}).specHash).not.toBe(withUser.specHash);
    expect(desiredDependent(dependent({ pull: 'always' }), {}).specHash).toBe(base.specHash);
    for (const over of [{ command: ['x'] }, { restart: 'always' }, { stopGracePeriod: '1s' }, { readOnly: false }, { ulimits: { nofile: 1024 } }] as Partial<VpnDependent>[]) {
      expect(desiredDependent(dependent(over), {}).specHash).not.toBe(base.specHash);
    }
    expect(desiredGateway(spec({ sysctls: { 'net.ipv4.ip_forward': '1' } }), {}).specHash).not.toBe(desiredGateway(spec(), {}).specHash);
  });
});
